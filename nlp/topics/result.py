"""Plain, JSON-serialisable results of topic discovery."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["GroupTopic", "ThemeLink", "TopicInfo", "TopicResult", "TopicTrend", "TopicTrends"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ThemeLink:
    """A theme a topic is linked to, with its score.

    ``score``: the share of the topic's comments matching the theme's cues (for a topic
    few comments match, the cosine between its words and the cue words). ``ja`` and
    ``en`` are the theme's labels in the pack.
    """

    id: str
    score: float
    ja: str = ""
    en: str = ""


@dataclass(frozen=True, slots=True)
class TopicInfo:
    """One topic: Japanese label from its top words, linked theme(s) and examples.

    ``theme``/``theme_score`` is the main link (``"new"``: none); ``themes`` lists it
    first, then every further theme most of the topic's comments match. ``size`` counts
    the comments assigned to the topic; ``also_size`` those in it as a further topic.
    """

    id: int
    label: str
    words: list[str]
    size: int
    theme: str
    theme_score: float
    representative_ids: list[str]
    representative_texts: list[str]  # PII-redacted
    themes: list[ThemeLink] = field(default_factory=list)
    also_size: int = 0


@dataclass(frozen=True, slots=True)
class GroupTopic:
    """Size and words of one topic inside one group (department or wave)."""

    topic: int
    size: int
    words: list[str]


@dataclass(frozen=True, slots=True)
class TopicTrend:
    """One topic across the shown waves: comments per wave, their share, and the change."""

    topic: int
    counts: list[int]
    shares: list[float]  # counts / comments of the wave
    change: float  # last share - first share
    direction: str  # "rising", "falling" or "stable" (two-proportion z-test)


@dataclass(frozen=True, slots=True)
class TopicTrends:
    """Topics over the shown waves (natural order of the wave labels; small waves hidden)."""

    waves: list[str]
    sizes: list[int]
    topics: list[TopicTrend]


@dataclass(frozen=True, slots=True)
class TopicResult:
    """Topics of a batch, each comment's topic and optional per-group/per-wave summaries.

    ``per_group`` and ``per_time`` show only groups and waves that pass the anonymity
    threshold after complementary suppression; ``suppressed`` names the hidden ones.
    ``per_time`` is in wave order; ``trends`` needs two shown waves; both count each
    comment in its assigned topic only. ``also_assignments`` lists, for comments with
    further themes, the topics those themes lead them to (``TopicConfig.also_topics``).
    """

    topics: list[TopicInfo]
    assignments: dict[str, int]
    outlier_share: float
    config: dict[str, Any]
    per_group: dict[str, list[GroupTopic]] | None = None
    per_time: dict[str, list[GroupTopic]] | None = None
    trends: TopicTrends | None = None
    suppressed: dict[str, list[str]] | None = None
    also_assignments: dict[str, list[int]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the ``topics.json`` document."""
        out = asdict(self)
        extra = out.pop("extra")
        for key in ("per_group", "per_time", "trends", "suppressed"):
            if out[key] is None:
                del out[key]
        merged: dict[str, Any] = out | extra
        return merged
