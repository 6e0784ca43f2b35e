"""From clause scores to a comment label (positive/negative/neutral/mixed) with scores.

A clause that is followed by a contrast (「〜が、」「〜けど、」) weighs less, since the
point usually comes after it; "mixed" needs clear evidence on both sides.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import get_args

from pydantic import BaseModel, ConfigDict

from nlp.results import Polarity, Sentiment, SentimentScores
from nlp.segment import Clause
from nlp.sentiment.base import ClauseScore

__all__ = ["CombineConfig", "clause_polarity", "combine"]


class CombineConfig(BaseModel):
    """Thresholds of the comment-level decision (tuned on ``data/tune_*.jsonl``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: weight of a clause that is followed by a contrasting clause
    before_contrast_weight: float = 0.6
    #: evidence scale: total evidence T gives 63 % non-neutral mass
    temperature: float = 0.5
    #: balance (weaker side / stronger side) at which mixed and one-sided break even
    mixed_balance: float = 0.2
    #: each side needs at least this much evidence for "mixed"
    mixed_min_side: float = 0.4
    #: |clause score| below this is neutral
    neutral_band: float = 0.25


def clause_polarity(score: float, config: CombineConfig) -> Polarity:
    """Label one clause (or theme) score."""
    if score >= config.neutral_band:
        return "positive"
    if score <= -config.neutral_band:
        return "negative"
    return "neutral"


def _sides(score: ClauseScore) -> tuple[float, float]:
    """Positive and negative evidence of a clause (its total when it has no items)."""
    if not score.items:
        return max(score.score, 0.0), max(-score.score, 0.0)
    pos = sum(item.score for item in score.items if item.score > 0)
    neg = -sum(item.score for item in score.items if item.score < 0)
    rest = score.score - (pos - neg)  # adjustments made on the clause as a whole
    return pos + max(rest, 0.0), neg + max(-rest, 0.0)


def combine(
    clauses: Sequence[Clause], scores: Sequence[ClauseScore], config: CombineConfig
) -> tuple[Sentiment, SentimentScores]:
    """Return the comment label (the argmax) and the four scores, which sum to 1."""
    pos = neg = raw_pos = raw_neg = 0.0
    for i, score in enumerate(scores):
        followed_by_contrast = i + 1 < len(clauses) and clauses[i + 1].after_contrast
        weight = config.before_contrast_weight if followed_by_contrast else 1.0
        # Sides are summed per item, so 「価格は満足、画質は不満」 is mixed, not zero.
        clause_pos, clause_neg = _sides(score)
        pos += weight * clause_pos
        neg += weight * clause_neg
        raw_pos += clause_pos
        raw_neg += clause_neg
    total = pos + neg
    strength = 1.0 - math.exp(-total / config.temperature)
    mixedness = 0.0
    if min(raw_pos, raw_neg) >= config.mixed_min_side:
        balance = min(raw_pos, raw_neg) / max(raw_pos, raw_neg)
        mixedness = 1.0 / (1.0 + math.exp(-10.0 * (balance - config.mixed_balance)))
    one_sided = strength * (1.0 - mixedness)
    probs = SentimentScores(
        positive=round(one_sided * pos / total, 4) if total else 0.0,
        negative=round(one_sided * neg / total, 4) if total else 0.0,
        neutral=round(1.0 - strength, 4),
        mixed=round(strength * mixedness, 4),
    )
    labels: tuple[Sentiment, ...] = get_args(Sentiment)
    label = max(labels, key=lambda name: getattr(probs, name))
    return label, probs
