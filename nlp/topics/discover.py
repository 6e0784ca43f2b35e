"""Library entry point: ``discover_topics(texts, ids, config) -> TopicResult``."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np

from nlp.suppression import cells_of, relations_of, suppress
from nlp.text import natural_key
from nlp.themes import Label, load_pack
from nlp.topics.config import MIN_GROUP_FLOOR, TopicConfig
from nlp.topics.model import TopicModel
from nlp.topics.result import GroupTopic, ThemeLink, TopicInfo, TopicResult, TopicTrend, TopicTrends
from nlp.topics.taxonomy import NEW_THEME
from nlp.topics.trends import direction, wave_order, z_critical
from nlp.topics.vocab import lemma_docs, quote_text, redact_text

__all__ = ["discover_topics", "redact_text", "result_from_model"]

logger = logging.getLogger(__name__)

#: most cells (groups and waves across every grouping) checked for anonymity
_MAX_CELLS = 3000


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
    """Build the :class:`TopicResult` of a model fitted on ``texts`` (ids in the same order).

    Groups and waves under ``min_group_size`` comments are hidden, and so are the
    groups or waves needed to stop a hidden one being derived by subtraction from the
    total (:func:`nlp.suppression.suppress`, for groups and for waves).
    Comments with an empty wave are left out of ``per_time`` and ``trends``.

    Raises:
        ValueError: The group or wave column has too many distinct values to check.
    """
    ids = [str(i) for i in ids]
    topics = model.topics_
    also = Counter(t for more in model.also_topics_ for t in more)
    named = (("groups", groups), ("waves", times))
    columns = {name: [str(v) for v in values] for name, values in named if values is not None}
    hidden = _hidden(columns, model.config.min_group_size)
    # comments of hidden groups and waves are not quoted as examples either
    quotable = [
        not any(values[i] in hidden[name] for name, values in columns.items())
        for i in range(len(texts))
    ]
    # A topic with comments of small groups and fewer than k others would describe those
    # comments by its words, sizes and trend: it is hidden as well. (Groups hidden only
    # to protect a small one hold k comments or more: their comments count as others.)
    k = model.config.min_group_size
    small = {
        name: {v for v, n in Counter(values).items() if n < k} for name, values in columns.items()
    }
    in_small = [
        any(values[i] in small[name] for name, values in columns.items()) for i in range(len(texts))
    ]
    others = Counter(t for t, tiny in zip(topics, in_small, strict=True) if not tiny)
    hidden_topics = {
        t for t, tiny in zip(topics, in_small, strict=True) if tiny and t != -1 and others[t] < k
    }
    labels = {t.id: t.label for t in load_pack(model.config.pack).themes}
    docs, spell = lemma_docs(texts, model.config.pii_terms)
    infos = [
        _topic_info(model, t, texts, ids, also[t], quotable, labels, spell)
        for t in sorted(set(topics) - hidden_topics)
        if t != -1
    ]
    per_group = per_time = trends = None
    if "groups" in columns:
        per_group = _per_class(
            model, docs, columns["groups"], hidden["groups"], hidden_topics, spell
        )
    if "waves" in columns:
        per_time, trends = _per_wave(
            model, docs, columns["waves"], hidden["waves"], hidden_topics, spell
        )
    if columns:
        hidden["topics"] = {str(t) for t in hidden_topics}
    return TopicResult(
        topics=infos,
        assignments=dict(zip(ids, topics, strict=True)),
        outlier_share=round(topics.count(-1) / len(topics), 4),
        # the terms a user asked to redact are private themselves: only their number shows
        config=model.config.model_dump(exclude={"pii_terms"})
        | {"pii_terms": len(model.config.pii_terms)},
        per_group=per_group,
        per_time=per_time,
        trends=trends,
        suppressed={name: sorted(values, key=natural_key) for name, values in hidden.items()}
        or None,
        also_assignments={i: more for i, more in zip(ids, model.also_topics_, strict=True) if more},
    )


def _topic_info(
    model: TopicModel,
    topic: int,
    texts: Sequence[str],
    ids: list[str],
    also_size: int,
    quotable: Sequence[bool],
    labels: Mapping[str, Label],
    spell: Mapping[str, str],
) -> TopicInfo:
    members = [i for i, t in enumerate(model.topics_) if t == topic]
    words = _spelled(model.topic_words(topic), spell)
    theme, score = model.themes_.get(topic, (NEW_THEME, 0.0))
    pairs = [] if theme == NEW_THEME else [(theme, score)]
    pairs += model.also_themes_.get(topic, [])
    links = [ThemeLink(t, s, labels[t].ja, labels[t].en) for t, s in pairs]
    shown = [i for i in members if quotable[i]]
    reps = _representatives(model.embeddings_, shown, model.config.n_representatives)
    return TopicInfo(
        id=topic,
        label="・".join(words[:3]) or f"topic {topic}",
        words=words,
        size=len(members),
        theme=theme,
        theme_score=score,
        representative_ids=[ids[i] for i in reps],
        representative_texts=[quote_text(texts[i], model.config.pii_terms) for i in reps],
        themes=links,
        also_size=also_size,
    )


def _spelled(words: Sequence[str], spell: Mapping[str, str]) -> list[str]:
    """Topic words (lemmas) in the batch's commonest spelling, empty ones left out."""
    return [spell.get(w, w) for w in words if w]


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


def _hidden(columns: dict[str, list[str]], k: int) -> dict[str, set[str]]:
    """Per column, the values to hide (primary and complementary suppression).

    Each column is checked on its own (``total = Σ its values``): the summaries show
    groups and waves, never a group within a wave.
    """
    hidden: dict[str, set[str]] = {}
    for name, values in columns.items():
        sizes = cells_of(((v,) for v in values), 1)
        if len(sizes) > _MAX_CELLS:
            raise ValueError(
                f"the {name} column has {len(sizes) - 1:,} distinct values; at most "
                f"{_MAX_CELLS - 1:,} can be checked for anonymity: use a coarser column"
            )
        cells = suppress(sizes, relations_of(sizes), k, MIN_GROUP_FLOOR)
        hidden[name] = {str(cell_values[0]) for _dims, cell_values in cells if cell_values}
    return hidden


def _per_class(
    model: TopicModel,
    docs: list[str],
    classes: list[str],
    hidden: set[str],
    hidden_topics: set[int],
    spell: Mapping[str, str],
) -> dict[str, list[GroupTopic]]:
    sizes = Counter(zip(classes, model.topics_, strict=True))
    # Without global tuning a group's words come from its own comments only; with it,
    # BERTopic averages in the whole topic's words, those of hidden groups among them.
    frame = model.bertopic_.topics_per_class(docs, classes=classes, global_tuning=False)
    out: dict[str, list[GroupTopic]] = {}
    for row in frame.itertuples(index=False):
        key, topic = str(row.Class), int(row.Topic)
        if key in hidden or topic in hidden_topics:
            continue  # too small to stay anonymous, or would reveal one that is
        words = _spelled(str(row.Words).split(", "), spell)
        out.setdefault(key, []).append(GroupTopic(topic, sizes[(key, topic)], words))
    for rows in out.values():
        rows.sort(key=lambda g: (-g.size, g.topic))
    return dict(sorted(out.items()))


def _per_wave(
    model: TopicModel,
    docs: list[str],
    waves: list[str],
    hidden: set[str],
    hidden_topics: set[int],
    spell: Mapping[str, str],
) -> tuple[dict[str, list[GroupTopic]], TopicTrends | None]:
    """Topics per shown wave (BERTopic ``topics_over_time`` on wave ordinals) and trends.

    Only comments of shown waves are given to BERTopic, so no hidden wave shapes the
    words of another. Global tuning is off: it indexes c-TF-IDF rows by the topics
    present in the subset, which is wrong when a topic is missing from it.
    """
    shown = [w for w in wave_order(waves) if w and w not in hidden]
    if not shown:
        return {}, None
    ordinal = {wave: i for i, wave in enumerate(shown)}
    keep = [i for i, wave in enumerate(waves) if wave in ordinal]
    frame = model.bertopic_.topics_over_time(
        [docs[i] for i in keep],
        [ordinal[waves[i]] for i in keep],
        topics=[model.topics_[i] for i in keep],
        global_tuning=False,
    )
    out: dict[str, list[GroupTopic]] = {wave: [] for wave in shown}
    counts: dict[tuple[int, int], int] = {}
    for row in frame.itertuples(index=False):
        at, topic, size = int(row.Timestamp), int(row.Topic), int(row.Frequency)
        if topic in hidden_topics:
            continue
        words = _spelled(str(row.Words).split(", "), spell)
        out[shown[at]].append(GroupTopic(topic, size, words))
        counts[(topic, at)] = size
    for rows in out.values():
        rows.sort(key=lambda g: (-g.size, g.topic))
    if len(shown) < 2:
        return out, None
    sizes = Counter(ordinal[waves[i]] for i in keep)
    n = [sizes[at] for at in range(len(shown))]
    trends = []
    topics = sorted(t for t in set(model.topics_) - hidden_topics if t != -1)
    critical = z_critical(len(topics))  # every topic is tested: control them together
    for topic in topics:
        row = [counts.get((topic, at), 0) for at in range(len(shown))]
        change, label = direction((row[0], n[0]), (row[-1], n[-1]), critical)
        shares = [round(c / size, 4) for c, size in zip(row, n, strict=True)]
        trends.append(TopicTrend(topic, row, shares, change, label))
    return out, TopicTrends(shown, n, trends)
