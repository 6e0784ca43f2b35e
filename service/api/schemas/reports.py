"""Schema of ``/v1/jobs/{id}/report``: group statistics with suppressed small groups."""

from __future__ import annotations

from pydantic import BaseModel, Field

from service.api.schemas.common import AttributeValue

__all__ = ["GroupPublic", "ReportPublic", "ThemeStatsPublic"]


class ThemeStatsPublic(BaseModel):
    """How often a theme is mentioned in the group, and with which polarity."""

    id: str
    mentions: int
    mention_rate: float
    positive: int
    negative: int
    neutral: int


class GroupPublic(BaseModel):
    """One group; when ``suppressed`` only ``key`` is given."""

    key: dict[str, AttributeValue]
    suppressed: bool
    n: int | None = None
    sentiment: dict[str, int] | None = None
    sentiment_share: dict[str, float] | None = None
    themes: list[ThemeStatsPublic] | None = None
    alerts: int | None = None


class ReportPublic(BaseModel):
    """A group report of a succeeded job."""

    job_id: str
    pipeline_version: str | None
    group_by: list[str]
    min_group_size: int
    total: GroupPublic = Field(description="All comments; suppressed when it could be subtracted.")
    groups: list[GroupPublic]
    suppressed_groups: int
    excluded_errors: int = Field(description="Comments with an error, not counted in groups.")
