"""Configuration of topic discovery (BERTopic over fugashi lemmas, linked to a theme pack)."""

from __future__ import annotations

import logging
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from nlp.comment_model import DEFAULT_LINEAR

__all__ = ["MIN_GROUP_FLOOR", "TopicConfig"]

logger = logging.getLogger(__name__)

#: the smallest anonymity threshold allowed (suppression patterns are nested from it)
MIN_GROUP_FLOOR = 3


class TopicConfig(BaseModel):
    """Settings of :func:`nlp.topics.discover_topics`; same config + input → same topics.

    Attributes:
        pack: Theme pack whose cues seed the topics and name the mapped themes.
        min_group_size: Anonymity threshold of the per-group and per-wave summaries.
        min_topic_size: Smallest typical topic size (k-means: comments ÷ (2 × this)
            clusters, at least 2, so topics average twice this; single ones may be smaller).
        n_topics: Fixed number of k-means clusters (``None``: from ``min_topic_size``).
        max_topics: Upper bound on the automatic number of k-means clusters.
        clusterer: ``kmeans`` (default; no outliers, good for 30–100k comments) or
            ``hdbscan`` (UMAP + HDBSCAN, outliers reduced afterwards).
        embedding_model: Local sentence-transformers directory; ``None`` uses the
            offline TF-IDF → SVD embedder.
        embedding_dim: Dimensions of the offline embedder.
        reduced_dim: Dimensions given to the clusterer.
        top_n_words: Words kept per topic.
        min_theme_score: Below this cosine a topic is mapped to ``"new"``.
        max_outlier_share: Outliers above this share are reassigned (hdbscan).
        n_representatives: Representative comment ids per topic.
        seed: Random state of SVD, UMAP and k-means.
        pii_terms: Extra words redacted before topic words and representative texts are
            taken (sites, teams), as ``koe analyze --pii-terms``.
        seed_topics: Guide topics with the pack's cue lemmas (``seed_topic_list``).
        theme_model: Comment model (a name under ``models/`` or a directory) whose
            themes, merged with the cue matches exactly as ``koe analyze`` reports them,
            guide and link the topics; ``None``: the pack's cue matches alone.
        theme_weight: Weight of each comment's themes appended to its embedding, so
            comments about the same theme cluster together (0 turns it off).
        min_theme_share: A topic at least this share of whose members have one theme is
            linked to it (score = that share); otherwise the cosine decides.
        also_theme_share: Every further theme at least this share of a topic's comments
            have is linked too (``TopicInfo.themes``); 1.0 links only themes every
            comment of the topic has.
        also_topics: Also place each comment in the closest topic led by each further
            theme it has (its themes as in ``theme_matrix``) that its own topic is not
            linked to (``TopicResult.also_assignments``): a comment about training and
            harassment is in the harassment topic and also in the training one.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    pack: str = "employee"
    #: groups (or waves) with fewer comments are hidden, with complementary suppression
    min_group_size: int = Field(default=5, ge=MIN_GROUP_FLOOR)
    min_topic_size: int = Field(default=10, ge=2)
    n_topics: int | None = Field(default=None, ge=2)
    max_topics: int = Field(default=40, ge=2)
    clusterer: Literal["kmeans", "hdbscan"] = "kmeans"
    embedding_model: str | None = None
    embedding_dim: int = Field(default=128, ge=2)
    reduced_dim: int = Field(default=32, ge=2)
    top_n_words: int = Field(default=10, ge=1)
    min_theme_score: float = Field(default=0.1, ge=0.0, le=1.0)
    max_outlier_share: float = Field(default=0.3, ge=0.0, le=1.0)
    n_representatives: int = Field(default=3, ge=0)
    seed: int = 42
    pii_terms: tuple[str, ...] = ()
    seed_topics: bool = True
    #: chosen on data/dev.jsonl and data/tune.jsonl (benchmarks/topics.json)
    theme_model: str | None = DEFAULT_LINEAR
    theme_weight: float = Field(default=2.0, ge=0.0)
    min_theme_share: float = Field(default=0.3, ge=0.0, le=1.0)
    also_theme_share: float = Field(default=0.5, gt=0.0, le=1.0)
    also_topics: bool = True
