"""A longest-match index of phrases written as lemma sequences.

Used by the sentiment lexicon and the alert detector: a phrase is found by one dict
lookup on its first lemma, then a check of the following words.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Generic, TypeVar

from nlp.tokenize import Token, tokenize

__all__ = ["PhraseIndex", "phrase_lemmas"]

V = TypeVar("V")

# Negation auxiliaries are one word for matching: ない (ない), ず (ません, ず), ぬ.
_NEGATIONS = frozenset({"ない", "ず", "ぬ"})


def _canon(lemma: str) -> str:
    return "ない" if lemma in _NEGATIONS else lemma


def _same(tok: Token, lemma: str) -> bool:
    return _canon(tok.lemma) == lemma or tok.surface == lemma


def phrase_lemmas(phrase: str, *, content_only: bool = False) -> tuple[str, ...]:
    """Tokenise a phrase as comments are tokenised and return its lemma sequence."""
    tokens = tokenize(phrase)
    if content_only:
        tokens = [t for t in tokens if t.pos1 not in {"助詞", "補助記号", "記号", "空白"}]
    return tuple(t.lemma for t in tokens)


class PhraseIndex(Generic[V]):
    """Lemma-sequence phrases → values, matched longest first."""

    def __init__(self, entries: Iterable[tuple[Sequence[str], V]] = ()) -> None:
        self._index: dict[str, list[tuple[tuple[str, ...], V]]] = {}
        for lemmas, value in entries:
            self.add(lemmas, value)

    def add(self, lemmas: Sequence[str], value: V) -> None:
        """Add one phrase (a non-empty lemma sequence)."""
        if lemmas:
            canon = tuple(_canon(lemma) for lemma in lemmas)
            bucket = self._index.setdefault(canon[0], [])
            bucket.append((canon, value))
            bucket.sort(key=lambda entry: -len(entry[0]))

    def __contains__(self, lemma: object) -> bool:
        return lemma in self._index

    def starts(self, tok: Token) -> bool:
        """Cheap pre-check: could a phrase start at this word?"""
        return tok.lemma in self._index or tok.surface in self._index or tok.lemma in _NEGATIONS

    def __len__(self) -> int:
        return sum(len(bucket) for bucket in self._index.values())

    def match(
        self, tokens: Sequence[Token], positions: Sequence[int], p: int
    ) -> tuple[int, V] | None:
        """Longest phrase starting at ``tokens[positions[p]]``, over ``positions``.

        Returns ``(number of positions matched, value)`` or ``None``. A word matches a
        phrase lemma by its lemma or its surface.
        """
        tok = tokens[positions[p]]
        bucket = self._index.get(_canon(tok.lemma)) or self._index.get(tok.surface)
        if not bucket:
            return None
        for lemmas, value in bucket:
            n = len(lemmas)
            if p + n <= len(positions) and all(
                _same(tokens[positions[p + k]], lemmas[k]) for k in range(1, n)
            ):
                return n, value
        return None
