"""Pretrained Japanese word vectors: a comment as the mean vector of its content words.

Our labelled comments are a few thousand; word vectors trained on a large corpus tell the
theme heads that 給料 and 年収, or 上司 and 上長, are about the same thing, so a theme is
found when a comment words it differently from every training example. The shipped table
``models/chive-ja-20k`` holds chiVe vectors (built by ``scripts/build_wordvectors.py``);
any directory with the same two files works.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from nlp.errors import ModelLoadError
from nlp.tokenize import Token

__all__ = ["VOCAB_FILE", "WEIGHTS_FILE", "WordVectors", "is_content", "load_word_vectors"]

WEIGHTS_FILE = "model.safetensors"
VOCAB_FILE = "vocab.json"
#: UniDic parts of speech whose words carry what a comment is about
_CONTENT_POS = frozenset({"名詞", "動詞", "形容詞", "形状詞", "副詞", "感動詞"})


def is_content(token: Token) -> bool:
    """Whether a token is a content word that has a vector (numerals do not count)."""
    return token.pos1 in _CONTENT_POS and token.pos2 != "数詞"


@dataclass(frozen=True)
class WordVectors:
    """Unit-length vectors (``float32``, one row each) and the row of each word."""

    rows: dict[str, int]
    vectors: np.ndarray

    @property
    def dim(self) -> int:
        """Vector width."""
        return int(self.vectors.shape[1])

    def embed(self, tokens: Sequence[Token]) -> np.ndarray:
        """Unit-length mean vector of the content words found (zeros when none is)."""
        found = [
            row
            for t in tokens
            if is_content(t)
            if (row := self.rows.get(t.lemma, self.rows.get(t.surface))) is not None
        ]
        if not found:
            return np.zeros(self.dim, dtype=np.float32)
        mean: np.ndarray = self.vectors[found].mean(axis=0)
        return mean / (float(np.linalg.norm(mean)) + 1e-9)

    def embed_many(self, token_lists: Sequence[Sequence[Token]]) -> np.ndarray:
        """:meth:`embed` of each token list, stacked: ``(len(token_lists), dim)``."""
        out = np.zeros((len(token_lists), self.dim), dtype=np.float32)
        for i, tokens in enumerate(token_lists):
            out[i] = self.embed(tokens)
        return out


@lru_cache(maxsize=4)
def load_word_vectors(directory: Path) -> WordVectors:
    """Read ``model.safetensors`` and ``vocab.json`` (``{word: row}``); cached per directory."""
    from safetensors.numpy import load_file

    try:
        vectors = load_file(str(directory / WEIGHTS_FILE))["vectors"].astype(np.float32)
        rows: dict[str, int] = json.loads((directory / VOCAB_FILE).read_text(encoding="utf-8"))
    except (OSError, KeyError, ValueError) as exc:
        raise ModelLoadError(f"cannot load word vectors from {directory}: {exc}") from exc
    if rows and max(rows.values()) >= len(vectors):
        raise ModelLoadError(f"word vectors in {directory}: vocab.json rows exceed the table")
    return WordVectors(rows, vectors)
