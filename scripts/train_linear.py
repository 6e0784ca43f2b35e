"""Train the comment model (sentiment + intent) from labelled JSONL and evaluate it.

Usage: python scripts/train_linear.py [--train data/train/*.jsonl] [--name linear-ja-v12]
       [--output models/linear-ja-v12] [--c 30] [--wordvec chive-ja-20k] [--wordvec-scale 2]
       [--lemma-scale 0.5]
       [--polarity data/chabsa/chabsa.tsv | --polarity ''] [--holdout 0.3]
       [--overwrite]  (needed to replace an existing model, e.g. the shipped one)

Deterministic (liblinear-free lbfgs on fixed data order). Writes the model directory,
then evaluates the full pipeline with it on data/dev.jsonl and data/tune.jsonl and
writes metrics.json and MODEL_CARD.md next to the weights. Everything is written into a
hidden ``.NAME.partial`` directory beside the output, which replaces it only when the run
succeeded.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

from nlp.comment_model import DEFAULT_LINEAR, check_model_name, staged_model_dir
from nlp.errors import FeedbackError
from nlp.evaluation import (
    check_training_labels,
    evaluate,
    evaluate_polarity,
    load_labelled,
    load_polarity_tsv,
    polarity_split,
)
from nlp.linear import train_linear
from nlp.pipeline import PipelineConfig

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", nargs="*", type=Path)
    parser.add_argument("--name", help=f"model name (default: the --output directory's "
                        f"name, else {DEFAULT_LINEAR})")  # fmt: skip
    parser.add_argument("--output", type=Path, help="model directory (default models/<name>)")
    parser.add_argument("--c", type=float, default=30.0)
    parser.add_argument("--wordvec", default="chive-ja-20k",
                        help="word vectors for the theme and alert heads; '' for none")  # fmt: skip
    parser.add_argument("--wordvec-scale", type=float, default=2.0)
    parser.add_argument("--lemma-scale", type=float, default=0.5,
                        help="weight of the negation-marked lemma 1–2-grams in the sentiment "
                        "and intent heads; 0 for none")  # fmt: skip
    parser.add_argument(
        "--polarity",
        default=str(ROOT / "data" / "chabsa" / "chabsa.tsv"),
        help="extra sentence polarity data (sentence<TAB>0|1); '' for none",
    )
    parser.add_argument("--holdout", type=float, default=0.3,
                        help="share of the polarity rows held out (never trained on)")  # fmt: skip
    parser.add_argument("--polarity-weight", type=float, default=0.3,
                        help="sample weight of a polarity row (a comment weighs 1)")  # fmt: skip
    parser.add_argument("--overwrite", action="store_true", help="replace an existing model")
    args = parser.parse_args()
    name = check_model_name(
        args.name or (args.output.resolve().name if args.output else DEFAULT_LINEAR)
    )
    out = args.output or ROOT / "models" / name
    polarity = Path(args.polarity) if args.polarity.strip() else None
    # Written into a hidden sibling directory that replaces ``out`` only when the run
    # succeeded: a failed or interrupted run leaves the old model as it was.
    try:
        with staged_model_dir(out, overwrite=args.overwrite) as staging:
            train(args, name, polarity, staging)
    except KeyboardInterrupt:
        raise SystemExit(f"interrupted; {out} was not written") from None


def train(args: argparse.Namespace, name: str, polarity: Path | None, out: Path) -> None:
    """Train into ``out``, evaluate the pipeline with it and write its card there."""
    files = args.train or sorted((ROOT / "data" / "train").glob("*.jsonl"))
    records = [r for path in files for r in load_labelled(path)]
    for warning in check_training_labels(records):
        print(f"warning: {warning}", file=sys.stderr)
    if polarity:  # sentiment-only sentences from another domain: broader vocabulary
        rows = polarity_split(load_polarity_tsv(polarity), args.holdout)[0]
        weight = args.polarity_weight
        records += [{"text": t, "sentiment": label, "weight": weight} for t, label in rows]
    started = time.perf_counter()
    wordvec = {"wordvec": args.wordvec or None, "wordvec_scale": args.wordvec_scale}
    config = train_linear(records, out, name=name, c=args.c, lemma_scale=args.lemma_scale,
                          **wordvec)  # fmt: skip
    config["polarity_weight"] = args.polarity_weight if polarity else None
    config["n_comments"] = sum("weight" not in r for r in records)
    seconds = round(time.perf_counter() - started, 1)
    metrics: dict = {"train_seconds": seconds, "train_files": [p.name for p in files]}
    for split in ("dev", "tune"):
        result = evaluate(ROOT / "data" / f"{split}.jsonl", PipelineConfig(comment_model=str(out)))
        metrics[split] = {k: result[k] for k in (
            "n", "sentiment_macro_f1", "sentiment_accuracy", "sentiment_per_class",
            "intent_accuracy", "intent_macro_f1", "theme_micro_f1", "theme_polarity_accuracy",
            "alert_recall", "alert_false_rate", "sentiment_accuracy_by_tag", "by_domain",
        )}  # fmt: skip
    if polarity:
        chabsa = evaluate_polarity(polarity, PipelineConfig(comment_model=str(out)),
                                   holdout=args.holdout)  # fmt: skip
        metrics["chabsa_heldout"] = {
            k: chabsa[k] for k in ("n", "accuracy", "binary_accuracy", "always_positive")
        }
        metrics["polarity"] = {"file": _shown(polarity), "holdout": args.holdout}
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n")
    arguments = [a for a in sys.argv[1:] if a != "--overwrite"]
    command = shlex.join(["python", "scripts/train_linear.py", *arguments, "--overwrite"])
    (out / "MODEL_CARD.md").write_text(model_card(config, metrics, command), encoding="utf-8")
    print(json.dumps({s: {k: metrics[s][k] for k in ("sentiment_macro_f1", "intent_accuracy")}
                      for s in ("dev", "tune")}, indent=1))  # fmt: skip


def _shown(path: Path) -> str:
    """A path relative to the repository where it is inside it."""
    where = path.resolve()
    return str(where.relative_to(ROOT)) if where.is_relative_to(ROOT) else str(path)


def _polarity_data(config: dict, metrics: dict) -> str:
    """The card's lines on the sentence polarity data (none, chABSA or another file)."""
    if "polarity" not in metrics:
        return "  No sentence polarity data was added."
    used = metrics["polarity"]
    kept = f"{100 * (1 - used['holdout']):.0f} %"
    if used["file"] == "data/chabsa/chabsa.tsv":
        source = "chABSA sentences (financial reports,\n  CC BY 4.0, `data/chabsa/`)"
    else:
        source = f"sentences of `{used['file']}`"
    return (
        f"  Plus, for the sentiment head only, the {kept} of the {source} not held out, at "
        f"sample weight {config['polarity_weight']}:\n  they teach it Japanese evaluative "
        "vocabulary beyond our comments."
    )


def _heldout(metrics: dict) -> str:
    """The card's line on the held-out polarity sentences, or nothing without them."""
    if "chabsa_heldout" not in metrics:
        return ""
    held = metrics["chabsa_heldout"]
    file = metrics["polarity"]["file"]
    what = "chABSA" if file == "data/chabsa/chabsa.tsv" else f"`{file}`"
    return (
        f"\n{what} held-out sentences ({held['n']}, never trained on): accuracy "
        f"{held['accuracy']:.3f} (always-positive {held['always_positive']:.3f}).\n"
    )


def _row(name: str, m: dict) -> str:
    return (
        f"| {name} | {m['sentiment_macro_f1']:.3f} | {m['sentiment_accuracy']:.3f} "
        f"| {m['intent_accuracy']:.3f} | {m['theme_micro_f1']:.3f} "
        f"| {m['theme_polarity_accuracy']:.3f} | {m['alert_recall']:.3f} "
        f"| {m['alert_false_rate']:.3f} |"
    )


def _training_data(config: dict, metrics: dict) -> str:
    files = metrics["train_files"]
    n = f"{config['n_comments']:,}"
    if files == sorted(p.name for p in (ROOT / "data" / "train").glob("*.jsonl")):
        return (f"`data/train/*.jsonl`, {n} Japanese employee-survey and\n"
                "  customer-feedback comments written for koe (see `data/DATASHEET.md`); no\n"
                "  dev or tune comment is in it (checked by `tests/test_data.py`).")  # fmt: skip
    return f"{n} comments from {', '.join(f'`{f}`' for f in files)}."


def _wordvec(config: dict) -> str:
    spec = config.get("wordvec")
    if not spec:
        return "off for this model"
    return f"`models/{spec['model']}`, chiVe vectors, scaled by {spec['scale']}"


def _lemmas(config: dict) -> str:
    spec = config.get("lemmas")
    if not spec:
        return "The multi-class heads read the character n-grams alone."
    return (
        f"The multi-class heads\nalso read {spec['n_features']:,} lemma 1–2-grams in which a "
        f"negated word is marked (悪い¬ in\n「悪くない」, not in 「悪くなった」), weighted "
        f"{spec['scale']}."
    )


def model_card(config: dict, metrics: dict, command: str) -> str:
    """Render MODEL_CARD.md from the training config, measured metrics and the command."""
    dev, tune = metrics["dev"], metrics["tune"]
    standard = PipelineConfig()  # the standard profile: this model alone
    clause = round(100 * standard.clause_weight)
    added = (
        f"≥ {standard.theme_threshold}, no evidence span; a comment left with no theme gets "
        f"its likeliest one from {standard.theme_fallback}"
    )
    rows = "\n".join(
        f"| {label} | {dev['sentiment_per_class'][label]['f1']:.3f} |"
        for label in ("positive", "negative", "neutral", "mixed")
    )
    tags = ", ".join(
        f"{t} {v['accuracy']:.2f}" for t, v in dev["sentiment_accuracy_by_tag"].items()
    )
    return f"""# {config["name"]} — koe comment model

Character 1–3-gram TF-IDF (`char_wb`, {config["n_features"]:,} features) + logistic
regression (C={config["C"]}): multi-class heads for comment **sentiment** (positive /
negative / neutral / mixed) and **intent** (praise / complaint / suggestion / question /
other), and binary heads for **alert** and each **theme**. The binary heads also read
the comment's mean word vector ({_wordvec(config)}),
which carries them to wordings unlike the training comments. {_lemmas(config)}

In the pipeline the binary heads add alerts and themes the rules missed (probability
{added})
and drop cue-matched themes under {standard.theme_veto}; clause scores, evidence
and PII stay rule-based, and a theme takes the comment label unless the comment is mixed
(then its clauses decide). In the standard profile the comment label is {100 - clause} % this
model's sentiment probabilities and {clause} % the clause scores' own label (`clause_weight`).

- Training data: {_training_data(config, metrics)}
{_polarity_data(config, metrics)}
  Trained in {metrics["train_seconds"]} s on CPU.
- Weights: `model.safetensors` (idf, coefficients, intercepts) + `vocab.json` (and
  `lemma_vocab.json`); no pickle.
  The word vectors are loaded from their own directory (named in `config.json`).
- Reproduce: `{command}` (deterministic).

## Metrics (full pipeline with this model)

| set | sentiment F1 | sentiment acc. | intent acc. | theme F1 | theme pol. | alerts | false |
|---|---|---|---|---|---|---|---|
{_row("dev (450)", dev)}
{_row("tune (330)", tune)}
{_heldout(metrics)}
Dev F1 per class:

| label | F1 |
|---|---|
{rows}

Dev sentiment accuracy per phenomenon: {tags}.

## Intended use and limits

Comment-level labels for Japanese survey and review comments, as the default of
`koe analyze` and the API. The training and evaluation comments were written for koe by
a small number of writers, so scores on real survey exports will be lower; the model
knows words it has not seen only through their character n-grams and, for themes and
alerts, their word vectors; it can disagree with the clause
scores shown next to it (the label is the model's, the clause evidence the lexicon's).
License: Apache-2.0, like the data it was trained on (the word vectors: see
`models/chive-ja-20k/README.md`).
"""


if __name__ == "__main__":
    try:
        main()
    except (FeedbackError, OSError, ValueError) as exc:  # user errors: one line, exit 1
        raise SystemExit(f"error: {exc}") from None
