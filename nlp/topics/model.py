"""The topic step as a scikit-learn-shaped estimator around BERTopic (fit / transform).

Small or large batches use TruncatedSVD + k-means (no outliers, deterministic); the
``hdbscan`` clusterer uses UMAP + HDBSCAN and then reduces outliers to the configured share.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from bertopic.backend import BaseEmbedder  # type: ignore[import-untyped]

from nlp.errors import ModelLoadError
from nlp.themes import load_pack
from nlp.topics.config import TopicConfig
from nlp.topics.embed import LemmaSvdEmbedder
from nlp.topics.taxonomy import NEW_THEME, link_topics, theme_matrix, theme_seed_words
from nlp.topics.vocab import joined_lemmas

__all__ = ["TopicModel"]

logger = logging.getLogger(__name__)

_TOKEN_PATTERN = r"[^ ]+"
_EMPTY = "emptydoc"  # what BERTopic puts in place of an empty document
_MINIBATCH_FROM = 20_000
_RARE_FROM = 200  # from this many comments, words of one comment are no topic words


class TopicModel:
    """Discover topics in a batch of comments and link each to a taxonomy theme.

    Fitted state: ``bertopic_`` (the BERTopic model), ``embedder_``, ``topics_`` (topic
    per comment of the batch: the training one, or the one given to :meth:`assign`),
    ``embeddings_``, ``themes_`` (topic id → (theme id, score)),
    ``also_themes_`` (topic id → further themes most of its comments match, with shares),
    ``centroids_`` and ``topic_ids_`` (mean embedding per topic, used by :meth:`transform`
    so a loaded model assigns exactly as the fitted one) and ``also_topics_`` (per
    comment of the batch, the further topics of its other themes; see ``config.also_topics``).
    """

    def __init__(self, config: TopicConfig | None = None) -> None:
        """Create an unfitted model; see :class:`TopicConfig` for the settings."""
        self.config = config or TopicConfig()

    def fit(self, texts: Sequence[str]) -> TopicModel:
        """Fit topics on ``texts`` (raw comments; normalised and tokenised here)."""
        from bertopic import BERTopic  # type: ignore[import-untyped]

        docs = joined_lemmas(texts, self.config.pii_terms)
        self.embedder_ = self._make_embedder(docs)
        matches = self._themes(texts)
        self.embeddings_ = self._embed(texts, docs, matches)
        seeds = theme_seed_words(load_pack(self.config.pack))
        seed_list = [w for w in seeds.values() if w] if self.config.seed_topics else None
        distinct = len(np.unique(self.embeddings_, axis=0))
        reducer, clusterer = self._make_steps(len(docs), distinct, self.embeddings_.shape[1])
        self.bertopic_ = BERTopic(
            language="multilingual",  # "english" strips every non-ASCII character
            embedding_model=_ThemedEmbedder(self.embedder_, self.config),
            umap_model=reducer,
            hdbscan_model=clusterer,
            # BERTopic fits the vectorizer on one document per topic, so a document
            # frequency there counts topics: words of one comment are dropped here instead
            vectorizer_model=_vectorizer(),
            top_n_words=self.config.top_n_words,
            min_topic_size=self.config.min_topic_size,
            seed_topic_list=seed_list,
        )
        topic_docs = _drop_rare_words(docs) if len(docs) >= _RARE_FROM else docs
        with warnings.catch_warnings():  # identical comments: SVD has no variance to explain
            warnings.simplefilter("ignore", RuntimeWarning)
            topics, _ = self.bertopic_.fit_transform(topic_docs, embeddings=self.embeddings_)
        self.topics_ = self._reduce_outliers(topic_docs, list(topics))
        self.themes_, self.also_themes_ = self._link(seeds, matches)
        self.topic_ids_ = np.array(sorted(t for t in set(self.topics_) if t != -1), dtype=np.int64)
        labels = np.asarray(self.topics_)
        self.centroids_ = _unit(
            np.stack([self.embeddings_[labels == t].mean(axis=0) for t in self.topic_ids_])
        )
        sims = _unit(self.embeddings_) @ self.centroids_.T
        self.also_topics_ = self._further(sims, matches, self.topics_)
        return self

    def transform(self, texts: Sequence[str]) -> list[int]:
        """Assign each of ``texts`` to a fitted topic (the closest centroid).

        A comment with no word the model knows gets -1 (an outlier).
        """
        return [topics[0] for topics in self.memberships(texts)]

    def memberships(self, texts: Sequence[str]) -> list[list[int]]:
        """Each comment's topic (as :meth:`transform`), then its further topics, if any."""
        _, topics, further = self._assign(texts)
        return [[topic, *more] for topic, more in zip(topics, further, strict=True)]

    def assign(self, texts: Sequence[str]) -> TopicModel:
        """Make ``texts`` the model's batch, keeping its topics (centroids and themes).

        Assigns them as :meth:`memberships` does and keeps their state as :meth:`fit`
        keeps the training batch's (``topics_``, ``embeddings_``, ``also_topics_``), so
        :func:`nlp.topics.result_from_model` describes them: a saved model applied to a
        later survey wave. Topic words, sizes and the word counts behind them become this
        batch's, so a model saved after ``assign`` holds this batch's vocabulary.
        """
        docs = joined_lemmas(texts, self.config.pii_terms)
        self.embeddings_, self.topics_, self.also_topics_ = self._assign(texts, docs)
        # Topic words describe this batch: the fitted batch's words (those of its hidden
        # groups' comments among them) must not label another batch's topics.
        self.bertopic_.topics_ = list(self.topics_)  # read by its per-class words too
        topic_docs = _drop_rare_words(docs) if len(docs) >= _RARE_FROM else docs
        fitted = self.bertopic_.vectorizer_model, self.bertopic_.ctfidf_model
        try:
            self.bertopic_.update_topics(
                topic_docs, top_n_words=self.config.top_n_words, vectorizer_model=_vectorizer()
            )
        except ValueError:  # no comment has a word: no topic has words in this batch
            self.bertopic_.vectorizer_model, self.bertopic_.ctfidf_model = fitted
            self.bertopic_.topic_representations_ = {}
        return self

    def _assign(
        self, texts: Sequence[str], docs: list[str] | None = None
    ) -> tuple[np.ndarray, list[int], list[list[int]]]:
        matches = self._themes(texts)
        if docs is None:
            docs = joined_lemmas(texts, self.config.pii_terms)
        embeddings = self._embed(texts, docs, matches)
        sims = _unit(embeddings) @ self.centroids_.T
        # a comment with no word the model knows (👍, 特になし) is near no topic: outlier
        empty = ~np.any(embeddings, axis=1)
        topics = [
            -1 if blank else int(self.topic_ids_[i])
            for i, blank in zip(np.argmax(sims, axis=1), empty, strict=True)
        ]
        return embeddings, topics, self._further(sims, matches, topics)

    def topic_words(self, topic: int) -> list[str]:
        """Top words of ``topic``, best first."""
        words = self.bertopic_.get_topic(topic) or []
        return [str(w) for w, score in words if w and w != _EMPTY and score > 0]

    def save(self, directory: str | Path) -> None:
        """Save without pickle: BERTopic safetensors + the embedder + config JSON."""
        path = Path(directory)
        # The embedder is saved by us (or named in the config); a pointer given to BERTopic
        # would make it query the model hub for the pointer's revision.
        bertopic_log = logging.getLogger("BERTopic")  # it warns that no embedder is saved
        level = bertopic_log.level
        bertopic_log.setLevel(logging.ERROR)
        try:
            self.bertopic_.save(
                str(path), serialization="safetensors", save_ctfidf=True, save_embedding_model=False
            )
        finally:
            bertopic_log.setLevel(level)
        if isinstance(self.embedder_, LemmaSvdEmbedder):
            self.embedder_.save(path)
        from safetensors.numpy import save_file

        state = {"config": self.config.model_dump(), "themes": self.themes_,
                 "also_themes": self.also_themes_}  # fmt: skip
        (path / "koe_topics.json").write_text(json.dumps(state, ensure_ascii=False), "utf-8")
        tensors: dict[str, np.ndarray] = {
            "centroids": np.ascontiguousarray(self.centroids_, dtype=np.float32),
            "topic_ids": np.ascontiguousarray(self.topic_ids_),
        }
        save_file(tensors, str(path / "koe_topics.safetensors"))

    @classmethod
    def load(cls, directory: str | Path) -> TopicModel:
        """Load a model written by :meth:`save`; it can then :meth:`transform` new comments.

        Raises:
            ModelLoadError: ``directory`` holds no saved topic model, or a damaged one.
        """
        path = Path(directory)
        if not (path / "koe_topics.json").is_file():
            raise ModelLoadError(f"{path}: not a topic model saved by koe topics --save-model")
        try:
            return cls._load(path)
        except Exception as exc:  # noqa: BLE001 — any damage is one clear error
            raise ModelLoadError(
                f"{path}: the saved topic model is incomplete or damaged "
                f"({type(exc).__name__}: {exc}); save it again with --save-model"
            ) from exc

    @classmethod
    def _load(cls, path: Path) -> TopicModel:
        from bertopic import BERTopic
        from safetensors.numpy import load_file

        tensors = load_file(str(path / "koe_topics.safetensors"))
        state = json.loads((path / "koe_topics.json").read_text("utf-8"))
        # Models saved before ``theme_model`` existed linked topics by cue matches alone.
        model = cls(TopicConfig.model_validate({"theme_model": None, **state["config"]}))
        model.embedder_ = (
            LemmaSvdEmbedder.load(path)
            if model.config.embedding_model is None
            else _sentence_transformer(model.config.embedding_model)
        )
        model.bertopic_ = BERTopic.load(
            str(path), embedding_model=_ThemedEmbedder(model.embedder_, model.config)
        )
        # The vectorizer's analyser is not saved with safetensors: re-attach ours.
        model.bertopic_.vectorizer_model.set_params(token_pattern=_TOKEN_PATTERN, tokenizer=None)
        model.centroids_, model.topic_ids_ = tensors["centroids"], tensors["topic_ids"]
        model.themes_ = {int(k): (str(v[0]), float(v[1])) for k, v in state["themes"].items()}
        model.also_themes_ = {
            int(k): [(str(theme), float(score)) for theme, score in v]
            for k, v in state.get("also_themes", {}).items()
        }
        return model

    def _further(
        self, sims: np.ndarray, matches: np.ndarray, topics: Sequence[int]
    ) -> list[list[int]]:
        """Per comment, the further topics its themes (``matches``) lead to.

        For each theme no topic of the comment links yet: of the topics whose main link
        is that theme, the one whose centroid is closest (``sims``).
        """
        if not self.config.also_topics:
            return [[] for _ in topics]
        theme_ids = load_pack(self.config.pack).theme_ids
        led_by: dict[str, list[int]] = {}  # theme → columns of ``sims`` whose topic it leads
        for column, topic in enumerate(self.topic_ids_.tolist()):
            led_by.setdefault(self.themes_[topic][0], []).append(column)
        out: list[list[int]] = []
        for row, topic in enumerate(topics):
            linked, more = self._linked(topic), []
            for theme in (theme_ids[j] for j in np.flatnonzero(matches[row])):
                if theme in linked or theme not in led_by:
                    continue
                column = max(led_by[theme], key=lambda c: (sims[row, c], -c))
                more.append(int(self.topic_ids_[column]))
                linked |= self._linked(more[-1])
            out.append(more)
        return out

    def _linked(self, topic: int) -> set[str]:
        """The themes ``topic`` is linked to (none for outliers)."""
        if topic == -1:
            return set()
        main = {self.themes_[topic][0]} - {NEW_THEME}
        return main | {theme for theme, _ in self.also_themes_.get(topic, [])}

    def _make_embedder(self, docs: list[str]) -> Any:
        if self.config.embedding_model is not None:
            return _sentence_transformer(self.config.embedding_model)
        return LemmaSvdEmbedder(self.config.embedding_dim, self.config.seed).fit(docs)

    def _themes(self, texts: Sequence[str]) -> np.ndarray:
        return theme_matrix(texts, self.config.pack, self.config.theme_model)

    def _embed(self, texts: Sequence[str], docs: list[str], matches: np.ndarray) -> np.ndarray:
        if isinstance(self.embedder_, LemmaSvdEmbedder):
            base = self.embedder_.embed(docs)
        else:
            base = np.asarray(self.embedder_.embed(list(texts)), dtype=np.float32)
        return _with_themes(base, matches, self.config.theme_weight)

    def _make_steps(self, n_docs: int, distinct: int, dim: int) -> tuple[Any, Any]:
        """Reducer and clusterer.

        k-means gets at most one cluster per distinct embedding: more would split
        identical comments (many 「特になし」) between topics.
        """
        cfg = self.config
        if cfg.clusterer == "hdbscan":
            from hdbscan import HDBSCAN  # type: ignore[import-untyped]
            from umap import UMAP  # type: ignore[import-untyped]

            reducer = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine",
                           random_state=cfg.seed)  # fmt: skip
            return reducer, HDBSCAN(min_cluster_size=cfg.min_topic_size, prediction_data=True)
        from sklearn.cluster import KMeans, MiniBatchKMeans
        from sklearn.decomposition import TruncatedSVD

        k = cfg.n_topics or max(2, min(cfg.max_topics, n_docs // (2 * cfg.min_topic_size)))
        k = max(1, min(k, distinct))
        reducer = TruncatedSVD(n_components=max(1, min(cfg.reduced_dim, dim - 1)),
                               random_state=cfg.seed)  # fmt: skip
        if n_docs >= _MINIBATCH_FROM:
            return reducer, MiniBatchKMeans(k, random_state=cfg.seed, n_init=3, batch_size=4096)
        return reducer, KMeans(k, random_state=cfg.seed, n_init=4)

    def _reduce_outliers(self, docs: list[str], topics: list[int]) -> list[int]:
        share = topics.count(-1) / max(1, len(topics))
        if share <= self.config.max_outlier_share or share == 1.0:
            return topics
        new = self.bertopic_.reduce_outliers(
            docs, topics, strategy="embeddings", embeddings=self.embeddings_
        )
        self.bertopic_.update_topics(docs, topics=new, top_n_words=self.config.top_n_words)
        return [int(t) for t in new]

    def _link(
        self, seeds: dict[str, list[str]], matches: np.ndarray
    ) -> tuple[dict[int, tuple[str, float]], dict[int, list[tuple[str, float]]]]:
        """Each topic's theme, and the further themes most of its comments match.

        ``matches`` holds each comment's themes (:func:`theme_matrix`). The topic's
        theme is the one the most members have, if at least ``min_theme_share`` of them
        do (score = that share); otherwise the closest theme by c-TF-IDF cosine to its
        cue words, or ``"new"``. A topic often spans two themes (「上司の評価」:
        leadership and fairness): every other theme at least ``also_theme_share`` of its
        members have is linked as well.
        """
        model = self.bertopic_
        rows = model.c_tf_idf_.toarray()
        vocab = {str(w): i for i, w in enumerate(model.vectorizer_model.get_feature_names_out())}
        ids = sorted(model.get_topics())
        links = dict(
            zip(ids, link_topics(rows[: len(ids)], vocab, seeds, self.config.min_theme_score),
                strict=True)
        )  # fmt: skip
        also: dict[int, list[tuple[str, float]]] = {}
        theme_ids = list(seeds)
        labels = np.asarray(self.topics_)
        for topic in ids:
            if topic == -1 or not (labels == topic).any():
                continue
            shares = (matches[labels == topic] > 0).mean(axis=0)
            # themes its members all share tie: the one its words are closest to wins
            tied = np.flatnonzero(shares == shares.max()).tolist()
            best = next((i for i in tied if theme_ids[i] == links[topic][0]), tied[0])
            if shares[best] >= self.config.min_theme_share:
                links[topic] = (theme_ids[best], round(float(shares[best]), 4))
            also[topic] = [
                (theme_ids[i], round(float(shares[i]), 4))
                for i in sorted(range(len(theme_ids)), key=lambda i: (-shares[i], i))
                if shares[i] >= self.config.also_theme_share and theme_ids[i] != links[topic][0]
            ]
        return links, also


class _ThemedEmbedder(BaseEmbedder):  # type: ignore[misc]
    """What BERTopic embeds with (seed words, new docs): base embedding + cue matches."""

    def __init__(self, base: Any, config: TopicConfig) -> None:
        super().__init__()
        self.base = base
        self.config = config

    def embed(self, documents: list[str], verbose: bool = False) -> np.ndarray:
        # Seed words: their cue matches (a comment model has nothing to say about a word).
        matches = theme_matrix(documents, self.config.pack)
        return _with_themes(self.base.embed(documents), matches, self.config.theme_weight)


def _with_themes(base: np.ndarray, matches: np.ndarray, weight: float) -> np.ndarray:
    """Each embedding with its (unit-length) theme indicators appended, scaled by ``weight``."""
    if weight == 0:
        return base
    return _unit(np.hstack([base, (_unit(matches) * weight).astype(np.float32)]))


def _unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    out: np.ndarray = matrix / np.where(norms == 0, 1.0, norms)
    return out


def _vectorizer() -> Any:
    from sklearn.feature_extraction.text import CountVectorizer

    # Documents are already content lemmas (fugashi), joined by spaces.
    return CountVectorizer(token_pattern=_TOKEN_PATTERN, stop_words=[_EMPTY])


def _drop_rare_words(docs: Sequence[str]) -> list[str]:
    """``docs`` without the words only one of them has (typos, names): no topic words."""
    counts = Counter(word for doc in docs for word in set(doc.split()))
    return [" ".join(w for w in doc.split() if counts[w] > 1) for doc in docs]


def _sentence_transformer(path: str) -> Any:
    from bertopic.backend import SentenceTransformerBackend
    from sentence_transformers import SentenceTransformer

    return SentenceTransformerBackend(SentenceTransformer(path, local_files_only=True))
