"""Topic discovery (BERTopic over fugashi lemmas, offline embeddings) linked to theme packs."""

from __future__ import annotations

from nlp.topics.config import TopicConfig
from nlp.topics.discover import discover_topics, redact_text, result_from_model
from nlp.topics.embed import LemmaSvdEmbedder
from nlp.topics.model import TopicModel
from nlp.topics.result import GroupTopic, ThemeLink, TopicInfo, TopicResult, TopicTrend, TopicTrends
from nlp.topics.taxonomy import NEW_THEME, link_topics, theme_seed_words
from nlp.topics.trends import wave_order
from nlp.topics.vocab import STOP_WORDS, analyze_text, content_lemmas

__all__ = [
    "GroupTopic",
    "LemmaSvdEmbedder",
    "NEW_THEME",
    "STOP_WORDS",
    "ThemeLink",
    "TopicConfig",
    "TopicInfo",
    "TopicModel",
    "TopicResult",
    "TopicTrend",
    "TopicTrends",
    "analyze_text",
    "content_lemmas",
    "discover_topics",
    "link_topics",
    "redact_text",
    "result_from_model",
    "theme_seed_words",
    "wave_order",
]
