"""Drop training comments that duplicate evaluation comments or each other.

Usage: python scripts/dedupe_train.py [data/train/*.jsonl]

A training comment is dropped when its character-trigram Jaccard similarity with any
comment of data/dev.jsonl or data/tune.jsonl, or with an earlier training comment, is
above 0.9 (short generic comments such as 「特になし」 are the usual cases). Files are
rewritten in place; the counts are printed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from data_stats import cross_duplicates, near_duplicates

from nlp.evaluation import load_labelled

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args()
    files = args.files or sorted((ROOT / "data" / "train").glob("*.jsonl"))
    held = [
        g["text"]
        for name in ("dev.jsonl", "tune.jsonl")
        for g in load_labelled(ROOT / "data" / name)
    ]
    records = [(path, r) for path in files for r in load_labelled(path)]
    texts = [r["text"] for _, r in records]
    drop = {i for i, _, _ in cross_duplicates(texts, held)}
    drop |= {j for _, j, _ in near_duplicates(texts)}  # keep the first of a pair
    for path in files:
        kept = [r for k, (p, r) in enumerate(records) if p == path and k not in drop]
        lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept)
        path.write_text(lines, encoding="utf-8")
    print(
        f"dropped {len(drop)} of {len(records)} training comments; {len(records) - len(drop)} kept"
    )


if __name__ == "__main__":
    main()
