"""Comment intent: question > suggestion > complaint > praise > other (labelling guide)."""

from __future__ import annotations

from nlp.doc import Doc
from nlp.results import Intent, Sentiment, SentimentScores

__all__ = ["detect_intent"]


def detect_intent(doc: Doc, sentiment: Sentiment, scores: SentimentScores) -> Intent:
    """Pick the writer's main purpose from clause cues and the comment sentiment.

    Example:
        >>> from nlp.doc import make_doc
        >>> from nlp.results import SentimentScores
        >>> detect_intent(make_doc("研修を増やしてほしい"), "neutral",
        ...               SentimentScores(0.0, 0.0, 1.0, 0.0))
        'suggestion'
    """
    if any(c.question for c in doc.cues):
        return "question"
    if any(c.request for c in doc.cues):
        return "suggestion"
    negative_side = sentiment == "negative" or (
        sentiment == "mixed" and scores.negative >= scores.positive
    )
    if negative_side:
        return "complaint"
    if sentiment in ("positive", "mixed") or any(c.thanks for c in doc.cues):
        return "praise"
    return "other"
