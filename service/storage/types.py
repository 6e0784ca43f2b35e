"""Plain records the store hands out, so routes and workers never see ORM rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "Claim",
    "JobInfo",
    "JobStatus",
    "KeyInfo",
    "NewComment",
    "NewJob",
    "Principal",
    "Scope",
    "StoredComment",
]

JobStatus = Literal["queued", "running", "succeeded", "failed"]
Scope = Literal["full", "reports"]


@dataclass(frozen=True, slots=True)
class Principal:
    """The tenant and scope an API key grants."""

    tenant_id: int
    tenant: str
    key_prefix: str
    scope: Scope


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """An API key as listed by ``koe keys list`` (never the key itself)."""

    id: int
    tenant: str
    prefix: str
    scope: Scope
    created_at: float
    revoked_at: float | None


@dataclass(frozen=True, slots=True)
class NewComment:
    """A comment to store with a new job (``error_*`` set when the input row was bad)."""

    ext_id: str
    text: str | None
    attributes: dict[str, Any] = field(default_factory=dict)
    pack: str | None = None
    error_code: str | None = None
    error_message: str | None = None


@dataclass(frozen=True, slots=True)
class NewJob:
    """What a job is created from; ``request_hash`` identifies the request body."""

    pack: str
    comments: list[NewComment]
    request_hash: str
    group_columns: list[str] = field(default_factory=list)
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class JobInfo:
    """A job's public state."""

    id: str
    status: JobStatus
    pack: str
    group_columns: list[str]
    total: int
    processed: int
    errors: int
    pipeline_version: str | None
    error: str | None
    created_at: float
    updated_at: float
    finished_at: float | None


@dataclass(frozen=True, slots=True)
class Claim:
    """A leased chunk: only the holder of ``token`` may write its results."""

    chunk_id: int
    job_id: str
    pack: str
    first_seq: int
    end_seq: int
    attempts: int
    token: str


@dataclass(frozen=True, slots=True)
class StoredComment:
    """A comment read back for analysis."""

    seq: int
    ext_id: str
    text: str | None
    attributes: dict[str, Any]
    pack: str | None
    error_code: str | None
    error_message: str | None
