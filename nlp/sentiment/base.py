"""The sentiment backend interface: clause-level polarity scores for a batch of docs."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar, NamedTuple

from nlp.doc import Doc

__all__ = ["ClauseScore", "PolarItem", "SentimentBackend"]


class PolarItem(NamedTuple):
    """A word or phrase that moved a clause's score (offsets into the normalised text)."""

    start: int
    end: int
    score: float


class ClauseScore(NamedTuple):
    """Polarity of one clause: ``score`` < 0 negative, > 0 positive, about 0 neutral."""

    score: float
    items: tuple[PolarItem, ...] = ()


class SentimentBackend(ABC):
    """Scores every clause of every doc; comment labels are combined from these.

    Subclasses implement :meth:`score_batch` only. Backends are registered by name in
    ``nlp.registry.sentiment_backends`` (``"lexicon.v1"``, ``"transformers.v1"`` …).
    """

    name: ClassVar[str]
    batch_size: ClassVar[int] = 64

    @abstractmethod
    def score_batch(self, docs: Sequence[Doc]) -> list[list[ClauseScore]]:
        """Return, for each doc, one score per clause (same order as ``doc.clauses``)."""

    def score(self, doc: Doc) -> list[ClauseScore]:
        """Score the clauses of a single doc."""
        return self.score_batch([doc])[0]
