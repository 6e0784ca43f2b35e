"""How the standard profile generalises to comments unlike its training data.

Leave-one-file-out over the six sub-domain files of ``data/train/`` (office, field and
care workplaces; commerce, digital and service customers): a linear comment model trained
on every other training file meets topics, vocabulary and a writer it has not seen —
closer to a user's survey export than dev/tune are. (The other training files are cut by
style, not by domain, so they are always trained on.) For each held-out file the full
pipeline (rules + that model) is scored, with and without the word vectors, next to the
rules alone (``fast``). Writes ``benchmarks/cross_domain.json``::

    python scripts/cross_domain.py            # about 20 minutes on 2 cores
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

from nlp.evaluation import load_labelled, score_predictions
from nlp.linear import train_linear
from nlp.pipeline import InputRecord, Pipeline, PipelineConfig
from nlp.profiles import profile_config

ROOT = Path(__file__).resolve().parent.parent
METRICS = ("sentiment_macro_f1", "theme_micro_f1", "theme_polarity_accuracy",
           "intent_accuracy", "alert_recall", "alert_false_rate")  # fmt: skip
HELD_OUT = ("emp_office", "emp_field", "emp_care", "cus_commerce", "cus_digital", "cus_service")
VARIANTS = {"rules (fast)": None, "standard, no word vectors": "", "standard": "chive-ja-20k"}


def _score(config: PipelineConfig, gold: list[dict[str, Any]]) -> dict[str, Any]:
    records = [InputRecord(id=str(g["id"]), text=g["text"], attributes={}, pack=g["domain"])
               for g in gold]  # fmt: skip
    return score_predictions(gold, Pipeline(config).analyze_records(records))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "cross_domain.json")
    args = parser.parse_args()
    files = sorted((ROOT / "data" / "train").glob("*.jsonl"))
    data = {path.stem: load_labelled(path) for path in files}
    pooled: dict[str, list[dict[str, Any]]] = {}
    folds = {}
    for held_out in HELD_OUT:
        gold = data[held_out]
        rest = [r for name, rows in data.items() if name != held_out for r in rows]
        folds[held_out] = {}
        for variant, wordvec in VARIANTS.items():
            if wordvec is None:
                config = profile_config("fast")
            else:
                model_dir = Path(tempfile.mkdtemp(prefix="koe-xdomain-"))
                train_linear(rest, model_dir, name="xdomain", wordvec=wordvec or None)
                config = profile_config("standard", comment_model=str(model_dir))
            metrics = _score(config, gold)
            folds[held_out][variant] = {k: metrics[k] for k in METRICS}
            pooled.setdefault(variant, []).append(metrics | {"n": len(gold)})
            print(held_out, variant, json.dumps(folds[held_out][variant]), flush=True)
    mean = {variant: {k: round(sum(m[k] * m["n"] for m in runs) / sum(m["n"] for m in runs), 4)
                      for k in METRICS} for variant, runs in pooled.items()}  # fmt: skip
    report = {"method": "leave one sub-domain file of data/train out; metrics weighted by size",
              "mean": mean, "folds": folds}  # fmt: skip
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    for variant, m in mean.items():
        print(f"{variant:28s} " + "  ".join(f"{k} {v:.3f}" for k, v in m.items()))


if __name__ == "__main__":
    main()
