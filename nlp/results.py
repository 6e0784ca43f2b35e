"""Plain, JSON-serialisable result types of the pipeline (labels from docs/taxonomy).

Every ``start``/``end`` is a character offset into the *original* comment text.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

__all__ = [
    "AlertResult",
    "ClauseResult",
    "CommentAnalysis",
    "ErrorInfo",
    "Evidence",
    "Intent",
    "PiiSpan",
    "PiiType",
    "Polarity",
    "RESULT_KEYS",
    "Sentiment",
    "SentimentScores",
    "ThemeHit",
]

Sentiment = Literal["positive", "negative", "neutral", "mixed"]
Polarity = Literal["positive", "negative", "neutral"]
Intent = Literal["praise", "complaint", "suggestion", "question", "other"]
PiiType = Literal[
    "name", "email", "phone", "employee_id", "url", "postal_code", "my_number", "custom"
]

SENTIMENTS: tuple[Sentiment, ...] = ("positive", "negative", "neutral", "mixed")
INTENTS: tuple[Intent, ...] = ("praise", "complaint", "suggestion", "question", "other")


@dataclass(frozen=True, slots=True)
class PiiSpan:
    """A piece of personal information found in the original text."""

    type: PiiType
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Evidence:
    """The words in the comment that support a label; ``text`` is redacted."""

    start: int
    end: int
    text: str


@dataclass(slots=True)
class ThemeHit:
    """One theme of the comment with the polarity of the clauses that carry it."""

    id: str
    polarity: Polarity
    evidence: list[Evidence] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SentimentScores:
    """Scores in [0, 1] for each comment-level label; they sum to 1."""

    positive: float
    negative: float
    neutral: float
    mixed: float


@dataclass(slots=True)
class ClauseResult:
    """A clause of the comment: its span, redacted text, polarity and themes."""

    start: int
    end: int
    text: str
    sentiment: Polarity
    score: float
    themes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class AlertResult:
    """Whether the comment needs human follow-up, and why."""

    flag: bool = False
    reasons: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """Why a single comment could not be analysed (the batch goes on)."""

    code: str
    message: str


@dataclass(slots=True)
class CommentAnalysis:
    """Everything the pipeline says about one comment."""

    id: str
    pack: str
    sentiment: Sentiment | None = None
    sentiment_scores: SentimentScores | None = None
    themes: list[ThemeHit] = field(default_factory=list)
    intent: Intent | None = None
    alert: AlertResult = field(default_factory=AlertResult)
    pii: list[PiiSpan] = field(default_factory=list)
    text_redacted: str = ""
    clauses: list[ClauseResult] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)
    error: ErrorInfo | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the stable JSON shape (attributes are merged at the top level)."""
        data = asdict(self)
        attributes = data.pop("attributes")
        for key, value in attributes.items():
            data.setdefault(key, value)
        return data


#: top-level keys of ``CommentAnalysis.to_dict()`` besides the merged attributes
RESULT_KEYS = frozenset(f.name for f in fields(CommentAnalysis)) - {"attributes"}
