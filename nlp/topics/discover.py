"""Library entry point: ``discover_topics(texts, ids, config) -> TopicResult``."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence

import numpy as np

from nlp.pii import detect_pii, redact
from nlp.text import normalize
from nlp.tokenize import tokenize
from nlp.topics.config import TopicConfig
from nlp.topics.model import TopicModel
from nlp.topics.result import GroupTopic, TopicInfo, TopicResult

__all__ = ["discover_topics", "redact_text", "result_from_model"]

logger = logging.getLogger(__name__)


def discover_topics(
    texts: Sequence[str],
    ids: Sequence[str] | None = None,
    config: TopicConfig | None = None,
    *,
    groups: Sequence[str] | None = None,
    times: Sequence[str] | None = None,
) -> TopicResult:
    """Find topics in a batch of comments and map each to a taxonomy theme or ``"new"``.

    Args:
        texts: Raw comments (at least 2).
        ids: Comment ids (default: ``"0"``, ``"1"``…).
        config: Settings (default :class:`TopicConfig`).
        groups: Optional group value per comment (department) for per-group summaries.
        times: Optional survey wave per comment for per-wave summaries.

    Returns:
        The topics, each comment's topic, the outlier share and the config used.

    Raises:
        ValueError: Fewer than 2 comments, or ids/groups/times of another length.
    """
    config = config or TopicConfig()
    ids = [str(i) for i in range(len(texts))] if ids is None else [str(i) for i in ids]
    for name, values in (("ids", ids), ("groups", groups), ("times", times)):
        if values is not None and len(values) != len(texts):
            raise ValueError(f"{name} has {len(values)} values for {len(texts)} texts")
    if len(texts) < 2:
        raise ValueError("topic discovery needs at least 2 comments")
    model = TopicModel(config).fit(texts)
    return result_from_model(model, texts, ids, groups=groups, times=times)


def result_from_model(
    model: TopicModel,
    texts: Sequence[str],
    ids: Sequence[str],
    *,
    groups: Sequence[str] | None = None,
    times: Sequence[str] | None = None,
) -> TopicResult:
    """Build the :class:`TopicResult` of a model fitted on ``texts`` (ids in the same order)."""
    ids = [str(i) for i in ids]
    topics = model.topics_
    infos = [_topic_info(model, t, texts, ids) for t in sorted(set(topics)) if t != -1]
    return TopicResult(
        topics=infos,
        assignments=dict(zip(ids, topics, strict=True)),
        outlier_share=round(topics.count(-1) / len(topics), 4),
        config=model.config.model_dump(),
        per_group=_per_class(model, texts, groups),
        per_time=_per_class(model, texts, times),
    )


def redact_text(text: str) -> str:
    """Return ``text`` normalised with every PII span replaced by its placeholder."""
    normal = normalize(text).text
    return redact(normal, detect_pii(normal, tokenize(normal)))


def _topic_info(model: TopicModel, topic: int, texts: Sequence[str], ids: list[str]) -> TopicInfo:
    members = [i for i, t in enumerate(model.topics_) if t == topic]
    words = model.topic_words(topic)
    theme, score = model.themes_.get(topic, ("new", 0.0))
    reps = _representatives(model.embeddings_, members, model.config.n_representatives)
    return TopicInfo(
        id=topic,
        label="・".join(words[:3]) or f"topic {topic}",
        words=words,
        size=len(members),
        theme=theme,
        theme_score=score,
        representative_ids=[ids[i] for i in reps],
        representative_texts=[redact_text(texts[i]) for i in reps],
    )


def _representatives(embeddings: np.ndarray, members: list[int], n: int) -> list[int]:
    """The members closest (cosine) to their centroid; ties broken by position."""
    if not members or n == 0:
        return []
    vectors = embeddings[members]
    centroid = vectors.mean(axis=0)
    norms = np.linalg.norm(vectors, axis=1) * (np.linalg.norm(centroid) or 1.0)
    sims = vectors @ centroid / np.where(norms == 0, 1.0, norms)
    order = sorted(range(len(members)), key=lambda k: (-round(float(sims[k]), 6), k))
    return [members[k] for k in order[:n]]


def _per_class(
    model: TopicModel, texts: Sequence[str], classes: Sequence[str] | None
) -> dict[str, list[GroupTopic]] | None:
    if classes is None:
        return None
    from nlp.topics.vocab import joined_lemmas

    sizes = Counter(zip((str(c) for c in classes), model.topics_, strict=True))
    frame = model.bertopic_.topics_per_class(
        joined_lemmas(texts), classes=[str(c) for c in classes]
    )
    out: dict[str, list[GroupTopic]] = {}
    group_sizes = Counter(str(c) for c in classes)
    for row in frame.itertuples(index=False):
        key, topic = str(row.Class), int(row.Topic)
        if group_sizes[key] < model.config.min_group_size:
            continue  # too small to stay anonymous
        words = [w for w in str(row.Words).split(", ") if w]
        out.setdefault(key, []).append(GroupTopic(topic, sizes[(key, topic)], words))
    for rows in out.values():
        rows.sort(key=lambda g: (-g.size, g.topic))
    return dict(sorted(out.items()))
