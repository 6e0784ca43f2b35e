"""Choose the theme decision rule of the linear model by cross-validation on data/train.

Usage: python scripts/theme_cv.py [--folds 5] [--cue-scales 0,3] [--output FILE]

The cues of the theme packs were developed while reading errors on data/tune.jsonl, so
tune flatters rules that trust them; no cue was developed on the training comments. Each
fold trains the linear model on the other folds (``nlp.linear.train_linear``, with and
without the cue features) and scores theme micro-F1 on the held-out fold for two rules:

- ``veto k / add a``: a cue match stays unless the model gives it < k; the model adds
  themes at ≥ a (the rule for models that do not read the cues);
- ``model t``: the model decides every theme at ≥ t (the rule for models that do).

Pooled over folds; about 1.5 minutes per fold and cue scale on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from nlp.evaluation import load_labelled
from nlp.linear import LinearCommentModel, cue_indicators, train_linear
from nlp.text import normalize
from nlp.themes import available_packs, load_pack
from nlp.tokenize import tokenize

ROOT = Path(__file__).resolve().parent.parent
RULES = {
    **{f"veto {k} / add {a}": (k, a) for k, a in ((0.05, 0.5), (0.1, 0.5), (0.2, 0.5))},
    **{f"model {t}": (t, t) for t in (0.3, 0.35, 0.4, 0.45, 0.5)},
}


def _decide(cues: set[str], probs: dict[str, float], pack: set[str], keep: float,
            add: float) -> set[str]:  # fmt: skip
    kept = {t for t in cues & pack if probs.get(t, 1.0) >= keep}
    return kept | {t for t in pack if probs.get(t, 0.0) >= add}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--cue-scales", default="0,3")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "theme_cv.json")
    args = parser.parse_args()
    records = [r for p in sorted((ROOT / "data" / "train").glob("*.jsonl"))
               for r in load_labelled(p)]  # fmt: skip
    packs = {p: set(load_pack(p).theme_ids) for p in available_packs()}
    themes = sorted(set().union(*packs.values()))
    tokens = [tokenize(normalize(r["text"]).text) for r in records]
    matched = cue_indicators(tokens, themes, list(packs))
    cues = [{t for t, hit in zip(themes, row, strict=True) if hit} for row in matched]
    report: dict[str, Any] = {"folds": args.folds, "n": len(records), "theme_micro_f1": {}}
    for scale in (float(s) for s in args.cue_scales.split(",")):
        counts = {rule: Counter[str]() for rule in RULES}
        for fold in range(args.folds):
            train = [r for i, r in enumerate(records) if i % args.folds != fold]
            held = [i for i in range(len(records)) if i % args.folds == fold]
            with tempfile.TemporaryDirectory(prefix="koe-cv-") as out:
                train_linear(train, Path(out), name="cv", wordvec="chive-ja-20k",
                             cue_scale=scale)  # fmt: skip
                model = LinearCommentModel.load(out)
                binary = model.predict_proba([records[i]["text"] for i in held])["binary"]
            for i, row in zip(held, binary, strict=True):
                probs = {k[6:]: v for k, v in row.items() if k.startswith("theme:")}
                gold = set(records[i]["themes"])
                for rule, (keep, add) in RULES.items():
                    found = _decide(cues[i], probs, packs[records[i]["domain"]], keep, add)
                    counts[rule].update(tp=len(gold & found), fp=len(found - gold),
                                        fn=len(gold - found))  # fmt: skip
        report["theme_micro_f1"][f"cue_scale {scale:g}"] = row_f1 = {
            rule: round(2 * c["tp"] / max(2 * c["tp"] + c["fp"] + c["fn"], 1), 4)
            for rule, c in counts.items()
        }
        print(f"cue_scale {scale:g}: " + "  ".join(f"{k} {v:.4f}" for k, v in row_f1.items()),
              flush=True)  # fmt: skip
    args.output.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
