"""Evaluate a pipeline on a labelled JSONL file (schema: ``data/LABEL_GUIDE.md``).

Metrics: sentiment accuracy and macro-F1 over the four labels, theme micro-F1,
theme polarity accuracy (on correctly found themes), intent accuracy, PII recall,
alert recall and false-alert rate, and sentiment accuracy per phenomenon tag.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, get_args

from nlp.errors import FeedbackError, InputError
from nlp.io import InputRecord
from nlp.pii import HONORIFICS
from nlp.pipeline import Pipeline, PipelineConfig
from nlp.results import INTENTS, SENTIMENTS, CommentAnalysis, Polarity

__all__ = [
    "check_training_labels",
    "evaluate",
    "evaluate_polarity",
    "load_labelled",
    "load_polarity_tsv",
    "pack_warnings",
    "polarity_split",
    "score_predictions",
    "text_bucket",
]

PRIMARY_METRIC = "sentiment_macro_f1"
GREATER_IS_BETTER = True


POLARITIES: tuple[str, ...] = get_args(Polarity)


def load_labelled(path: str | Path) -> list[dict[str, Any]]:
    """Labelled comments from JSONL (our schema) or CSV (``text,sentiment[,intent]…``).

    ``themes`` is an object ``{theme_id: polarity}`` or, in CSV (and as a JSONL string),
    ``theme_id:polarity`` pairs separated by ``;``; ``alert`` is true/1/yes in CSV. Every
    row is checked; ids default to the row or line number and blank intents are dropped.
    Encodings are detected as for ``koe analyze``.

    Raises:
        ValueError: A row is malformed, naming the file, the row and what is wrong.
    """
    path = Path(path)
    if path.suffix == ".jsonl":
        rows = list(_jsonl_rows(path))
    else:
        rows = list(_csv_rows(path))
    if not rows:
        raise ValueError(f"{path}: no labelled rows")
    return [_checked(raw, f"{path}: {where}", default_id) for where, default_id, raw in rows]


def _jsonl_rows(path: Path) -> Iterable[tuple[str, str, dict[str, Any]]]:
    with open(path, encoding="utf-8-sig") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}: line {number}: not valid JSON ({exc.msg})") from None
            if not isinstance(value, dict):
                raise ValueError(f"{path}: line {number}: expected a JSON object")
            yield f"line {number}", str(number), value


def _csv_rows(path: Path) -> Iterable[tuple[str, str, dict[str, Any]]]:
    import csv
    import io

    from nlp.io import decode_bytes

    reader = csv.DictReader(io.StringIO(decode_bytes(path.read_bytes())))
    header = [name.strip() for name in reader.fieldnames or []]
    for number, row in enumerate(reader, 1):
        where = f"row {number + 1}"  # as Excel numbers it: the header is row 1
        extra: list[str] = row.pop(None, None) or []  # type: ignore[assignment]
        if any(cell.strip() for cell in extra):  # more cells than columns: an unquoted comma
            row = _rejoined(row, extra, header, f"{path}: {where}")
        cells = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        if not any(cells.values()):
            continue  # an empty row (Excel leaves some at the end)
        if "alert" in cells:
            cells["alert"] = cells["alert"].lower() in {"1", "true", "yes"}
        yield where, str(number), cells


def _rejoined(
    row: dict[str, str], extra: list[str], header: list[str], where: str
) -> dict[str, str]:
    """A row with more cells than columns: a last ``text`` column takes the rest back.

    As ``koe analyze`` reads it, a comment in the last column keeps its unquoted commas;
    anywhere else the cells cannot be told apart.

    Raises:
        InputError: The last column is not ``text``.
    """
    if header and header[-1] == "text":
        last = list(row)[len(header) - 1]
        return {**row, last: ",".join([row[last] or "", *extra]).rstrip(",")}
    raise InputError(
        f"{where}: {len(header) + len(extra)} cells, but the header has {len(header)} columns "
        f'({", ".join(header)}); quote a cell that contains a comma ("a,b") and separate '
        "themes with ';'"
    )


def _checked(raw: dict[str, Any], where: str, default_id: str) -> dict[str, Any]:
    """The record with its labels checked and normalised (see :func:`load_labelled`)."""
    text, sentiment = raw.get("text"), raw.get("sentiment")
    if "text" not in raw:
        raise ValueError(f"{where}: no 'text' field; found: {', '.join(map(str, raw))}")
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{where}: needs a non-empty 'text'")
    if sentiment not in SENTIMENTS:
        raise ValueError(
            f"{where}: sentiment {sentiment!r}: needs a sentiment in {', '.join(SENTIMENTS)}"
        )
    record = {**raw, "id": str(raw.get("id") or default_id)}
    intent = raw.get("intent")
    if intent in (None, ""):
        record.pop("intent", None)
    elif intent not in INTENTS:
        raise ValueError(f"{where}: intent {intent!r} is not one of {', '.join(INTENTS)}")
    if "themes" in raw:
        record["themes"] = _themes(raw["themes"], where)
    return record


def _themes(value: object, where: str) -> dict[str, str]:
    """``{theme_id: polarity}`` from an object, JSON object text or ``id:polarity;…``."""
    if isinstance(value, str):
        text = value.strip().replace("：", ":").replace("；", ";")
        if text.startswith("{"):
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValueError(
                    f"{where}: themes is not a valid JSON object ({exc.msg})"
                ) from None
        else:
            pairs = [pair.strip() for pair in text.split(";") if pair.strip()]
            bare = [pair for pair in pairs if ":" not in pair]
            if bare:
                raise ValueError(
                    f"{where}: theme {bare[0]!r} has no polarity; write theme_id:polarity "
                    "pairs separated by ';', e.g. workload:negative;growth:positive"
                )
            value = dict(pair.split(":", 1) for pair in pairs)
    if not isinstance(value, dict):
        raise ValueError(
            f"{where}: themes must be an object {{theme_id: polarity}} or "
            f"'theme_id:polarity;…' text, not {type(value).__name__}"
        )
    themes = {str(k).strip(): str(v).strip() for k, v in value.items()}
    wrong = {k: v for k, v in themes.items() if v not in POLARITIES or not k}
    if wrong:
        theme, polarity = next(iter(wrong.items()))
        raise ValueError(
            f"{where}: theme {theme!r} has polarity {polarity!r}; use one of "
            f"{', '.join(POLARITIES)}"
        )
    return themes


def check_training_labels(records: Sequence[dict[str, Any]]) -> list[str]:
    """Problems of a training set worth a warning; one that cannot train raises.

    Warns about the same text with different sentiments, and theme ids no theme pack
    knows (their heads are trained, but the pipeline only reports a pack's themes).

    Raises:
        ValueError: Fewer than two sentiment labels occur.
    """
    from nlp.themes import available_packs, load_pack

    labels = {r["sentiment"] for r in records}
    if len(labels) < 2:
        raise ValueError(
            f"every comment has the sentiment {labels.pop()!r}: training needs at least two"
        )
    warnings = []
    seen: dict[str, str] = {}
    conflicts = [
        r["text"] for r in records if seen.setdefault(r["text"], r["sentiment"]) != r["sentiment"]
    ]
    if conflicts:
        warnings.append(
            f"{len(conflicts)} comments repeat an earlier text with another sentiment, e.g. "
            f"{conflicts[0][:40]!r}"
        )
    known = {t.id for name in available_packs() for t in load_pack(name).themes}
    unknown = sorted({t for r in records for t in r.get("themes") or {}} - known)
    if unknown:
        warnings.append(
            f"theme ids in no theme pack (trained, but not reported unless your pack has "
            f"them): {', '.join(unknown)}"
        )
    return warnings


def evaluate(path: str | Path, config: PipelineConfig | None = None) -> dict[str, Any]:
    """Run the pipeline over a labelled file and return all metrics."""
    gold = load_labelled(path)
    pipe = Pipeline(config or PipelineConfig())
    records = [
        InputRecord(
            id=str(g["id"]), text=g["text"], attributes={}, pack=g.get("pack") or g.get("domain")
        )
        for g in gold
    ]
    predictions = pipe.analyze_records(records)
    metrics = score_predictions(gold, predictions)
    metrics["warnings"] = pack_warnings(gold, pipe.config.pack)
    metrics["pipeline_version"] = pipe.version
    metrics["config"] = pipe.config.model_dump(mode="json")
    return metrics


def pack_warnings(gold: Sequence[dict[str, Any]], default_pack: str) -> list[str]:
    """Gold theme ids that the pack scoring their rows does not have (never predicted).

    A row is analysed with its ``pack`` (or ``domain``) field, else ``default_pack``.
    """
    from nlp.themes import available_packs, load_pack

    def theme_ids(name: str) -> set[str] | None:
        try:
            return {t.id for t in load_pack(name).themes}
        except FeedbackError:
            return None  # the pipeline reports an unknown pack itself

    unknown: dict[str, set[str]] = defaultdict(set)
    rows: Counter[str] = Counter()
    for g in gold:
        pack = str(g.get("pack") or g.get("domain") or default_pack)
        rows[pack] += 1
        unknown[pack] |= set(g.get("themes") or {})
    warnings = []
    for pack, ids in sorted(unknown.items()):
        missing = sorted(ids - (theme_ids(pack) or ids))
        if not missing:
            continue
        others = [name for name in available_packs()
                  if name != pack and set(missing) <= (theme_ids(name) or set())]  # fmt: skip
        hint = f"; they are in the {others[0]!r} pack (--pack {others[0]})" if others else ""
        warnings.append(
            f"{len(missing)} gold theme ids are not in the theme pack {pack!r} that scored "
            f"{rows[pack]} rows, so they are never predicted: {', '.join(missing[:8])}"
            f"{', …' if len(missing) > 8 else ''}{hint}; rows without a pack or domain "
            "field use --pack"
        )
    return warnings


def load_polarity_tsv(path: str | Path) -> list[tuple[str, str]]:
    """Read ``sentence<TAB>0|1`` rows as (text, "negative"|"positive").

    Raises:
        InputError: No row has that shape (e.g. labelled comments saved as ``.tsv``).
    """
    rows = []
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    for line in lines:
        text, _, rest = line.partition("\t")
        label = rest.strip().split("\t")[0] if rest else ""
        if text.strip() and label in {"0", "1"}:
            rows.append((text, "positive" if label == "1" else "negative"))
    if not rows:
        raise InputError(
            f"{path}: none of its {len(lines)} lines is a polarity sentence "
            "(sentence<TAB>0|1, chABSA format), as .tsv files are read; save labelled "
            "comments as .csv or .jsonl"
        )
    return rows


def text_bucket(text: str, salt: str = "") -> float:
    """A stable number in [0, 1) per text, for splits that do not depend on file order.

    Different ``salt`` values give independent splits (a validation split taken from the
    train part of another split is not empty).
    """
    digest = hashlib.sha256((salt + text).encode("utf-8")).hexdigest()
    return int(digest[:8], 16) / 16**8


def polarity_split(
    rows: Sequence[tuple[str, str]], holdout: float
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(train, held out) rows: the held-out ones are never trained on."""
    held = [r for r in rows if text_bucket(r[0]) < holdout]
    return [r for r in rows if text_bucket(r[0]) >= holdout], held


def evaluate_polarity(
    path: str | Path, config: PipelineConfig | None = None, *, holdout: float | None = None
) -> dict[str, Any]:
    """Accuracy on binary polarity sentences (chABSA format), optionally its held-out part.

    ``accuracy`` counts a sentence right only if the label is the gold one (neutral and
    mixed are wrong); ``binary_accuracy`` compares P(positive) with P(negative).
    """
    rows = load_polarity_tsv(path)
    if holdout is not None:
        rows = polarity_split(rows, holdout)[1]
    pipe = Pipeline(config or PipelineConfig())
    results = pipe.analyze([text for text, _ in rows])
    strict = [r.sentiment == gold for r, (_, gold) in zip(results, rows, strict=True)]
    binary = [
        r.sentiment_scores is not None
        and (r.sentiment_scores.positive >= r.sentiment_scores.negative) == (gold == "positive")
        for r, (_, gold) in zip(results, rows, strict=True)
    ]
    positive = sum(gold == "positive" for _, gold in rows)
    return {
        "n": len(rows),
        "accuracy": round(sum(strict) / len(rows), 4) if rows else 0.0,
        "binary_accuracy": round(sum(binary) / len(rows), 4) if rows else 0.0,
        "always_positive": round(positive / len(rows), 4) if rows else 0.0,
        "errors": sum(r.error is not None for r in results),
        "pipeline_version": pipe.version,
    }


_NO_THEME_METRICS = ("theme_micro_f1", "theme_precision", "theme_recall",
                     "theme_polarity_accuracy")  # fmt: skip
_NO_ALERT_METRICS = ("alert_recall", "alert_false_rate")


def score_predictions(
    gold: Sequence[dict[str, Any]], predictions: Sequence[CommentAnalysis]
) -> dict[str, Any]:
    """Compare predictions with gold records (same order).

    A row whose analysis failed counts as predicted neutral (and intent ``other``);
    ``errors`` counts them and ``error_examples`` gives the first few. Theme metrics need
    a ``themes`` field and alert metrics an ``alert`` field in some row; else they are
    None.
    """
    sentiment_pairs = [
        (g["sentiment"], p.sentiment or "neutral") for g, p in zip(gold, predictions, strict=True)
    ]
    intent_pairs = [
        (g["intent"], p.intent or "other")
        for g, p in zip(gold, predictions, strict=True)
        if g.get("intent")
    ]
    metrics: dict[str, Any] = {"n": len(gold)}
    metrics["sentiment_accuracy"] = _accuracy(sentiment_pairs)
    metrics["sentiment_macro_f1"], metrics["sentiment_per_class"] = _macro_f1(
        sentiment_pairs, SENTIMENTS
    )
    metrics["sentiment_confusion"] = _confusion(sentiment_pairs)
    metrics["intent_accuracy"] = _accuracy(intent_pairs) if intent_pairs else None
    metrics["intent_macro_f1"] = _macro_f1(intent_pairs, INTENTS)[0] if intent_pairs else None
    if any("themes" in g for g in gold):  # a sentiment-only file has no theme metrics
        metrics.update(_theme_metrics(gold, predictions))
    else:
        metrics.update(dict.fromkeys(_NO_THEME_METRICS))
    if any("alert" in g for g in gold):  # no alert labels: no alert metrics (no guessing)
        metrics.update(_alert_metrics(gold, predictions))
    else:
        metrics.update(dict.fromkeys(_NO_ALERT_METRICS))
    metrics.update(_pii_metrics(gold, predictions))
    metrics["sentiment_accuracy_by_tag"] = _by_tag(gold, sentiment_pairs)
    failed = [(g, p.error) for g, p in zip(gold, predictions, strict=True) if p.error]
    metrics["errors"] = len(failed)
    metrics["error_examples"] = [f"{g['id']}: {e.message}" for g, e in failed[:3]]
    metrics["by_domain"] = _by_domain(gold, predictions)
    return metrics


def _accuracy(pairs: Sequence[tuple[str, str]]) -> float:
    return round(sum(g == p for g, p in pairs) / len(pairs), 4) if pairs else 0.0


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "support": tp + fn,
    }


def _macro_f1(
    pairs: Sequence[tuple[str, str]], labels: Iterable[str]
) -> tuple[float, dict[str, dict[str, float]]]:
    """Mean F1 over the ``labels`` present in gold or predictions, and per-class scores.

    As scikit-learn's default: a label predicted but never gold counts (F1 0), one in
    neither is left out.
    """
    per_class = {}
    for label in labels:
        tp = sum(g == label and p == label for g, p in pairs)
        fp = sum(g != label and p == label for g, p in pairs)
        fn = sum(g == label and p != label for g, p in pairs)
        per_class[label] = _prf(tp, fp, fn)
    seen = {label for pair in pairs for label in pair}
    present = [v["f1"] for label, v in per_class.items() if label in seen]
    return (round(sum(present) / len(present), 4) if present else 0.0), per_class


def _confusion(pairs: Sequence[tuple[str, str]]) -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = {g: dict.fromkeys(SENTIMENTS, 0) for g in SENTIMENTS}
    for g, p in pairs:
        table.setdefault(g, dict.fromkeys(SENTIMENTS, 0))[p] = table[g].get(p, 0) + 1
    return table


def _theme_metrics(
    gold: Sequence[dict[str, Any]], predictions: Sequence[CommentAnalysis]
) -> dict[str, Any]:
    tp = fp = fn = polarity_ok = 0
    per_theme: dict[str, Counter[str]] = defaultdict(Counter)
    for g, p in zip(gold, predictions, strict=True):
        gold_themes: dict[str, str] = g.get("themes") or {}
        predicted = {t.id: t.polarity for t in p.themes}
        for theme, polarity in gold_themes.items():
            if theme in predicted:
                tp += 1
                per_theme[theme]["tp"] += 1
                polarity_ok += predicted[theme] == polarity
            else:
                fn += 1
                per_theme[theme]["fn"] += 1
        for theme in predicted.keys() - gold_themes.keys():
            fp += 1
            per_theme[theme]["fp"] += 1
    micro = _prf(tp, fp, fn)
    return {
        "theme_micro_f1": micro["f1"],
        "theme_precision": micro["precision"],
        "theme_recall": micro["recall"],
        "theme_polarity_accuracy": round(polarity_ok / tp, 4) if tp else 0.0,
        "theme_per_class": {
            t: _prf(c["tp"], c["fp"], c["fn"]) for t, c in sorted(per_theme.items())
        },
    }


def _alert_metrics(
    gold: Sequence[dict[str, Any]], predictions: Sequence[CommentAnalysis]
) -> dict[str, Any]:
    def gold_alert(g: dict[str, Any]) -> bool:
        return bool(g.get("alert"))

    pairs = [(gold_alert(g), p.alert.flag) for g, p in zip(gold, predictions, strict=True)]
    positives = [p for g, p in pairs if g]
    negatives = [p for g, p in pairs if not g]
    return {
        "alert_recall": round(sum(positives) / len(positives), 4) if positives else None,
        "alert_false_rate": round(sum(negatives) / len(negatives), 4) if negatives else None,
        "alert_support": len(positives),
        "alert_missed_ids": [
            g["id"]
            for g, p in zip(gold, predictions, strict=True)
            if gold_alert(g) and not p.alert.flag
        ],
    }


def _pii_metrics(
    gold: Sequence[dict[str, Any]], predictions: Sequence[CommentAnalysis]
) -> dict[str, Any]:
    found = total = typed = 0
    missed: list[str] = []
    for g, p in zip(gold, predictions, strict=True):
        for item in g.get("pii") or []:
            total += 1
            # 「佐藤さん」 and 「佐藤」 are the same PII: the honorific is not personal data.
            wanted = _name_core(item["text"]) if item["type"] == "name" else item["text"]
            start = g["text"].find(wanted)
            end = start + len(wanted)
            covering = [s for s in p.pii if s.start <= start and s.end >= end] if start >= 0 else []
            if covering:
                found += 1
                typed += any(s.type == item["type"] for s in covering)
            else:
                missed.append(f"{g['id']}:{item['text']}")
    return {
        "pii_recall": round(found / total, 4) if total else None,
        "pii_type_accuracy": round(typed / found, 4) if found else None,
        "pii_support": total,
        "pii_missed": missed,
    }


def _name_core(name: str) -> str:
    for honorific in sorted(HONORIFICS, key=len, reverse=True):
        if name.endswith(honorific) and len(name) > len(honorific):
            return name[: -len(honorific)].rstrip()
    return name


def _by_tag(
    gold: Sequence[dict[str, Any]], pairs: Sequence[tuple[str, str]]
) -> dict[str, dict[str, float]]:
    buckets: dict[str, list[bool]] = defaultdict(list)
    for g, (gs, ps) in zip(gold, pairs, strict=True):
        for tag in g.get("tags") or []:
            buckets[tag].append(gs == ps)
    return {
        tag: {"n": len(v), "accuracy": round(sum(v) / len(v), 4)}
        for tag, v in sorted(buckets.items())
    }


def _by_domain(
    gold: Sequence[dict[str, Any]], predictions: Sequence[CommentAnalysis]
) -> dict[str, dict[str, float]]:
    """Headline metrics per domain (employee, customer)."""
    domains: dict[str, list[int]] = defaultdict(list)
    for i, g in enumerate(gold):
        domains[str(g.get("domain", "?"))].append(i)
    if len(domains) < 2:
        return {}
    out = {}
    for domain, rows in sorted(domains.items()):
        pairs = [(gold[i]["sentiment"], predictions[i].sentiment or "neutral") for i in rows]
        themes = _theme_metrics([gold[i] for i in rows], [predictions[i] for i in rows])
        out[domain] = {
            "n": len(rows),
            "sentiment_macro_f1": _macro_f1(pairs, SENTIMENTS)[0],
            "theme_micro_f1": themes["theme_micro_f1"],
            "theme_polarity_accuracy": themes["theme_polarity_accuracy"],
        }
    return out
