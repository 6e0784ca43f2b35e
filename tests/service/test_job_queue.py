"""The durable queue: leases, fencing tokens, re-claims, poison chunks, parallel workers."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import Engine, text

from service.settings import Settings
from service.storage import ChunkResult, JobStore, NewComment, NewJob, WorkQueue
from service.worker import Worker


def make_job(engine: Engine, n: int, chunk_size: int = 10) -> str:
    comments = [NewComment(ext_id=str(i), text=f"良い職場です{i}") for i in range(n)]
    job, created = JobStore(engine, chunk_size).create(1, NewJob("employee", comments, "h"))
    assert created
    return job.id


@pytest.fixture
def tenant(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO tenants (id, name, created_at) VALUES (1, 't', 0)"))


def results(claim: Any) -> list[ChunkResult]:
    return [ChunkResult(s, "{}", None) for s in range(claim.first_seq, claim.end_seq)]


def test_queue_claims_in_order_and_once(engine: Engine, tenant: None) -> None:
    job_id = make_job(engine, 25)
    queue = WorkQueue(engine)
    claims = [queue.claim("w", 60) for _ in range(4)]
    assert [(c.first_seq, c.end_seq) for c in claims[:3]] == [(0, 10), (10, 20), (20, 25)]
    assert claims[3] is None
    assert all(c.job_id == job_id and c.pack == "employee" for c in claims[:3])
    assert JobStore(engine).get(1, job_id).status == "running"


def test_queue_expired_lease_is_reclaimed_and_fenced(engine: Engine, tenant: None) -> None:
    make_job(engine, 5)
    queue = WorkQueue(engine)
    stale = queue.claim("slow", 0.05)
    assert queue.claim("other", 60) is None  # leased
    time.sleep(0.1)
    fresh = queue.claim("other", 60)
    assert fresh is not None and fresh.chunk_id == stale.chunk_id and fresh.attempts == 2
    assert not queue.complete(stale, results(stale), "v")  # lease lost: nothing written
    assert queue.complete(fresh, results(fresh), "v")
    assert not queue.complete(fresh, results(fresh), "v")  # and never twice
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM results")).scalar() == 5


def test_queue_release_and_poison_chunk(engine: Engine, tenant: None, settings: Settings) -> None:
    job_id = make_job(engine, 3)

    class Exploding:
        version = "v"

        def records(self, comments: Any, pack: str) -> list:
            return list(comments)

        def analyze(self, records: Any) -> list:
            raise RuntimeError("model crashed")

    worker = Worker(WorkQueue(engine), Exploding(), settings, "w")  # type: ignore[arg-type]
    for _ in range(settings.max_attempts):
        assert worker.run_once()  # fails, gives the chunk back at once
    assert JobStore(engine).get(1, job_id).status == "running"
    assert worker.run_once()  # attempt max+1: the job fails
    job = JobStore(engine).get(1, job_id)
    assert job.status == "failed" and "3 attempts" in job.error
    assert not worker.run_once()
    with engine.connect() as conn:
        raw = conn.execute(text("SELECT count(*) FROM comments WHERE text IS NOT NULL"))
        assert raw.scalar() == 0


def test_queue_parallel_workers_write_each_result_once(
    engine: Engine, tenant: None, settings: Settings
) -> None:
    job_id = make_job(engine, 300, chunk_size=9)
    queue = WorkQueue(engine)

    class Echo:
        version = "v"

        def records(self, comments: Any, pack: str) -> list:
            return list(comments)

        def analyze(self, records: Any) -> list:
            return [{"id": r.ext_id, "error": None} for r in records]

    workers = [Worker(queue, Echo(), settings, f"w{i}") for i in range(4)]  # type: ignore[arg-type]
    threads = [threading.Thread(target=w.run_until_idle) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT seq FROM results WHERE job_id = :j"), {"j": job_id})
        seqs = [r[0] for r in rows]
    assert sorted(seqs) == list(range(300))
    job = JobStore(engine).get(1, job_id)
    assert (job.status, job.processed) == ("succeeded", 300)


def test_queue_empty_job_succeeds_at_once(engine: Engine, tenant: None) -> None:
    job_id = make_job(engine, 0)
    assert JobStore(engine).get(1, job_id).status == "succeeded"
    assert WorkQueue(engine).claim("w", 60) is None


def test_worker_pool_restarts_dead_workers(settings: Settings) -> None:
    from service.worker import WorkerPool

    pool = WorkerPool(settings.model_copy(update={"workers": 1}))
    pool.start()
    try:
        first = pool.processes[0]
        first.kill()
        first.join(10)
        assert pool.restart_dead() == 1
        assert pool.processes[0] is not first and pool.processes[0].is_alive()
        assert pool.restart_dead() == 0
    finally:
        pool.stop()
    assert pool.processes == []
