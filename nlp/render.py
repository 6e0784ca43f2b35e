"""Assemble a :class:`CommentAnalysis`: map spans to original offsets, redact texts."""

from __future__ import annotations

from collections.abc import Sequence

from nlp.doc import Doc
from nlp.io import InputRecord
from nlp.pii import redact
from nlp.results import (
    AlertResult,
    ClauseResult,
    CommentAnalysis,
    Evidence,
    Intent,
    PiiSpan,
    Polarity,
    Sentiment,
    SentimentScores,
    ThemeHit,
)
from nlp.sentiment import ClauseScore, CombineConfig, clause_polarity
from nlp.themes import ThemeMatch

__all__ = ["MODEL_CUE", "build_result"]

#: ``ThemeMatch.cue`` of a theme found by the comment model: no evidence; its span is
#: empty, or the clause it was located in (which then carries the theme)
MODEL_CUE = "model"


def build_result(
    *,
    record: InputRecord,
    pack: str,
    doc: Doc,
    scores: Sequence[ClauseScore],
    sentiment: Sentiment,
    probabilities: SentimentScores,
    themes: Sequence[ThemeMatch],
    intent: Intent,
    alert: AlertResult,
    pii: Sequence[PiiSpan],
    combine_config: CombineConfig,
) -> CommentAnalysis:
    """Build the public result; every offset is mapped to the original text."""
    norm = doc.norm
    pii_orig = [PiiSpan(s.type, *norm.to_original(s.start, s.end)) for s in pii]
    view = _RedactedView(norm.original, pii_orig)
    clause_themes: list[list[str]] = [[] for _ in doc.clauses]
    theme_scores: dict[str, float] = {}
    theme_sentences: dict[str, set[int]] = {}
    hits: dict[str, ThemeHit] = {}
    for match in themes:
        hit = hits.setdefault(match.theme_id, ThemeHit(match.theme_id, "neutral"))
        if match.cue == MODEL_CUE and match.end == match.start:  # found, not located
            theme_scores.setdefault(match.theme_id, 0.0)
            theme_sentences.setdefault(match.theme_id, set())
            continue
        c = doc.clause_at(match.start)
        if match.cue != MODEL_CUE:  # a located model theme has its clause, not evidence
            start, end = norm.to_original(match.start, match.end)
            hit.evidence.append(Evidence(start, end, view.slice(start, end)))
        if match.theme_id not in clause_themes[c]:
            clause_themes[c].append(match.theme_id)
            theme_scores[match.theme_id] = theme_scores.get(match.theme_id, 0.0) + scores[c].score
            theme_sentences.setdefault(match.theme_id, set()).add(doc.clauses[c].sentence)
    for theme_id, hit in hits.items():
        hit.polarity = _theme_polarity(
            theme_scores[theme_id],
            theme_sentences[theme_id],
            doc,
            scores,
            sentiment,
            combine_config,
        )
    clauses = []
    for i, clause in enumerate(doc.clauses):
        start, end = norm.to_original(clause.start, clause.end)
        clauses.append(
            ClauseResult(
                start,
                end,
                view.slice(start, end),
                clause_polarity(scores[i].score, combine_config),
                round(scores[i].score, 4),
                clause_themes[i],
            )
        )
    alert.evidence = [
        Evidence(*norm.to_original(e.start, e.end), view.slice(*norm.to_original(e.start, e.end)))
        for e in alert.evidence
    ]
    return CommentAnalysis(
        id=record.id,
        pack=pack,
        sentiment=sentiment,
        sentiment_scores=probabilities,
        themes=list(hits.values()),
        intent=intent,
        alert=alert,
        pii=pii_orig,
        text_redacted=view.slice(0, len(norm.original)),
        clauses=clauses,
        attributes=dict(record.attributes),
    )


def _theme_polarity(
    score: float,
    sentences: set[int],
    doc: Doc,
    scores: Sequence[ClauseScore],
    sentiment: Sentiment,
    config: CombineConfig,
) -> Polarity:
    """Polarity of a theme.

    A comment that is not mixed is positive, negative or neutral about each of its themes
    (「店長にキレられてる。もう無理」: the clause naming the theme carries no evaluative
    word, but the comment leaves no doubt). In a mixed comment: the theme's clauses; if
    they are plain, their sentences; then neutral.
    """
    if sentiment != "mixed":
        return sentiment
    polarity = clause_polarity(score, config)
    if polarity != "neutral" or any(cue.question or cue.wish for cue in doc.cues):
        return polarity
    in_sentences = sum(
        s.score for c, s in zip(doc.clauses, scores, strict=True) if c.sentence in sentences
    )
    if clause_polarity(in_sentences, config) != "neutral":
        return clause_polarity(in_sentences, config)
    # No clause of its own says anything (or the comment model found it in none): the
    # point of a mixed comment is its last evaluative clause.
    return clause_polarity(next((s.score for s in reversed(scores) if s.score), 0.0), config)


class _RedactedView:
    """Slices of the original text with PII replaced by placeholders."""

    def __init__(self, original: str, pii: Sequence[PiiSpan]) -> None:
        self.original = original
        self.pii = pii

    def slice(self, start: int, end: int) -> str:
        inside = [
            PiiSpan(s.type, max(s.start, start) - start, min(s.end, end) - start)
            for s in self.pii
            if s.start < end and s.end > start
        ]
        return redact(self.original[start:end], inside)
