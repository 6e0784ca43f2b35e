"""Sentiment backends (lexicon, later transformers) and the comment-level combination."""

from nlp.sentiment.base import ClauseScore, PolarItem, SentimentBackend
from nlp.sentiment.combine import CombineConfig, clause_polarity, combine
from nlp.sentiment.lexicon import LexiconSentiment, load_lexicon

__all__ = [
    "ClauseScore",
    "CombineConfig",
    "LexiconSentiment",
    "PolarItem",
    "SentimentBackend",
    "clause_polarity",
    "combine",
    "load_lexicon",
]
