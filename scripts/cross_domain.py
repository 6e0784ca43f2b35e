"""How the profiles generalise to comments unlike their training data.

Two splits of ``data/train/``, each closer to a user's survey export than dev/tune are:

- ``subdomain`` (the standard profile): leave one of the six sub-domain files out
  (office, field and care workplaces; commerce, digital and service customers). A linear
  comment model trained on every other training file meets topics, vocabulary and a
  writer it has not seen. (The other training files are cut by style, not by domain, so
  they are always trained on.) Each held-out file is scored with that model, with and
  without the word vectors, next to the rules alone (``fast``).
- ``later`` (every profile, the accurate one included, also with int8): the shipped
  encoder was trained on every training file but the twelve later ones (boundary themes,
  implied themes, indirect serious reports, export noise; ``data/DATASHEET.md``), so a
  linear model trained on those same files meets the later files unseen, as the encoder
  does.

::

    python scripts/cross_domain.py                 # subdomain: about 11 minutes on 2 cores
    python scripts/cross_domain.py --split later   # about 1.5 minutes

Writes ``benchmarks/cross_domain.json`` (``cross_domain_later.json`` for ``later``).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

from nlp.comment_model import DEFAULT_ENCODER
from nlp.encoder.train import DataConfig
from nlp.evaluation import load_labelled, score_predictions
from nlp.io import InputRecord
from nlp.linear import train_linear
from nlp.pipeline import Pipeline, PipelineConfig
from nlp.profiles import profile_config

ROOT = Path(__file__).resolve().parent.parent
METRICS = ("sentiment_macro_f1", "theme_micro_f1", "theme_precision", "theme_recall",
           "theme_polarity_accuracy", "intent_accuracy", "alert_recall",
           "alert_false_rate")  # fmt: skip
HELD_OUT = ("emp_office", "emp_field", "emp_care", "cus_commerce", "cus_digital", "cus_service")
VARIANTS = {"rules (fast)": None, "standard, no word vectors": "", "standard": "chive-ja-20k"}
#: the twelve files the shipped encoder leaves out (``exclude_files`` of its training
#: config, the default): its held-out check
LATER_FILES = DataConfig().exclude_files


def _score(config: PipelineConfig, gold: list[dict[str, Any]]) -> dict[str, Any]:
    records = [InputRecord(id=str(g["id"]), text=g["text"], attributes={}, pack=g["domain"])
               for g in gold]  # fmt: skip
    metrics = score_predictions(gold, Pipeline(config).analyze_records(records))
    return {k: metrics[k] for k in METRICS} | {"n": len(gold)}


def linear_model(records: list[dict[str, Any]], wordvec: str | None) -> str:
    """Train a linear comment model on ``records`` into a temporary directory; its path."""
    model_dir = Path(tempfile.mkdtemp(prefix="koe-xdomain-"))
    train_linear(records, model_dir, name="xdomain", wordvec=wordvec)
    return str(model_dir)


def _pooled(runs: list[dict[str, Any]]) -> dict[str, float]:
    total = sum(m["n"] for m in runs)
    return {k: round(sum(m[k] * m["n"] for m in runs) / total, 4) for k in METRICS}


def subdomain_split(data: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Leave each sub-domain file out in turn; metrics pooled over the six, by size."""
    pooled: dict[str, list[dict[str, Any]]] = {}
    folds: dict[str, dict[str, Any]] = {}
    for held_out in HELD_OUT:
        gold = data[held_out]
        rest = [r for name, rows in data.items() if name != held_out for r in rows]
        folds[held_out] = {}
        for variant, wordvec in VARIANTS.items():
            if wordvec is None:
                config = profile_config("fast")
            else:
                model = linear_model(rest, wordvec or None)
                config = profile_config("standard", comment_model=model)
            metrics = _score(config, gold)
            folds[held_out][variant] = metrics
            pooled.setdefault(variant, []).append(metrics)
            print(held_out, variant, json.dumps(metrics), flush=True)
    return {"method": "leave one sub-domain file of data/train out; metrics weighted by size",
            "mean": {variant: _pooled(runs) for variant, runs in pooled.items()},
            "folds": folds}  # fmt: skip


def encoder_split() -> tuple[list[Path], list[Path]]:
    """The training files the shipped encoder learns from, and the later ones it leaves out."""
    train_dir = ROOT / "data" / "train"
    later = {path for pattern in LATER_FILES for path in ROOT.glob(pattern)}
    return sorted(set(train_dir.glob("*.jsonl")) - later), sorted(later)


def later_split(data: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Train on every file but the later ones, score every profile on those (pooled)."""
    seen, later = ([path.stem for path in paths] for paths in encoder_split())
    trained = json.loads((ROOT / "models" / DEFAULT_ENCODER / "train_config.json").read_text())
    if trained["data"]["exclude_files"] != LATER_FILES:
        raise SystemExit(f"{DEFAULT_ENCODER} was not trained without exactly the later files")
    rest = [r for name in seen for r in data[name]]
    gold = [r for name in later for r in data[name]]
    linear = linear_model(rest, "chive-ja-20k")
    ensemble = {"comment_model": (linear, DEFAULT_ENCODER)}
    profiles = {
        "fast": profile_config("fast"),
        "standard": profile_config("standard", comment_model=linear),
        "accurate": profile_config("accurate").model_copy(update=ensemble),
        "accurate int8": profile_config("accurate", int8=True).model_copy(update=ensemble),
    }
    mean = {}
    for name, config in profiles.items():
        mean[name] = _score(config, gold)
        print(name, json.dumps(mean[name]), flush=True)
    return {"method": f"train on the files {DEFAULT_ENCODER} saw, score the later ones",
            "trained_on": seen, "held_out": later, "n": len(gold),
            "mean": mean}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("subdomain", "later"), default="subdomain")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    files = sorted((ROOT / "data" / "train").glob("*.jsonl"))
    data = {path.stem: load_labelled(path) for path in files}
    report = subdomain_split(data) if args.split == "subdomain" else later_split(data)
    suffix = "" if args.split == "subdomain" else "_later"
    output = args.output or ROOT / "benchmarks" / f"cross_domain{suffix}.json"
    output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    for variant, m in report["mean"].items():
        print(f"{variant:28s} " + "  ".join(f"{k} {v:.3f}" for k, v in m.items() if k != "n"))


if __name__ == "__main__":
    main()
