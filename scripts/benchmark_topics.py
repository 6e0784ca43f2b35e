"""Benchmark topic discovery (time, peak memory) and check the topic → theme links on dev.

Usage: ``python scripts/benchmark_topics.py --sizes 10000,100000 --output bench.json``.
Each size runs in a fresh subprocess limited to ``--threads`` BLAS threads, so peak RSS
is that run's own. Comments are cycled and recombined from ``data/**/*.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
__all__ = ["benchmark", "dev_theme_check", "run_size"]


def _pool() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for path in sorted(ROOT.glob("data/*.jsonl")) + sorted(ROOT.glob("data/train/*.jsonl")):
        with path.open(encoding="utf-8") as f:
            rows.extend(json.loads(line) for line in f if line.strip())
    return rows


def corpus(n: int) -> list[str]:
    """``n`` comments: the pool once, then pairs of pool comments joined (recombined)."""
    texts = [str(r["text"]) for r in _pool()]
    size = len(texts)
    return [texts[i] if i < size else texts[i % size] + texts[(i * 7 + 3) % size]
            for i in range(n)]  # fmt: skip


def run_size(n: int) -> dict[str, Any]:
    """Fit topics on ``n`` comments in this process; time and peak RSS."""
    from nlp.topics import TopicConfig, discover_topics

    texts = corpus(n)
    started = time.perf_counter()
    result = discover_topics(texts, config=TopicConfig(min_topic_size=max(10, n // 2000)))
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"n": n, "seconds": round(seconds, 2), "peak_rss_mb": round(peak_mb, 1),
            "topics": len(result.topics), "outlier_share": result.outlier_share,
            "new_topics": sum(t.theme == "new" for t in result.topics)}  # fmt: skip


def dev_theme_check(min_comments: int = 15) -> dict[str, Any]:
    """Share of dev comments per theme (≥ ``min_comments``) landing in topics linked to it."""
    from nlp.topics import TopicConfig, discover_topics

    with (ROOT / "data" / "dev.jsonl").open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    shares: dict[str, Any] = {}
    for domain, pack in (("employee", "employee"), ("customer", "customer")):
        subset = [r for r in rows if r.get("domain") == domain]
        if len(subset) < 2:
            continue
        result = discover_topics([r["text"] for r in subset], [r["id"] for r in subset],
                                 TopicConfig(pack=pack, min_topic_size=5))  # fmt: skip
        theme_of = {t.id: t.theme for t in result.topics}
        counts: Counter[str] = Counter()
        hits: defaultdict[str, int] = defaultdict(int)
        for r in subset:
            landed = theme_of.get(result.assignments[r["id"]], "new")
            for theme in r.get("themes") or {}:
                counts[theme] += 1
                hits[theme] += landed == theme
        for theme, count in sorted(counts.items()):
            if count >= min_comments:
                shares[f"{domain}/{theme}"] = {"comments": count,
                                               "share": round(hits[theme] / count, 3)}  # fmt: skip
    return shares


def benchmark(sizes: list[int], threads: int) -> dict[str, Any]:
    """Run every size in a subprocess with ``threads`` threads, then the dev check."""
    env = os.environ | {k: str(threads) for k in
                        ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                         "NUMBA_NUM_THREADS")}  # fmt: skip
    runs = []
    for n in sizes:
        cmd = [sys.executable, "-W", "ignore", __file__, "--one", str(n)]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return {"threads": threads, "cpus_visible": os.cpu_count(), "runs": runs,
            "dev_theme_share": dev_theme_check()}  # fmt: skip


def main() -> None:
    """Command line entry point; prints a table and writes JSON to ``--output``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--output", default="benchmarks/topics.json")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_size(args.one)))  # noqa: T201
        return
    report = benchmark([int(s) for s in args.sizes.split(",") if s], args.threads)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", "utf-8")
    print(f"{'n':>8} {'seconds':>8} {'peak MB':>8} {'topics':>7} {'outliers':>8}")  # noqa: T201
    for run in report["runs"]:
        print(f"{run['n']:>8} {run['seconds']:>8} {run['peak_rss_mb']:>8} "  # noqa: T201
              f"{run['topics']:>7} {run['outlier_share']:>8}")  # fmt: skip
    for theme, row in report["dev_theme_share"].items():
        print(f"{theme:>32} {row['comments']:>5} {row['share']:>6}")  # noqa: T201


if __name__ == "__main__":
    main()
