"""Schemas of ``/v1/jobs``: the job resource and pages of its results."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from service.api.schemas.analyses import AnalysisPublic, CommentIn

__all__ = ["JobCreate", "JobPublic", "ResultsPage"]


class JobCreate(BaseModel):
    """An asynchronous batch (JSON form; a file can be uploaded as multipart instead)."""

    model_config = ConfigDict(extra="forbid")

    pack: str | None = Field(default=None, examples=["employee"])
    comments: list[CommentIn]
    group_columns: list[str] | None = Field(
        default=None,
        description="Attributes reports may group by (default: every attribute key).",
        examples=[["dept", "wave"]],
    )


class JobPublic(BaseModel):
    """A job and its progress."""

    id: str
    status: Literal["queued", "running", "succeeded", "failed"]
    pack: str
    group_columns: list[str]
    total: int = Field(description="Comments in the job.")
    processed: int = Field(description="Comments analysed so far.")
    errors: int = Field(description="Comments whose result has an error.")
    progress: float = Field(description="processed / total, 0 to 1.")
    pipeline_version: str | None
    error: str | None = Field(description="Why the job failed, if it did.")
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None


class ResultsPage(BaseModel):
    """Results in input order; pass ``next_cursor`` back to read on."""

    data: list[AnalysisPublic]
    count: int
    next_cursor: str | None = Field(
        description="Cursor of the next page; null once every result has been read."
    )
    job_status: Literal["queued", "running", "succeeded", "failed"]
