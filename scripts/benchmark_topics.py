"""Benchmark topic discovery (time, peak memory) and check the topic → theme links on dev.

Usage: ``python scripts/benchmark_topics.py --sizes 10000,100000 --output bench.json``;
``--later`` adds the check on the later training files (:func:`later_check`).
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
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
__all__ = ["benchmark", "run_size", "theme_check", "theme_checks"]


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


THEME_SETS = {"dev": ("data/dev.jsonl",), "tune": ("data/tune.jsonl",),
              "train": ("data/train/*.jsonl",)}  # fmt: skip


_KEYS = {"main": "", "all": "_all", "also": "_also"}


def _rows(patterns: tuple[str, ...]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for pattern in patterns:
        for path in sorted(ROOT.glob(pattern)):
            with path.open(encoding="utf-8") as f:
                rows.extend(json.loads(line) for line in f if line.strip())
    return rows


def theme_check(
    patterns: tuple[str, ...], min_comments: int = 15, theme_model: str | None = None
) -> dict[str, Any]:
    """Share of a theme's comments (≥ ``min_comments``) landing in topics linked to it.

    Each domain of the files is one batch (its own pack), as ``koe topics`` would see it.
    ``share`` counts the topic's main theme only, ``share_all`` any theme it is linked to,
    ``share_also`` any theme linked to the topic or to the comment's further topics
    (``also_assignments``). ``summary`` gives, for each, the mean over themes, the share
    over all (comment, theme) pairs and how many themes get more than half of their
    comments into their topics; ``precision``: the share of (comment, linked theme)
    pairs that are right; ``topics_per_comment`` (``also`` only). ``theme_model``
    replaces the config's comment model.
    """
    from nlp.topics import TopicConfig, discover_topics

    rows = _rows(patterns)
    shares: dict[str, Any] = {}
    right = dict.fromkeys(_KEYS, 0)
    linked = dict.fromkeys(_KEYS, 0)
    placed = total = 0
    for domain, pack in (("employee", "employee"), ("customer", "customer")):
        subset = [r for r in rows if r.get("domain") == domain]
        if len(subset) < 2:
            continue
        config = TopicConfig(pack=pack, min_topic_size=5)
        if theme_model is not None:
            config = config.model_copy(update={"theme_model": theme_model})
        result = discover_topics([r["text"] for r in subset], [r["id"] for r in subset], config)
        main_of = {t.id: {t.theme} - {"new"} for t in result.topics}
        all_of = {t.id: {link.id for link in t.themes} for t in result.topics}
        counts: Counter[str] = Counter()
        hits: dict[str, Counter[str]] = {key: Counter() for key in _KEYS}
        for r in subset:
            topic = result.assignments[r["id"]]
            more = result.also_assignments.get(r["id"], [])
            placed += 1 + len(more)
            gold = set(r.get("themes") or {})
            links_of = {"main": main_of.get(topic, set()), "all": all_of.get(topic, set())}
            links_of["also"] = links_of["all"].union(*(all_of[t] for t in more))
            for key, links in links_of.items():
                right[key] += len(links & gold)
                linked[key] += len(links)
                hits[key].update(gold & links)
            counts.update(gold)
        total += len(subset)
        for theme, count in sorted(counts.items()):
            if count >= min_comments:
                row: dict[str, Any] = {"comments": count}
                for key, suffix in _KEYS.items():
                    row["hits" + suffix] = hits[key][theme]
                    row["share" + suffix] = round(hits[key][theme] / count, 3)
                shares[f"{domain}/{theme}"] = row
    pairs = sum(s["comments"] for s in shares.values())
    summary: dict[str, Any] = {"themes": len(shares)}
    for key, suffix in _KEYS.items():
        values = [s["share" + suffix] for s in shares.values()]
        hit_count = sum(s["hits" + suffix] for s in shares.values())
        summary[key] = {
            "mean_share": round(sum(values) / max(1, len(values)), 3),
            "pooled_share": round(hit_count / max(1, pairs), 3),
            "themes_over_half": sum(v > 0.5 for v in values),
            "precision": round(right[key] / max(1, linked[key]), 3),
        }  # fmt: skip
    summary["also"]["topics_per_comment"] = round(placed / max(1, total), 2)
    return {"summary": summary, "themes": shares}


def later_check() -> dict[str, Any]:
    """:func:`theme_check` on each later training file, by a comment model that never saw it.

    As ``cross_domain.py --split later``: the linear model is trained on every training
    file but the twelve later ones; each of those is then its own batch per pack.
    """
    from cross_domain import encoder_split, linear_model

    seen, later = encoder_split()
    model = linear_model(_rows(tuple(_relative(p) for p in seen)), "chive-ja-20k")
    files = {p.stem: theme_check((_relative(p),), theme_model=model)["summary"] for p in later}
    total = {key: sum(f[key]["themes_over_half"] for f in files.values()) for key in _KEYS}
    return {"themes": sum(f["themes"] for f in files.values()), "themes_over_half": total,
            "files": files}  # fmt: skip


def _relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def theme_checks() -> dict[str, Any]:
    """:func:`theme_check` on dev, tune and the training files."""
    return {name: theme_check(patterns) for name, patterns in THEME_SETS.items()}


def benchmark(sizes: list[int], threads: int, previous: list[dict[str, Any]]) -> dict[str, Any]:
    """Run every size in a subprocess with ``threads`` threads, then the theme checks.

    Runs in ``previous`` for sizes not asked for are kept as they are.
    """
    env = os.environ | {k: str(threads) for k in
                        ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                         "NUMBA_NUM_THREADS")}  # fmt: skip
    runs = {int(run["n"]): run for run in previous}
    for n in sizes:
        cmd = [sys.executable, "-W", "ignore", __file__, "--one", str(n)]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
        runs[n] = json.loads(done.stdout.strip().splitlines()[-1])
    return {"threads": threads, "cpus_visible": os.cpu_count(),
            "runs": [runs[n] for n in sorted(runs)], "theme_share": theme_checks()}  # fmt: skip


def _print_themes(checks: dict[str, Any]) -> None:
    for name, check in checks.items():
        print(name, json.dumps(check["summary"]))  # noqa: T201
        print(f"{'theme':>36} {'n':>5} {'main':>6} {'all':>6} {'also':>6}")  # noqa: T201
        for theme, row in check["themes"].items():
            print(f"{theme:>36} {row['comments']:>5} {row['share']:>6} {row['share_all']:>6} "  # noqa: T201
                  f"{row['share_also']:>6}")  # fmt: skip


def main() -> None:
    """Command line entry point; prints a table and writes JSON to ``--output``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--sizes",
        default="10000,100000",
        help="sizes to time; other sizes already in --output are kept",
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--output", default="benchmarks/topics.json")
    parser.add_argument(
        "--themes-only", action="store_true", help="only print the theme checks (nothing written)"
    )
    parser.add_argument(
        "--later",
        action="store_true",
        help="only the check on the later training files (about a minute; into --output)",
    )
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()  # fmt: skip
    if args.one:
        print(json.dumps(run_size(args.one)))  # noqa: T201
        return
    if args.themes_only:
        _print_themes(theme_checks())
        return
    output = Path(args.output)
    old = json.loads(output.read_text("utf-8")) if output.exists() else {}
    if args.later:
        report = old | {"later_files": later_check()}
        print(json.dumps(report["later_files"]["themes_over_half"]))  # noqa: T201
    else:
        report = benchmark([int(s) for s in args.sizes.split(",") if s], args.threads,
                           old.get("runs", []))  # fmt: skip
        if "later_files" in old:  # kept until --later runs again
            report["later_files"] = old["later_files"]
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", "utf-8")
    if args.later:
        return
    print(f"{'n':>8} {'seconds':>8} {'peak MB':>8} {'topics':>7} {'outliers':>8}")  # noqa: T201
    for run in report["runs"]:
        print(f"{run['n']:>8} {run['seconds']:>8} {run['peak_rss_mb']:>8} "  # noqa: T201
              f"{run['topics']:>7} {run['outlier_share']:>8}")  # fmt: skip
    _print_themes(report["theme_share"])


if __name__ == "__main__":
    main()
