"""Storage of the service: SQLAlchemy engine, migrations and the stores routes use."""

from __future__ import annotations

from service.storage.db import create_db_engine, upgrade_database
from service.storage.jobs import IdempotencyConflict, JobStore, checkpoint
from service.storage.keys import KeyStore, generate_key, hash_key
from service.storage.queue import ChunkResult, WorkQueue
from service.storage.types import (
    Claim,
    JobInfo,
    JobStatus,
    KeyInfo,
    NewComment,
    NewJob,
    Principal,
    Scope,
    StoredComment,
)

__all__ = [
    "ChunkResult",
    "Claim",
    "IdempotencyConflict",
    "JobInfo",
    "JobStatus",
    "JobStore",
    "KeyInfo",
    "KeyStore",
    "NewComment",
    "NewJob",
    "Principal",
    "Scope",
    "StoredComment",
    "WorkQueue",
    "checkpoint",
    "create_db_engine",
    "generate_key",
    "hash_key",
    "upgrade_database",
]
