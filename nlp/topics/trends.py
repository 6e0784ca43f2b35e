"""Survey waves as a timeline: natural order of wave labels and the rise or fall of a topic.

Waves are labels (``"2024Q1"``, ``"2025-04"``, ``"wave 3"``), not dates: they are put in
natural order (numbers compared as numbers) and each gets its ordinal as the timestamp
given to BERTopic's ``topics_over_time``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from statistics import NormalDist

from nlp.text import natural_key

__all__ = ["ALPHA", "direction", "z_critical", "wave_order"]

logger = logging.getLogger(__name__)

#: family-wise error rate of the rising/falling calls of one result (all its topics)
ALPHA = 0.05


def wave_order(labels: Iterable[str]) -> list[str]:
    """Distinct wave labels in natural order (``"wave 2"`` before ``"wave 10"``).

    Example:
        >>> wave_order(["wave 10", "wave 2", "2024Q1", "wave 2"])
        ['2024Q1', 'wave 2', 'wave 10']
    """
    return sorted(set(labels), key=natural_key)


def z_critical(tests: int, alpha: float = ALPHA) -> float:
    """Two-sided |z| needed when ``tests`` topics are tested at once (Bonferroni).

    With 40 topics at 1.96 each, about two would be called rising or falling on waves
    that do not differ at all; at ``z_critical(40)`` (3.23) the chance of any is 5 %.

    Example:
        >>> round(z_critical(1), 2), round(z_critical(40), 2)
        (1.96, 3.23)
    """
    return NormalDist().inv_cdf(1 - alpha / (2 * max(1, tests)))


def direction(
    first: tuple[int, int], last: tuple[int, int], critical: float = z_critical(1)
) -> tuple[float, str]:
    """Share change of a topic from the first to the last wave, and its direction.

    Args:
        first: ``(comments in the topic, comments)`` in the first wave.
        last: The same for the last wave.
        critical: ``|z|`` needed to call a change (see :func:`z_critical`).

    Returns:
        ``(last share - first share, "rising" | "falling" | "stable")``; a change is
        rising or falling when the two-proportion z-test gives ``|z| >= critical``.
    """
    (k1, n1), (k2, n2) = first, last
    p1, p2 = k1 / n1, k2 / n2
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = (p2 - p1) / se if se > 0 else 0.0
    label = "rising" if z >= critical else "falling" if z <= -critical else "stable"
    return round(p2 - p1, 4), label
