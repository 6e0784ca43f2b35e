"""Link discovered topics to taxonomy themes: cosine between topic c-TF-IDF and cue lemmas."""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping, Sequence

import numpy as np

from nlp.pipeline import Pipeline, PipelineConfig
from nlp.text import normalize
from nlp.themes import ThemeMatcher, ThemePack, load_pack
from nlp.tokenize import tokenize
from nlp.topics.vocab import analyze_text

__all__ = ["NEW_THEME", "link_topics", "theme_matrix", "theme_seed_words"]

logger = logging.getLogger(__name__)

NEW_THEME = "new"


def theme_seed_words(pack: ThemePack) -> dict[str, list[str]]:
    """Return, per theme id, the distinct content lemmas of its cues (gap marks dropped)."""
    seeds: dict[str, list[str]] = {}
    for theme in pack.themes:
        words: dict[str, None] = {}
        for cue in theme.cues:
            for lemma in analyze_text(cue.replace("…", " ")):
                words[lemma] = None
        seeds[theme.id] = list(words)
    return seeds


def theme_matrix(
    texts: Sequence[str], pack_id: str, comment_model: str | None = None
) -> np.ndarray:
    """``(len(texts), n_themes)`` theme indicators per comment.

    Without ``comment_model``: counts of the pack's cue matches. With one: 1 for each
    theme ``koe analyze`` reports with that model (the cue matches it does not veto and
    the themes it finds without a cue), so topics agree with the per-comment themes.
    Comments the pipeline cannot analyse (too long) fall back to their cue matches.
    """
    pack = load_pack(pack_id)
    matcher = ThemeMatcher(pack)
    column = {theme.id: i for i, theme in enumerate(pack.themes)}
    out = np.zeros((len(texts), len(column)), dtype=np.float32)
    analysed = _analysed_themes(texts, pack_id, comment_model) if comment_model else {}
    for row, text in enumerate(texts):
        if row in analysed:
            for theme_id in analysed[row]:
                out[row, column[theme_id]] = 1.0
            continue
        for match in matcher.match(tokenize(normalize(text).text)):
            out[row, column[match.theme_id]] += 1.0
    return out


_CHUNK = 2000


def _analysed_themes(
    texts: Sequence[str], pack_id: str, comment_model: str
) -> dict[int, list[str]]:
    """Row → theme ids of the pipeline with ``comment_model``; rows it failed are left out."""
    pipeline = _pipeline(pack_id, comment_model)
    out: dict[int, list[str]] = {}
    for start in range(0, len(texts), _CHUNK):
        results = pipeline.analyze(texts[start : start + _CHUNK])
        for row, result in enumerate(results, start=start):
            if result.error is None:
                out[row] = [theme.id for theme in result.themes]
    return out


@functools.cache
def _pipeline(pack_id: str, comment_model: str) -> Pipeline:
    return Pipeline(PipelineConfig(pack=pack_id, comment_model=comment_model))


def link_topics(
    topic_rows: np.ndarray,
    vocabulary: Mapping[str, int],
    seeds: Mapping[str, Sequence[str]],
    min_score: float,
) -> list[tuple[str, float]]:
    """Map each topic (a row of c-TF-IDF weights over ``vocabulary``) to its closest theme.

    Args:
        topic_rows: ``(n_topics, n_words)`` dense c-TF-IDF weights.
        vocabulary: Word → column of ``topic_rows``.
        seeds: Theme id → cue lemmas.
        min_score: Topics whose best cosine is below this are ``"new"``.

    Returns:
        ``(theme_id, cosine)`` per topic, in row order.
    """
    theme_ids = list(seeds)
    themes = np.zeros((len(theme_ids), topic_rows.shape[1]), dtype=np.float64)
    for i, theme_id in enumerate(theme_ids):
        for word in seeds[theme_id]:
            column = vocabulary.get(word)
            if column is not None:
                themes[i, column] = 1.0
    scores = _cosine(topic_rows.astype(np.float64), themes)
    links: list[tuple[str, float]] = []
    for row in scores:
        best = int(np.argmax(row)) if row.size else -1
        score = float(row[best]) if best >= 0 else 0.0
        links.append((theme_ids[best] if score >= min_score else NEW_THEME, round(score, 4)))
    return links


def _cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a_norm = np.linalg.norm(a, axis=1, keepdims=True)
    b_norm = np.linalg.norm(b, axis=1, keepdims=True)
    a_norm[a_norm == 0] = 1.0
    b_norm[b_norm == 0] = 1.0
    out: np.ndarray = (a / a_norm) @ (b / b_norm).T
    return out
