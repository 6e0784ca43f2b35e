"""Evaluate the pipeline on a labelled JSONL file and write the metrics as JSON.

Usage: python scripts/evaluate.py data/dev.jsonl [--config configs/default.toml]
       [--output out/eval.json] [--show-errors N]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from nlp.evaluation import evaluate
from nlp.pipeline import PipelineConfig

HEADLINE = [
    ("sentiment_accuracy", "sentiment accuracy"),
    ("sentiment_macro_f1", "sentiment macro-F1 (4 classes)"),
    ("theme_micro_f1", "theme micro-F1"),
    ("theme_precision", "theme precision"),
    ("theme_recall", "theme recall"),
    ("theme_polarity_accuracy", "theme polarity accuracy"),
    ("intent_accuracy", "intent accuracy"),
    ("pii_recall", "PII recall"),
    ("alert_recall", "alert recall"),
    ("alert_false_rate", "false-alert rate"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--config", type=Path, help="pipeline config TOML")
    parser.add_argument("--output", type=Path, help="write all metrics here as JSON")
    args = parser.parse_args()
    config = PipelineConfig.from_toml(args.config) if args.config else PipelineConfig()
    metrics = evaluate(args.data, config)
    print(f"{args.data} — {metrics['n']} comments — {metrics['pipeline_version']}")
    for key, label in HEADLINE:
        value = metrics[key]
        print(f"  {label:<34} {'n/a' if value is None else f'{value:.3f}'}")
    for domain, values in metrics["by_domain"].items():
        shown = ", ".join(f"{k} {v:.3f}" for k, v in values.items() if k != "n")
        print(f"  {domain} (n={values['n']}): {shown}")
    print(
        "  per tag (sentiment accuracy): "
        + ", ".join(
            f"{tag} {v['accuracy']:.2f} (n={v['n']})"
            for tag, v in metrics["sentiment_accuracy_by_tag"].items()
        )
    )
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(metrics, ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"metrics written to {args.output}")


if __name__ == "__main__":
    main()
