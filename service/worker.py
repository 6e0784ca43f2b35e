"""Job workers: claim a chunk, analyse it, store its results; in-process or as processes.

``koe serve --workers N`` starts N worker processes next to the API; ``koe worker``
runs one on its own (any number of them may share the database).
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from typing import Any

from nlp.parallel import one_torch_thread
from service.analysis import Analyzer, load_analyzer
from service.settings import Settings
from service.storage import ChunkResult, WorkQueue, create_db_engine, upgrade_database

__all__ = ["Worker", "WorkerPool", "run_worker_process"]

logger = logging.getLogger(__name__)


class Worker:
    """Processes chunks from the queue with one loaded pipeline."""

    def __init__(self, queue: WorkQueue, analyzer: Analyzer, settings: Settings, name: str):
        self.queue = queue
        self.analyzer = analyzer
        self.settings = settings
        self.name = name

    def run_once(self) -> bool:
        """Claim and process one chunk; return ``False`` when there was nothing to do."""
        claim = self.queue.claim(self.name, self.settings.lease_seconds)
        if claim is None:
            return False
        if claim.attempts > self.settings.max_attempts:
            logger.error(
                "chunk %s of job %s failed %d times",
                claim.chunk_id,
                claim.job_id,
                claim.attempts - 1,
            )
            self.queue.fail(
                claim,
                f"comments {claim.first_seq}-{claim.end_seq - 1} could not be analysed after "
                f"{claim.attempts - 1} attempts; see the worker log",
            )
            return True
        try:
            comments = self.queue.comments(claim)
            dicts = self.analyzer.analyze(self.analyzer.records(comments, claim.pack))
            results = [
                ChunkResult(c.seq, json.dumps(d, ensure_ascii=False),
                            (d.get("error") or {}).get("code"))
                for c, d in zip(comments, dicts, strict=True)
            ]  # fmt: skip
            if not self.queue.complete(claim, results, self.analyzer.version):
                logger.warning("lease on chunk %s lost; results discarded", claim.chunk_id)
        except Exception:
            logger.exception("chunk %s of job %s failed", claim.chunk_id, claim.job_id)
            self.queue.release(claim)
        return True

    def run_until_idle(self) -> int:
        """Process chunks until none is free; return how many were processed."""
        count = 0
        while self.run_once():
            count += 1
        return count

    def run_forever(self, should_stop: Callable[[], bool]) -> None:
        """Process chunks, sleeping ``poll_seconds`` when idle, until ``should_stop()``.

        A database error (locked, unreachable) is logged and retried after a pause.
        """
        while not should_stop():
            try:
                busy = self.run_once()
            except Exception:
                logger.exception("worker %s: queue error; retrying", self.name)
                busy = False
                time.sleep(min(5.0, 10 * self.settings.poll_seconds))
            if not busy:
                time.sleep(self.settings.poll_seconds)


def run_worker_process(settings_data: dict[str, Any], name: str, parent_pid: int | None) -> None:
    """Entry point of a worker process; exits on SIGTERM/SIGINT or when its parent dies.

    Args:
        settings_data: ``Settings.model_dump(mode="json")`` of the starting process.
        name: Worker name recorded on claims.
        parent_pid: Stop once this process is gone (``None``: run until signalled).
    """
    settings = Settings(**settings_data)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    engine = create_db_engine(settings.database_url)
    upgrade_database(engine)
    analyzer = load_analyzer(settings)
    one_torch_thread()
    worker = Worker(
        WorkQueue(engine, keep_raw_text=settings.keep_raw_text), analyzer, settings, name
    )
    logger.info("worker %s started", name)

    def should_stop() -> bool:
        orphaned = parent_pid is not None and os.getppid() != parent_pid
        return stop.is_set() or orphaned

    try:
        worker.run_forever(should_stop)
    finally:
        engine.dispose()
        logger.info("worker %s stopped", name)


class WorkerPool:
    """Worker processes started (spawned) by ``koe serve``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.processes: list[BaseProcess] = []

    def start(self) -> None:
        """Start ``settings.workers`` processes."""
        self.processes = [self._spawn(index) for index in range(self.settings.workers)]

    def restart_dead(self) -> int:
        """Replace worker processes that died (crash, OOM kill); return how many."""
        restarted = 0
        for index, process in enumerate(self.processes):
            if not process.is_alive():
                logger.warning("worker %s exited (%s); restarting", index, process.exitcode)
                process.join(0)
                self.processes[index] = self._spawn(index)
                restarted += 1
        return restarted

    def _spawn(self, index: int) -> BaseProcess:
        context = multiprocessing.get_context("spawn")
        process = context.Process(
            target=run_worker_process,
            args=(
                self.settings.model_dump(mode="json"),
                f"{socket.gethostname()}:{os.getpid()}:w{index}",
                os.getpid(),
            ),
            name=f"koe-worker-{index}",
            daemon=True,
        )
        process.start()
        return process

    def alive(self) -> int:
        """Number of worker processes still running."""
        return sum(p.is_alive() for p in self.processes)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask each worker to finish its chunk and exit; kill those that do not."""
        for process in self.processes:
            if process.is_alive():
                process.terminate()
        deadline = time.monotonic() + timeout
        for process in self.processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(1.0)
        self.processes.clear()
