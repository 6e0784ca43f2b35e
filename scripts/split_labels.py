"""Split a labelled CSV or JSONL file into train and test parts, stably by text.

Usage: python scripts/split_labels.py LABELS.csv [--test 0.2]
       → LABELS.train.csv and LABELS.test.csv next to it (same columns; CSV as UTF-8 with a
         BOM, which Excel opens correctly whatever the input's encoding)

A row goes to the test part when a hash of its text falls under the test share, so
duplicates never straddle the split and re-running gives the same files.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from nlp.errors import FeedbackError
from nlp.evaluation import load_labelled, text_bucket


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("labels", type=Path)
    parser.add_argument("--test", type=float, default=0.2, help="test share (0–1)")
    args = parser.parse_args()
    if not 0 < args.test < 1:
        raise ValueError(f"--test is a share between 0 and 1 (0.2 for 20 %), not {args.test}")
    rows = load_labelled(args.labels)
    parts: dict[str, list[dict]] = {"train": [], "test": []}
    for row in rows:
        # Salted: independent of the unsalted validation split that train.py takes.
        parts["test" if text_bucket(row["text"], "test") < args.test else "train"].append(row)
    empty = [name for name, part in parts.items() if not part]
    if empty:
        raise ValueError(
            f"{args.labels}: the {empty[0]} part would be empty ({len(rows)} rows, test share "
            f"{args.test}); label more comments or change --test"
        )
    jsonl = args.labels.suffix == ".jsonl"
    for name, part in parts.items():
        out = args.labels.with_suffix(f".{name}{args.labels.suffix}")
        # CSV with a BOM, so that Excel reads it as UTF-8
        with open(out, "w", encoding="utf-8" if jsonl else "utf-8-sig", newline="") as fh:
            if jsonl:
                fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in part)
            else:
                columns = list(dict.fromkeys(k for r in rows for k in r))
                writer = csv.DictWriter(fh, columns)
                writer.writeheader()
                for r in part:
                    themes = r.get("themes")
                    if isinstance(themes, dict):
                        r = {**r, "themes": ";".join(f"{k}:{v}" for k, v in themes.items())}
                    writer.writerow(r)
        print(f"{out}: {len(part)} rows")


if __name__ == "__main__":
    try:
        main()
    except (FeedbackError, OSError, ValueError) as exc:  # user errors: one line, exit 1
        raise SystemExit(f"error: {exc}") from None
