"""Batch analysis over a process pool, streaming results in input order."""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from itertools import islice

from nlp.io import InputRecord
from nlp.pipeline import Pipeline, PipelineConfig
from nlp.results import CommentAnalysis
from nlp.themes import load_pack

__all__ = ["analyze_stream", "default_workers", "one_torch_thread"]

logger = logging.getLogger(__name__)

_worker_pipeline: Pipeline | None = None


def default_workers() -> int:
    """One worker per CPU this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def analyze_stream(
    records: Iterable[InputRecord],
    config: PipelineConfig,
    *,
    workers: int = 1,
    chunk_size: int = 500,
    pipeline: Pipeline | None = None,
) -> Iterator[CommentAnalysis]:
    """Analyse ``records`` in chunks, with ``workers`` processes when > 1.

    Results come back in input order; at most ``2 × workers`` chunks are in flight,
    so memory stays bounded on huge inputs.

    Raises:
        ValueError: ``chunk_size`` is below 1.
        UnknownPackError: the config's pack is neither built in nor a pack file (before
            any worker starts).
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, not {chunk_size}")
    load_pack(config.pack)  # a worker would die of it, as a broken process pool
    chunks = _chunked(records, chunk_size)
    if workers <= 1:
        pipe = pipeline or Pipeline(config)
        for chunk in chunks:
            yield from pipe.analyze_records(chunk)
        return
    context = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    with ProcessPoolExecutor(workers, context, initializer=_init_worker, initargs=(config,)) as ex:
        try:
            in_flight = [ex.submit(_analyze_chunk, c) for c in islice(chunks, 2 * workers)]
            while in_flight:
                done = in_flight.pop(0).result()
                nxt = next(chunks, None)
                if nxt is not None:
                    in_flight.append(ex.submit(_analyze_chunk, nxt))
                yield from done
        except BaseException:  # an error, an interrupt, or the caller stopped reading
            _stop(ex)
            raise


def _stop(ex: ProcessPoolExecutor) -> None:
    """End the workers now, not after their chunks: nothing will read those results."""
    ex.shutdown(wait=False, cancel_futures=True)
    for process in list((getattr(ex, "_processes", None) or {}).values()):
        process.terminate()


def _chunked(records: Iterable[InputRecord], size: int) -> Iterator[list[InputRecord]]:
    it = iter(records)
    while chunk := list(islice(it, size)):
        yield chunk


def one_torch_thread() -> None:
    """In a worker process: one torch thread, since the processes are the parallelism.

    Without this every worker runs a thread per core and they fight over the cores.
    """
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)


def _init_worker(config: PipelineConfig) -> None:
    global _worker_pipeline
    _worker_pipeline = Pipeline(config)  # imports torch if the config needs it
    one_torch_thread()


def _analyze_chunk(chunk: list[InputRecord]) -> list[CommentAnalysis]:
    assert _worker_pipeline is not None, "worker not initialised"
    return _worker_pipeline.analyze_records(chunk)
