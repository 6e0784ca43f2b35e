"""The preprocessed comment every analysis step reads: text, tokens, clauses, cues."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from nlp.cues import ClauseCues, detect_cues
from nlp.segment import Clause, segment
from nlp.text import NormalizedText, normalize
from nlp.tokenize import Token, tokenize

__all__ = ["Doc", "make_doc"]


@dataclass(slots=True)
class Doc:
    """One normalised, tokenised and segmented comment.

    Token and clause offsets are into ``norm.text``; map them with
    ``norm.to_original`` before reporting.
    """

    norm: NormalizedText
    tokens: list[Token]
    clauses: list[Clause]
    cues: list[ClauseCues]

    @property
    def text(self) -> str:
        """The normalised text."""
        return self.norm.text

    def clause_at(self, offset: int) -> int:
        """Index of the clause holding normalised ``offset`` (the last one past the end)."""
        found = bisect_right(self.clauses, offset, key=lambda c: c.end)
        return min(found, len(self.clauses) - 1)

    def clause_tokens(self, index: int) -> list[Token]:
        """Return the tokens of clause ``index``."""
        clause = self.clauses[index]
        return self.tokens[clause.tok_start : clause.tok_end]

    def clause_doc(self, index: int) -> Doc:
        """Clause ``index`` as a doc of its own, from this doc's tokens (no re-tokenising)."""
        clause = self.clauses[index]
        text = self.text[clause.start : clause.end]
        shift = clause.start
        tokens = [
            t._replace(start=t.start - shift, end=t.end - shift) for t in self.clause_tokens(index)
        ]
        alone = clause._replace(start=0, end=len(text), tok_start=0, tok_end=len(tokens))
        return Doc(NormalizedText(text, text, None, None), tokens, [alone], [self.cues[index]])


def make_doc(text: str) -> Doc:
    """Normalise, tokenise, segment and find the cues of one comment."""
    norm = normalize(text)
    tokens = tokenize(norm.text)
    clauses = segment(norm.text, tokens)
    cues = [detect_cues(tokens[c.tok_start : c.tok_end]) for c in clauses]
    return Doc(norm, tokens, clauses, cues)
