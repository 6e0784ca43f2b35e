"""Comment intent: question > suggestion > complaint > praise > other (labelling guide)."""

from __future__ import annotations

from collections.abc import Sequence

from nlp.doc import Doc
from nlp.results import Intent, Sentiment
from nlp.sentiment.base import ClauseScore

__all__ = ["detect_intent"]


def detect_intent(doc: Doc, sentiment: Sentiment, scores: Sequence[ClauseScore]) -> Intent:
    """Pick the writer's main purpose from clause cues and the comment sentiment.

    A mixed comment takes the side of its last evaluative clause: the point of
    「〜は良い。ただ、〜」 comes after the contrast.

    Example:
        >>> from nlp.doc import make_doc
        >>> detect_intent(make_doc("研修を増やしてほしい"), "neutral", [])
        'suggestion'
    """
    if any(c.question for c in doc.cues):
        return "question"
    if any(c.request for c in doc.cues):
        return "suggestion"
    last = next((s.score for s in reversed(scores) if s.score), 0.0)
    negative_side = sentiment == "negative" or (sentiment == "mixed" and last < 0)
    if negative_side:
        return "complaint"
    if sentiment in ("positive", "mixed") or any(c.thanks for c in doc.cues):
        return "praise"
    return "other"
