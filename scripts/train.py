"""Train the encoder comment model, then evaluate it and write its model card.

Usage:
  python scripts/train.py [--config configs/train.toml] [KEY=VALUE ...]
                          [--data FILE ...] [--output DIR]
  python scripts/train.py --config configs/distil.toml --overwrite  # the shipped bert-ja-v3-l2
  python scripts/train.py --evaluate-only models/bert-ja-v3-l2

KEY=VALUE are dotted overrides of the config, e.g. ``optim.epochs=3 model.num_layers=2
model.base_model=/path/to/hf-checkpoint``; ``--config`` also takes a model's own
``train_config.json``. ``--data`` trains on your own labelled CSV or
JSONL (columns ``text,sentiment[,intent][,themes]``; see README "Retrain on your own
labels"). The model directory (default ``models/<name>``) gets ``model.safetensors``,
tokenizer files, ``config.json``, ``heads.safetensors``, ``koe.json``,
``train_config.json``, ``metrics.json`` and ``MODEL_CARD.md``; with ``--output`` and no
``name=`` the model is named after its directory. Everything is written into a hidden
``.NAME.partial`` directory beside it, which replaces the model directory only when the run
(evaluation included) succeeded: a failed or interrupted run leaves the old model as it was.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from nlp.comment_model import DEFAULT_LINEAR, staged_model_dir
from nlp.encoder.train import TrainConfig, train_encoder
from nlp.errors import ConfigError, FeedbackError
from nlp.evaluation import evaluate, evaluate_polarity, load_labelled
from nlp.profiles import profile_config

ROOT = Path(__file__).resolve().parent.parent
CHABSA = ROOT / "data" / "chabsa" / "chabsa.tsv"
KEYS = ("sentiment_macro_f1", "sentiment_accuracy", "sentiment_per_class", "intent_accuracy",
        "theme_micro_f1", "theme_polarity_accuracy", "alert_recall", "alert_false_rate",
        "sentiment_accuracy_by_tag", "by_domain")  # fmt: skip


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    """``a.b=1`` → ``{"a": {"b": 1}}``; values are TOML literals, else strings."""
    tree: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep:
            raise SystemExit(f"error: override {pair!r} is not KEY=VALUE")
        try:
            value = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw
        *parents, leaf = key.split(".")
        node = tree
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return tree


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        both = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = _merge(out[key], value) if both else value
    return out


def evaluate_model(model_dir: Path) -> dict[str, Any]:
    """The accurate profile with this encoder on dev, tune and held-out chABSA."""
    config = profile_config("accurate", encoder=str(model_dir))
    metrics: dict[str, Any] = {}
    for split in ("dev", "tune"):
        result = evaluate(ROOT / "data" / f"{split}.jsonl", config)
        metrics[split] = {k: result[k] for k in KEYS}
    train_config = json.loads((model_dir / "train_config.json").read_text(encoding="utf-8"))
    holdout = train_config["data"]["polarity_holdout"]
    metrics["chabsa_heldout"] = evaluate_polarity(CHABSA, config, holdout=holdout)
    return metrics


TABLE_HEAD = (
    "| set | sentiment macro-F1 | sentiment acc. | theme micro-F1 | theme polarity "
    "| intent acc. | alert recall | false alerts |\n|---|---|---|---|---|---|---|---|"
)


def _row(name: str, m: dict[str, Any]) -> str:
    cells = [m[k] for k in ("sentiment_macro_f1", "sentiment_accuracy", "theme_micro_f1",
                            "theme_polarity_accuracy", "intent_accuracy", "alert_recall",
                            "alert_false_rate")]  # fmt: skip
    return f"| {name} | " + " | ".join(f"{v:.3f}" if v is not None else "—" for v in cells) + " |"


def _polarity_data(data: dict[str, Any]) -> str:
    """The card's line on sentence polarity data, or nothing when none was used."""
    if not data["polarity_files"]:
        return ""
    kept = f"{100 * (1 - data['polarity_holdout']):.0f} % not held out"
    if data["polarity_files"] == ["data/chabsa/chabsa.tsv"]:
        return (
            "- `data/chabsa/chabsa.tsv` (chABSA, CC BY 4.0, financial reports): the\n"
            f"  {kept}, as sentiment-only examples.\n"
        )
    files = ", ".join(f"`{pattern}`" for pattern in data["polarity_files"])
    return f"- {files} (sentence polarity): the {kept}, as sentiment-only examples.\n"


def model_card(
    out: Path, metrics: dict[str, Any], summary: dict[str, Any], *, published: Path | None = None
) -> str:
    """MODEL_CARD.md from the resolved config, the training summary and the metrics.

    ``out`` holds the model files; ``published`` is the directory it is published as
    (default ``out``), named in the command that reproduces it.
    """
    config = json.loads((out / "train_config.json").read_text(encoding="utf-8"))
    koe = json.loads((out / "koe.json").read_text(encoding="utf-8"))
    model, data, dev = config["model"], config["data"], metrics["dev"]
    chabsa = metrics["chabsa_heldout"]
    per_class = "\n".join(
        f"| {label} | {dev['sentiment_per_class'][label]['precision']:.3f} "
        f"| {dev['sentiment_per_class'][label]['recall']:.3f} "
        f"| {dev['sentiment_per_class'][label]['f1']:.3f} |"
        for label in ("positive", "negative", "neutral", "mixed")
    )
    tags = "\n".join(
        f"| {tag} | {v['n']} | {v['accuracy']:.2f} |"
        for tag, v in sorted(dev["sentiment_accuracy_by_tag"].items())
    )
    base = model["base_model"] or "none (trained from scratch)"
    examples = "comments, clauses, sentences"
    if model.get("teacher"):
        base = (
            f"none; distilled from `{model['teacher']}`: its tokenizer, embeddings, heads\n"
            f"and {model['num_layers']} of its layers, trained on its outputs next to the labels"
        )
        examples += ", and unlabelled clauses and comment pairs rated by the teacher"
    size = sum(f.stat().st_size for f in out.glob("*.safetensors")) / 2**20
    themes = sum(name.startswith("theme:") for name in koe["binary"])
    binary = (
        "`alert` and one" if "alert" in koe["binary"] else "one"
    ) + f" per theme ({themes} themes)"
    files = ", ".join(f"`{pattern}`" for pattern in data["train_files"])
    if all(pattern.startswith("data/train/") for pattern in data["train_files"]):
        if excluded := data.get("exclude_files"):
            files += " except " + ", ".join(f"`{pattern}`" for pattern in excluded)
        source = (
            f"{files}: Japanese employee-survey\n  and customer comments written for koe "
            "(`data/DATASHEET.md`)"
        )
        unseen = "; dev and tune are never trained on"
    else:  # the researcher's own labels (--data)
        source, unseen = f"{files}: your labelled comments", ""
    where = (published or out).resolve()
    chabsa_used = any("chabsa" in pattern for pattern in data["polarity_files"])
    license_extra = "; chABSA part CC BY 4.0" if chabsa_used else ""
    config_path = where.relative_to(ROOT) if where.is_relative_to(ROOT) else where
    output = "" if where == ROOT / "models" / config["name"] else f" --output {config_path}"
    return f"""# {config["name"]} — koe transformer comment model

A BERT encoder ({model["num_layers"]} layers, hidden {model["hidden_size"]},
{model["num_heads"]} heads, {summary["parameters"]:,} parameters, {size:.1f} MB of safetensors)
with a Japanese word tokenizer (`BertJapaneseTokenizer`: MeCab via fugashi + unidic-lite,
then WordPiece over a vocabulary of {model["vocab_size"]:,} built from the training texts).
Base checkpoint: {base}. A comment is encoded once, as its clauses in a row; the comment
vector is the mean of all token states, each clause vector the mean of its own tokens'
states (in context). Heads:

- **sentiment** (positive / negative / neutral / mixed) — reads the comment vector *and*
  every clause vector; clause targets come from single-clause comments and from clauses
  that carry exactly one labelled theme (that theme's polarity). The `encoder.v1`
  backend uses the clause scores behind per-theme polarity and "mixed";
- **intent** (praise / complaint / suggestion / question / other);
- **binary**: {binary}.

In koe's `accurate` profile (the default) its probabilities are averaged with the linear
model's (`{DEFAULT_LINEAR}`, weights 0.2 / 0.8 chosen on tune; the alert flag is the higher
of the two), and its clause scores blended with the lexicon's; evidence spans, PII and
rule alerts stay rule-based.

## Data

- {source};
  {100 * data["valid_fraction"]:.0f} % of them (chosen by a hash of the text) are the
  early-stopping split{unseen}.
{_polarity_data(data)}- {summary["n_examples"]:,} training examples in all ({examples}).

Training: {summary["train_seconds"] / 60:.1f} min on CPU, best epoch {summary["best_epoch"]}
(early stopping, patience {config["optim"]["patience"]}), seed {config["seed"]}. Reproduce:
`python scripts/train.py --config {config_path}/train_config.json{output} --overwrite`
(`configs/train.toml` documents every key).

## Metrics (koe `accurate` profile with this model)

{TABLE_HEAD}
{_row("dev (450)", dev)}
{_row("tune (330)", metrics["tune"])}

chABSA held-out sentences ({chabsa["n"]}, never trained on): accuracy
**{chabsa["accuracy"]:.3f}** (label must be exactly positive/negative),
{chabsa["binary_accuracy"]:.3f} comparing P(positive) with P(negative);
always-positive scores {chabsa["always_positive"]:.3f}.

Dev sentiment per class:

| label | precision | recall | F1 |
|---|---|---|---|
{per_class}

Dev sentiment accuracy per phenomenon:

| tag | n | accuracy |
|---|---|---|
{tags}

## Intended use, limits, license

Comment-level labels, per-theme polarity and follow-up flags for Japanese survey and
review comments, next to koe's rules. Known failure modes: trained from scratch on a few
thousand comments written by a small number of writers, it knows little Japanese beyond
them — rare words, long comments (truncated at {koe["max_length"]} tokens), strong dialect
and sarcasm without markers are weak spots, and real survey exports will score lower than
the tables above. Do not use it alone to decide about a person; alerts are for follow-up
by a human. License: Apache-2.0 (weights and koe's data){license_extra}.
"""


def load_config(args: argparse.Namespace) -> TrainConfig:
    """The config file (if any) with the overrides.

    With ``--output`` the model is named after its directory unless ``name=`` is given.

    Raises:
        ConfigError: A value is invalid (one line per value).
    """
    values: dict[str, Any] = {}
    if args.config:  # TOML (configs/), or a model's train_config.json to rebuild it
        text = args.config.read_text(encoding="utf-8")
        values = json.loads(text) if args.config.suffix == ".json" else tomllib.loads(text)
    overrides = parse_overrides(args.overrides)
    values = _merge(values, overrides)
    if args.output and "name" not in overrides:  # koe.json names the model as its directory
        values["name"] = args.output.resolve().name
    try:
        return TrainConfig.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(config_errors(exc)) from None


def config_errors(exc: ValidationError) -> str:
    """One line per invalid config value: its dotted key, the problem and the value given."""
    lines = []
    for error in exc.errors(include_url=False):
        key = ".".join(map(str, error["loc"])) or "config"
        given = f" (got {error['input']!r})" if "input" in error and error["loc"] else ""
        lines.append(f"{key}: {error['msg']}{given}")
    return "invalid training config:\n  " + "\n  ".join(lines)


def write_evaluation(model_dir: Path, summary: dict[str, Any], published: Path) -> None:
    """Evaluate the model in ``model_dir``; write metrics.json and MODEL_CARD.md there."""
    metrics = evaluate_model(model_dir)
    (model_dir / "metrics.json").write_text(
        json.dumps(metrics, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    card = model_card(model_dir, metrics, summary, published=published)
    (model_dir / "MODEL_CARD.md").write_text(card, encoding="utf-8")
    print(json.dumps({s: {k: metrics[s][k] for k in ("sentiment_macro_f1", "theme_micro_f1",
                      "theme_polarity_accuracy")} for s in ("dev", "tune")}))  # fmt: skip
    print(json.dumps({"chabsa_heldout": metrics["chabsa_heldout"]}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE")
    parser.add_argument("--config", type=Path, help="training config TOML")
    parser.add_argument(
        "--data", action="append", type=Path, help="a labelled CSV/JSONL file (repeatable)"
    )
    parser.add_argument("--output", type=Path, help="model directory (default models/<name>)")
    parser.add_argument("--evaluate-only", type=Path, metavar="MODEL_DIR")
    parser.add_argument("--no-evaluate", action="store_true", help="skip dev/tune evaluation")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing model")
    args = parser.parse_intermixed_args()  # overrides may come before or after options
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    if args.evaluate_only:
        if not args.no_evaluate:
            summary = json.loads((args.evaluate_only / "training.json").read_text("utf-8"))
            write_evaluation(args.evaluate_only, summary, args.evaluate_only)
        return
    config = load_config(args)
    records = None
    if args.data:  # recorded in train_config.json as the files trained on
        records = [r for path in args.data for r in load_labelled(path)]
        data = config.data.model_copy(
            update={"train_files": [str(p) for p in args.data], "exclude_files": []}
        )
        config = config.model_copy(update={"data": data})
    out = args.output or ROOT / "models" / config.name
    # Everything is written into a hidden sibling directory that replaces ``out`` only
    # when the run succeeded: a failed or interrupted run leaves the old model as it was.
    try:
        with staged_model_dir(out, overwrite=args.overwrite) as staging:
            summary = train_encoder(config, staging, records=records)
            (staging / "training.json").write_text(
                json.dumps(summary, indent=2) + "\n", encoding="utf-8"
            )
            print(json.dumps({k: summary[k] for k in ("best_epoch", "valid", "train_seconds")}))
            if not args.no_evaluate:
                write_evaluation(staging, summary, out)
    except KeyboardInterrupt:
        raise SystemExit(f"interrupted; {out} was not written") from None


if __name__ == "__main__":
    try:
        main()
    except (FeedbackError, OSError, ValueError) as exc:  # user errors: one line, exit 1
        raise SystemExit(f"error: {exc}") from None
