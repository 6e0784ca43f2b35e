"""Throughput and memory of `analyze` per profile, next to the fugashi floor, in one run.

Usage: python scripts/benchmark.py [--n 10000] [--profiles fast,standard,accurate,accurate-int8]
                                   [--encoder MODEL_DIR] [--output benchmarks/results.json]

The corpus is the repository's labelled comments of 40-100 characters (mean about
50), cycled to N comments. The floor is raw fugashi: tokenise and read lemma + POS
of every word, one process. `analyze` is measured in one process and with a
process pool of one worker per CPU (how `koe analyze --workers 0` runs; also its warm
rate, from the first results on), for each profile (`accurate-int8`: the accurate
profile with dynamic int8 quantisation; `--encoder` swaps their model, e.g. for the
shipped encoder's teacher `bert-ja-v3`). Each profile also analyses one long comment
(the corpus joined) of 1,000, 10,000 and 100,000 characters (the CLI's limit), to show
that time grows with the length and not faster.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import time
from itertools import cycle, islice
from pathlib import Path
from typing import Any

from nlp.comment_model import DEFAULT_ENCODER
from nlp.evaluation import load_labelled
from nlp.io import InputRecord
from nlp.parallel import analyze_stream, default_workers
from nlp.pipeline import Pipeline, PipelineConfig
from nlp.profiles import profile_config

ROOT = Path(__file__).resolve().parent.parent
#: comments per chunk of ``analyze_stream``: results arrive a chunk at a time
CHUNK = 500
#: lengths of the single long comments timed per profile
LONG_CHARS = (1_000, 10_000, 100_000)


def corpus(n: int) -> list[str]:
    """N comments of typical length (40–100 characters), cycled from the labelled files.

    The pool (about 5,200 distinct comments) is far larger than a batch: the encoder
    keeps its last batch's outputs, and a short cycle would let most batches hit it.
    """
    paths = sorted((ROOT / "data").glob("*.jsonl")) + sorted((ROOT / "data/train").glob("*.jsonl"))
    texts = list(
        dict.fromkeys(
            g["text"] for path in paths for g in load_labelled(path) if 40 <= len(g["text"]) <= 100
        )
    )
    return list(islice(cycle(texts), n))


def fugashi_floor(texts: list[str]) -> float:
    """Comments per second of raw fugashi reading lemma and POS of every word."""
    import fugashi

    tagger = fugashi.Tagger()
    started = time.perf_counter()
    for text in texts:
        for word in tagger(text):
            _ = (word.feature.lemma, word.feature.pos1, word.feature.pos2)
    return len(texts) / (time.perf_counter() - started)


def profile(name: str, encoder: str | None = None) -> PipelineConfig:
    """``fast``, ``standard``, ``accurate`` or ``accurate-int8`` (with ``encoder``)."""
    base, _, variant = name.partition("-")
    return profile_config(base, int8=variant == "int8", encoder=encoder)


def analyze_rate(texts: list[str], config: PipelineConfig, workers: int) -> tuple[float, float]:
    """Comments per second of the full pipeline: end to end, and warm.

    One process is warmed before the clock starts, as a long-running one would be. A
    process pool starts its workers (each loads the models) inside the run, as
    ``koe analyze --workers 0`` does; its warm rate counts from the first chunk's
    results on, as ``koe serve --workers N`` runs with its workers already loaded.
    """
    records = [InputRecord(str(i), t, {}) for i, t in enumerate(texts)]
    pipe = Pipeline(config) if workers == 1 else None
    if pipe is not None:
        pipe.analyze(texts[:50])  # warm caches
    started = time.perf_counter()
    warm_from, warm_count, count = started, 0, 0
    for count, _ in enumerate(
        analyze_stream(records, config, workers=workers, chunk_size=CHUNK, pipeline=pipe), 1
    ):
        if count == CHUNK:  # the first chunk's results have arrived
            warm_from, warm_count = time.perf_counter(), count
    ended = time.perf_counter()
    return count / (ended - started), (count - warm_count) / (ended - warm_from)


def long_comment_seconds(texts: list[str], config: PipelineConfig) -> dict[int, float]:
    """Seconds to analyse one comment of each of ``LONG_CHARS`` characters."""
    joined = "".join(texts)
    long_text = (joined * (max(LONG_CHARS) // len(joined) + 1))[: max(LONG_CHARS)]
    pipe = Pipeline(config)
    pipe.analyze(texts[:50])  # warm caches
    seconds = {}
    for chars in LONG_CHARS:
        started = time.perf_counter()
        pipe.analyze([long_text[:chars]])
        seconds[chars] = time.perf_counter() - started
    return seconds


def run(n: int, profiles: list[str], encoder: str | None = None) -> dict[str, Any]:
    """Run every measurement and return the results."""
    texts = corpus(n)
    workers = default_workers()
    results: dict[str, Any] = {
        "n_comments": n,
        "mean_chars": round(statistics.mean(len(t) for t in texts), 1),
        "cpus": workers,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "encoder": encoder or DEFAULT_ENCODER,
    }
    results["fugashi_floor_per_s"] = round(fugashi_floor(texts))
    for name in profiles:
        config = profile(name, encoder)
        results[f"{name}_1_process_per_s"] = round(analyze_rate(texts, config, 1)[0])
        cold, warm = analyze_rate(texts, config, workers)
        results[f"{name}_{workers}_processes_per_s"] = round(cold)
        results[f"{name}_{workers}_processes_warm_per_s"] = round(warm)
        for chars, seconds in long_comment_seconds(texts, config).items():
            results[f"{name}_one_{chars}_char_comment_s"] = round(seconds, 2)
    results["peak_rss_mib_main"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    results["peak_rss_mib_worker"] = round(
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--profiles", default="fast,standard,accurate,accurate-int8")
    parser.add_argument("--encoder", help="the accurate profiles' encoder (default: shipped)")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results.json")
    args = parser.parse_args()
    profiles = [p.strip() for p in args.profiles.split(",") if p.strip()]
    results = run(args.n, profiles, args.encoder)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print("| measurement | value |\n|---|---|")
    for key, value in results.items():
        print(f"| {key} | {value} |")


if __name__ == "__main__":
    main()
