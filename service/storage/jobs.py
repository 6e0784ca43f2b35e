"""Jobs, comments and results of one tenant: create (idempotent), read, page, delete."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any, cast

from sqlalchemy import Engine, delete, func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.storage.models import ChunkRow, CommentRow, JobRow, ResultRow
from service.storage.types import JobInfo, JobStatus, NewJob

__all__ = ["IdempotencyConflict", "JobStore"]

logger = logging.getLogger(__name__)

_INSERT_BATCH = 5000


class IdempotencyConflict(Exception):
    """The idempotency key was already used with a different request body."""


class JobStore:
    """Tenant-scoped job storage; every method takes the tenant id."""

    def __init__(self, engine: Engine, chunk_size: int = 200) -> None:
        self._engine = engine
        self._chunk_size = chunk_size

    def ping(self) -> bool:
        """Return whether the database answers."""
        try:
            with self._engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:  # noqa: BLE001 — any failure means "not reachable"
            logger.warning("database ping failed", exc_info=True)
            return False
        return True

    def create(self, tenant_id: int, job: NewJob) -> tuple[JobInfo, bool]:
        """Create a job, or return the one made earlier with the same idempotency key.

        Returns:
            The job and whether it was created by this call.

        Raises:
            IdempotencyConflict: the key was used for a different request.
        """
        if job.idempotency_key is not None:
            existing = self._by_key(tenant_id, job)
            if existing is not None:
                return existing, False
        try:
            return self._insert(tenant_id, job), True
        except IntegrityError:
            # a concurrent request with the same key won the race
            existing = self._by_key(tenant_id, job)
            if existing is None:
                raise
            return existing, False

    def get(self, tenant_id: int, job_id: str) -> JobInfo | None:
        """Return a job of the tenant, or ``None``."""
        with Session(self._engine) as session:
            row = session.get(JobRow, job_id)
            if row is None or row.tenant_id != tenant_id:
                return None
            return _info(row)

    def results_page(
        self, tenant_id: int, job_id: str, after: int, limit: int
    ) -> tuple[list[str], int | None, bool]:
        """Return result JSON texts after seq ``after`` in input order.

        Only results before the first unfinished chunk are returned, so a page never
        skips a comment that a slower worker is still analysing.

        Returns:
            The JSON texts, the seq of the last one (``None`` if empty) and whether
            every result of the job has been read.
        """
        with self._engine.connect() as conn:
            total = conn.execute(
                select(JobRow.total).where(JobRow.id == job_id, JobRow.tenant_id == tenant_id)
            ).scalar()
            if total is None:
                raise KeyError(job_id)
            watermark = conn.execute(
                select(func.min(ChunkRow.first_seq)).where(
                    ChunkRow.job_id == job_id, ChunkRow.status.in_(("pending", "claimed"))
                )
            ).scalar()
            end = total if watermark is None else int(watermark)
            rows = conn.execute(
                select(ResultRow.seq, ResultRow.data)
                .where(ResultRow.job_id == job_id, ResultRow.seq > after, ResultRow.seq < end)
                .order_by(ResultRow.seq)
                .limit(limit + 1)
            ).all()
        more = len(rows) > limit
        rows = rows[:limit]
        last = rows[-1][0] if rows else None
        return [r[1] for r in rows], last, watermark is None and not more

    def iter_results(self, tenant_id: int, job_id: str) -> Iterator[dict[str, Any]]:
        """Yield the job's successful result dicts in input order (for reports)."""
        stmt = (
            select(ResultRow.data)
            .join(JobRow, JobRow.id == ResultRow.job_id)
            .where(ResultRow.job_id == job_id, JobRow.tenant_id == tenant_id)
            .where(ResultRow.error_code.is_(None))
            .order_by(ResultRow.seq)
        )
        with self._engine.connect() as conn:
            for (data,) in conn.execute(stmt):
                yield cast(dict[str, Any], json.loads(data))

    def delete(self, tenant_id: int, job_id: str) -> bool:
        """Delete a job with its comments, chunks and results; return whether it existed."""
        with self._engine.begin() as conn:
            owned = conn.execute(
                select(JobRow.id).where(JobRow.id == job_id, JobRow.tenant_id == tenant_id)
            ).first()
            if owned is None:
                return False
            for table in (ResultRow, ChunkRow, CommentRow):
                conn.execute(delete(table).where(table.job_id == job_id))
            conn.execute(delete(JobRow).where(JobRow.id == job_id))
        checkpoint(self._engine)
        return True

    def count_by_status(self) -> dict[str, int]:
        """Return the number of jobs in each status (all tenants; for metrics)."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(JobRow.status, func.count()).group_by(JobRow.status))
            return {status: int(n) for status, n in rows}

    def _by_key(self, tenant_id: int, job: NewJob) -> JobInfo | None:
        with Session(self._engine) as session:
            row = session.scalar(
                select(JobRow).where(
                    JobRow.tenant_id == tenant_id, JobRow.idempotency_key == job.idempotency_key
                )
            )
            if row is None:
                return None
            if row.request_hash != job.request_hash:
                raise IdempotencyConflict(job.idempotency_key)
            return _info(row)

    def _insert(self, tenant_id: int, job: NewJob) -> JobInfo:
        now = time.time()
        job_id = str(uuid.uuid4())
        total = len(job.comments)
        row = JobRow(
            id=job_id,
            tenant_id=tenant_id,
            status="queued",
            pack=job.pack,
            group_columns=json.dumps(job.group_columns, ensure_ascii=False),
            idempotency_key=job.idempotency_key,
            request_hash=job.request_hash,
            total=total,
            processed=0,
            errors=0,
            created_at=now,
            updated_at=now,
        )
        with Session(self._engine) as session, session.begin():
            session.add(row)
            session.flush()
            comments = [
                {
                    "job_id": job_id,
                    "seq": seq,
                    "ext_id": c.ext_id,
                    "text": c.text,
                    "attributes": json.dumps(c.attributes, ensure_ascii=False),
                    "pack": c.pack,
                    "error_code": c.error_code,
                    "error_message": c.error_message,
                }
                for seq, c in enumerate(job.comments)
            ]
            for start in range(0, len(comments), _INSERT_BATCH):
                session.execute(insert(CommentRow), comments[start : start + _INSERT_BATCH])
            chunks = [
                {
                    "job_id": job_id,
                    "first_seq": s,
                    "end_seq": min(s + self._chunk_size, total),
                    "status": "pending",
                    "attempts": 0,
                }
                for s in range(0, total, self._chunk_size)
            ]
            if chunks:
                session.execute(insert(ChunkRow), chunks)
            else:
                row.status, row.finished_at = "succeeded", now
            info = _info(row)
        return info


def checkpoint(engine: Engine) -> None:
    """Fold the SQLite WAL into the database and truncate it (best effort).

    With ``secure_delete`` this leaves no copy of wiped or deleted text in the WAL file.
    """
    if engine.dialect.name != "sqlite":
        return
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA busy_timeout=200")
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").all()
            conn.exec_driver_sql("PRAGMA busy_timeout=30000")
    except Exception:  # noqa: BLE001 — the next checkpoint will do
        logger.debug("WAL checkpoint skipped", exc_info=True)


def _info(row: JobRow) -> JobInfo:
    return JobInfo(
        id=row.id,
        status=cast(JobStatus, row.status),
        pack=row.pack,
        group_columns=list(json.loads(row.group_columns)),
        total=row.total,
        processed=row.processed,
        errors=row.errors,
        pipeline_version=row.pipeline_version,
        error=row.error,
        created_at=row.created_at,
        updated_at=row.updated_at,
        finished_at=row.finished_at,
    )
