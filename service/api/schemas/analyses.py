"""Schemas of ``/v1/analyses``: comments in, per-comment analyses out.

``AnalysisPublic`` documents ``CommentAnalysis.to_dict()``, the one per-comment JSON
shape shared with ``koe analyze``; the comment's attributes appear at the top level.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field, field_validator

from nlp.results import Intent, PiiType, Polarity, Sentiment
from nlp.text import LONE_SURROGATE, has_lone_surrogate
from service.api.schemas.common import AttributeValue

__all__ = [
    "AlertPublic",
    "AnalysesPublic",
    "AnalysisCreate",
    "AnalysisPublic",
    "ClausePublic",
    "CommentIn",
    "ErrorPublic",
    "EvidencePublic",
    "PiiPublic",
    "SentimentScoresPublic",
    "ThemeHitPublic",
]


class CommentIn(BaseModel):
    """One comment; ``id`` defaults to its 1-based position."""

    model_config = ConfigDict(extra="forbid")

    id: str | int | None = Field(default=None, examples=["c-1"])
    text: str | None = Field(examples=["残業が多すぎて疲れました"])
    attributes: dict[str, AttributeValue] = Field(
        default_factory=dict, examples=[{"dept": "営業", "wave": "2024Q1"}]
    )

    @field_validator("id", "text")
    @classmethod
    def _unicode(cls, value: str | int | None) -> str | int | None:
        if isinstance(value, str) and has_lone_surrogate(value):
            raise ValueError(LONE_SURROGATE)
        return value

    @field_validator("attributes")
    @classmethod
    def _storable(cls, attributes: dict[str, AttributeValue]) -> dict[str, AttributeValue]:
        for key, value in attributes.items():
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"attribute {key!r} is {value}, which JSON cannot hold")
            if has_lone_surrogate(key) or isinstance(value, str) and has_lone_surrogate(value):
                raise ValueError(f"attribute {key!r}: {LONE_SURROGATE}")
        return attributes


class AnalysisCreate(BaseModel):
    """A synchronous analysis request (at most ``KOE_MAX_SYNC_COMMENTS`` comments)."""

    model_config = ConfigDict(extra="forbid")

    pack: str | None = Field(default=None, examples=["employee"])
    comments: list[CommentIn]


class EvidencePublic(BaseModel):
    """Words supporting a label; ``text`` is redacted; offsets are in the original."""

    start: int
    end: int
    text: str


class ThemeHitPublic(BaseModel):
    """A theme of the comment and its polarity."""

    id: str
    polarity: Polarity
    evidence: list[EvidencePublic]


class SentimentScoresPublic(BaseModel):
    """Comment-level label scores (sum to 1)."""

    positive: float
    negative: float
    neutral: float
    mixed: float


class AlertPublic(BaseModel):
    """Whether the comment needs human follow-up."""

    flag: bool
    reasons: list[str]
    evidence: list[EvidencePublic]


class PiiPublic(BaseModel):
    """Personal information found in the original text."""

    type: PiiType
    start: int
    end: int


class ClausePublic(BaseModel):
    """One clause: span, redacted text, polarity and themes."""

    start: int
    end: int
    text: str
    sentiment: Polarity
    score: float
    themes: list[str]


class ErrorPublic(BaseModel):
    """Why this comment could not be analysed (the rest of the batch was)."""

    code: str
    message: str


class AnalysisPublic(BaseModel):
    """The analysis of one comment; its attributes are merged at the top level."""

    model_config = ConfigDict(extra="allow")

    id: str
    pack: str
    sentiment: Sentiment | None
    sentiment_scores: SentimentScoresPublic | None
    themes: list[ThemeHitPublic]
    intent: Intent | None
    alert: AlertPublic
    pii: list[PiiPublic]
    text_redacted: str
    clauses: list[ClausePublic]
    error: ErrorPublic | None


class AnalysesPublic(BaseModel):
    """Analyses in the order of the request's comments."""

    data: list[AnalysisPublic]
    count: int
    pipeline_version: str
