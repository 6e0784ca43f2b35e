"""The durable work queue: chunks of comments claimed under a lease, results written once.

A claim is one ``UPDATE … WHERE id = (first free chunk) AND lease expired RETURNING``
statement, atomic on SQLite (one writer) and on PostgreSQL (the outer ``WHERE`` is
re-checked on the locked row). Each claim sets a fresh ``lease_token``; results are
written in the same transaction that marks the chunk done *for that token*, so a
worker whose lease expired and was re-claimed writes nothing, and a crash before the
commit leaves no partial results. The ``(job_id, seq)`` primary key of ``results``
backs this up.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, select, text, update

from service.storage.jobs import checkpoint
from service.storage.models import ChunkRow, CommentRow, JobRow
from service.storage.types import Claim, StoredComment

__all__ = ["ChunkResult", "WorkQueue"]

_CLAIM = text(
    """
    UPDATE chunks SET status = 'claimed', lease_until = :until, lease_token = :token,
        attempts = attempts + 1, claimed_by = :worker
    WHERE id = (
        SELECT id FROM chunks
        WHERE status IN ('pending', 'claimed') AND (lease_until IS NULL OR lease_until < :now)
        ORDER BY id LIMIT 1
    )
    AND status IN ('pending', 'claimed') AND (lease_until IS NULL OR lease_until < :now)
    RETURNING id, job_id, first_seq, end_seq, attempts
    """
)
_COMPLETE = text(
    """
    UPDATE chunks SET status = 'done', lease_until = NULL
    WHERE id = :chunk AND lease_token = :token AND status = 'claimed'
    """
)
_INSERT_RESULT = text(
    "INSERT INTO results (job_id, seq, data, error_code) VALUES (:job, :seq, :data, :code)"
)
_PROGRESS = text(
    """
    UPDATE jobs SET processed = processed + :n, errors = errors + :e, updated_at = :now,
        pipeline_version = :version,
        status = CASE WHEN processed + :n >= total THEN 'succeeded' ELSE 'running' END,
        finished_at = CASE WHEN processed + :n >= total THEN :now ELSE NULL END
    WHERE id = :job
    """
)


@dataclass(frozen=True, slots=True)
class ChunkResult:
    """The analysis of one comment of a chunk, ready to store."""

    seq: int
    data: str
    error_code: str | None


class WorkQueue:
    """Worker-side access to the store: claim, read, complete, fail."""

    def __init__(self, engine: Engine, *, keep_raw_text: bool = False) -> None:
        self._engine = engine
        self._keep_raw_text = keep_raw_text

    def claim(self, worker: str, lease_seconds: float) -> Claim | None:
        """Lease the oldest free chunk (pending, or whose lease expired), if any."""
        now = time.time()
        token = secrets.token_hex(16)
        params = {"until": now + lease_seconds, "token": token, "worker": worker, "now": now}
        with self._engine.begin() as conn:
            row = conn.execute(_CLAIM, params).first()
            if row is None:
                return None
            chunk_id, job_id, first_seq, end_seq, attempts = row
            conn.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.status == "queued")
                .values(status="running", updated_at=now)
            )
            pack = conn.execute(select(JobRow.pack).where(JobRow.id == job_id)).scalar_one()
        return Claim(chunk_id, job_id, pack, first_seq, end_seq, attempts, token)

    def comments(self, claim: Claim) -> list[StoredComment]:
        """Read the comments of a claimed chunk in input order."""
        stmt = (
            select(
                CommentRow.seq,
                CommentRow.ext_id,
                CommentRow.text,
                CommentRow.attributes,
                CommentRow.pack,
                CommentRow.error_code,
                CommentRow.error_message,
            )
            .where(CommentRow.job_id == claim.job_id)
            .where(CommentRow.seq >= claim.first_seq, CommentRow.seq < claim.end_seq)
            .order_by(CommentRow.seq)
        )
        with self._engine.connect() as conn:
            return [
                StoredComment(seq, ext_id, txt, json.loads(attrs), pack, code, message)
                for seq, ext_id, txt, attrs, pack, code, message in conn.execute(stmt)
            ]

    def complete(self, claim: Claim, results: Sequence[ChunkResult], version: str) -> bool:
        """Store a chunk's results if the lease is still ours; return whether stored."""
        now = time.time()
        with self._engine.begin() as conn:
            owned = conn.execute(_COMPLETE, {"chunk": claim.chunk_id, "token": claim.token})
            if owned.rowcount != 1:
                return False  # lease lost (re-claimed after expiry) or job deleted
            conn.execute(
                _INSERT_RESULT,
                [
                    {"job": claim.job_id, "seq": r.seq, "data": r.data, "code": r.error_code}
                    for r in results
                ],
            )
            if not self._keep_raw_text:
                conn.execute(
                    update(CommentRow)
                    .where(CommentRow.job_id == claim.job_id)
                    .where(CommentRow.seq >= claim.first_seq, CommentRow.seq < claim.end_seq)
                    .values(text=None)
                )
            errors = sum(r.error_code is not None for r in results)
            conn.execute(
                _PROGRESS,
                {
                    "n": len(results),
                    "e": errors,
                    "now": now,
                    "version": version,
                    "job": claim.job_id,
                },
            )
            finished = conn.execute(
                select(JobRow.finished_at).where(JobRow.id == claim.job_id)
            ).scalar()
        if finished is not None:
            checkpoint(self._engine)
        return True

    def release(self, claim: Claim) -> None:
        """Give a claimed chunk back at once (after an error) instead of at lease expiry."""
        with self._engine.begin() as conn:
            conn.execute(
                update(ChunkRow)
                .where(ChunkRow.id == claim.chunk_id, ChunkRow.lease_token == claim.token)
                .where(ChunkRow.status == "claimed")
                .values(lease_until=0.0)
            )

    def fail(self, claim: Claim, message: str) -> None:
        """Fail the claim's job: its unfinished chunks are dropped, finished results kept."""
        now = time.time()
        with self._engine.begin() as conn:
            conn.execute(
                update(ChunkRow)
                .where(ChunkRow.job_id == claim.job_id, ChunkRow.status != "done")
                .values(status="failed", lease_until=None)
            )
            if not self._keep_raw_text:
                conn.execute(
                    update(CommentRow).where(CommentRow.job_id == claim.job_id).values(text=None)
                )
            conn.execute(
                update(JobRow)
                .where(JobRow.id == claim.job_id)
                .values(status="failed", error=message, updated_at=now, finished_at=now)
            )
        checkpoint(self._engine)
