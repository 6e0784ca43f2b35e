"""Offline BERTopic embedding backend: TF-IDF on lemma n-grams → TruncatedSVD → L2 norm.

Documents given to it are already space-joined content lemmas (see :mod:`nlp.topics.vocab`).
Its fitted state is saved without pickle (JSON vocabulary + safetensors arrays).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from bertopic.backend import BaseEmbedder  # type: ignore[import-untyped]

__all__ = ["LemmaSvdEmbedder"]

logger = logging.getLogger(__name__)

_TOKEN_PATTERN = r"[^ ]+"


class LemmaSvdEmbedder(BaseEmbedder):  # type: ignore[misc]
    """A scikit-learn TF-IDF + SVD pipeline shaped like a BERTopic embedding backend.

    Call :meth:`fit` on the corpus first; :meth:`embed` then projects any documents.
    """

    def __init__(self, dim: int = 128, seed: int = 42) -> None:
        """Create an unfitted embedder with ``dim`` output dimensions."""
        super().__init__()
        self.dim = dim
        self.seed = seed
        self.vocabulary_: dict[str, int] = {}
        self.idf_: np.ndarray | None = None
        self.components_: np.ndarray | None = None

    def fit(self, documents: Sequence[str]) -> LemmaSvdEmbedder:
        """Learn the TF-IDF vocabulary and the SVD projection from lemma documents."""
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        tfidf = TfidfVectorizer(
            token_pattern=_TOKEN_PATTERN, ngram_range=(1, 2), min_df=2, sublinear_tf=True
        )
        try:
            matrix = tfidf.fit_transform(documents)
        except ValueError:  # every word is rare (tiny input): keep unigrams seen once
            tfidf.set_params(min_df=1)
            try:
                matrix = tfidf.fit_transform(documents)
            except ValueError:
                raise ValueError(
                    "the comments have no content words (only stop words, symbols or "
                    "numbers): there is nothing to find topics in"
                ) from None
        if matrix.shape[1] < 2:  # one word: SVD needs two features; the word is the axis
            components = np.ones((1, matrix.shape[1]))
        else:
            k = max(1, min(self.dim, matrix.shape[1] - 1, matrix.shape[0] - 1))
            svd = TruncatedSVD(n_components=k, random_state=self.seed, algorithm="randomized")
            components = svd.fit(matrix).components_
        self.vocabulary_ = {str(w): int(i) for w, i in tfidf.vocabulary_.items()}
        # safetensors writes raw buffers: arrays must be C-contiguous.
        self.idf_ = np.ascontiguousarray(tfidf.idf_, dtype=np.float32)
        self.components_ = np.ascontiguousarray(components, dtype=np.float32)
        return self

    def embed(self, documents: list[str], verbose: bool = False) -> np.ndarray:
        """Return L2-normalised ``(len(documents), dim)`` float32 embeddings."""
        if self.components_ is None or self.idf_ is None:
            raise RuntimeError("LemmaSvdEmbedder.embed called before fit")
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.preprocessing import normalize

        tfidf = TfidfVectorizer(
            token_pattern=_TOKEN_PATTERN,
            ngram_range=(1, 2),
            sublinear_tf=True,
            vocabulary=self.vocabulary_,
        )
        tfidf.idf_ = self.idf_
        matrix = tfidf.transform(list(documents))
        dense = np.asarray(matrix @ self.components_.T, dtype=np.float32)
        out: np.ndarray = normalize(dense)
        return out

    def save(self, directory: Path) -> None:
        """Write ``embedder.json`` and ``embedder.safetensors`` into ``directory``."""
        from safetensors.numpy import save_file

        if self.components_ is None or self.idf_ is None:
            raise RuntimeError("LemmaSvdEmbedder.save called before fit")
        meta = {"dim": self.dim, "seed": self.seed, "vocabulary": self.vocabulary_}
        (directory / "embedder.json").write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
        tensors = {"idf": self.idf_, "components": self.components_}
        save_file(tensors, str(directory / "embedder.safetensors"))

    @classmethod
    def load(cls, directory: Path) -> LemmaSvdEmbedder:
        """Read an embedder written by :meth:`save`."""
        from safetensors.numpy import load_file

        meta: dict[str, Any] = json.loads((directory / "embedder.json").read_text("utf-8"))
        tensors = load_file(str(directory / "embedder.safetensors"))
        embedder = cls(dim=int(meta["dim"]), seed=int(meta["seed"]))
        embedder.vocabulary_ = {str(k): int(v) for k, v in meta["vocabulary"].items()}
        embedder.idf_ = tensors["idf"]
        embedder.components_ = tensors["components"]
        return embedder
