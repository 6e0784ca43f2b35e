"""Survey waves as a timeline: natural order of wave labels and the rise or fall of a topic.

Waves are labels (``"2024Q1"``, ``"2025-04"``, ``"wave 3"``), not dates: they are put in
natural order (numbers compared as numbers) and each gets its ordinal as the timestamp
given to BERTopic's ``topics_over_time``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable

from nlp.text import natural_key

__all__ = ["Z_CRITICAL", "direction", "wave_order"]

logger = logging.getLogger(__name__)

#: |z| of the first-vs-last-wave share difference needed to call a topic rising or falling
Z_CRITICAL = 1.96


def wave_order(labels: Iterable[str]) -> list[str]:
    """Distinct wave labels in natural order (``"wave 2"`` before ``"wave 10"``).

    Example:
        >>> wave_order(["wave 10", "wave 2", "2024Q1", "wave 2"])
        ['2024Q1', 'wave 2', 'wave 10']
    """
    return sorted(set(labels), key=natural_key)


def direction(first: tuple[int, int], last: tuple[int, int]) -> tuple[float, str]:
    """Share change of a topic from the first to the last wave, and its direction.

    Args:
        first: ``(comments in the topic, comments)`` in the first wave.
        last: The same for the last wave.

    Returns:
        ``(last share - first share, "rising" | "falling" | "stable")``; a change is
        rising or falling when the two-proportion z-test gives ``|z| >= Z_CRITICAL``.
    """
    (k1, n1), (k2, n2) = first, last
    p1, p2 = k1 / n1, k2 / n2
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = (p2 - p1) / se if se > 0 else 0.0
    label = "rising" if z >= Z_CRITICAL else "falling" if z <= -Z_CRITICAL else "stable"
    return round(p2 - p1, 4), label
