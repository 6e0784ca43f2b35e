"""Count tables and a near-duplicate check for labelled JSONL files (for datasheets).

Usage: python scripts/data_stats.py data/dev.jsonl [more.jsonl ...] [--output stats.json]

Near duplicates: pairs of comments whose character-trigram Jaccard similarity is
above 0.9, counted within and across the given files.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from itertools import combinations
from pathlib import Path
from typing import Any

from nlp.evaluation import load_labelled


def trigrams(text: str) -> set[str]:
    """Character trigrams of a text (the text itself when shorter than 3)."""
    return {text[i : i + 3] for i in range(max(1, len(text) - 2))}


def near_duplicates(texts: list[str], threshold: float = 0.9) -> list[tuple[int, int, float]]:
    """Index pairs with trigram Jaccard above ``threshold``."""
    grams = [trigrams(t) for t in texts]
    pairs = []
    for i, j in combinations(range(len(texts)), 2):
        a, b = grams[i], grams[j]
        if min(len(a), len(b)) / max(len(a), len(b)) <= threshold:
            continue  # Jaccard ≤ size ratio: skip without intersecting
        jaccard = len(a & b) / len(a | b)
        if jaccard > threshold:
            pairs.append((i, j, round(jaccard, 3)))
    return pairs


def cross_duplicates(
    texts: list[str], others: list[str], threshold: float = 0.9
) -> list[tuple[int, int, float]]:
    """Pairs (i in ``texts``, j in ``others``) with trigram Jaccard above ``threshold``."""
    index: dict[str, set[int]] = {}
    other_grams = [trigrams(t) for t in others]
    for j, grams in enumerate(other_grams):
        for gram in grams:
            index.setdefault(gram, set()).add(j)
    pairs = []
    for i, text in enumerate(texts):
        grams = trigrams(text)
        shared = Counter(j for gram in grams for j in index.get(gram, ()))
        for j, n in shared.items():
            jaccard = n / len(grams | other_grams[j])
            if jaccard > threshold:
                pairs.append((i, j, round(jaccard, 3)))
    return pairs


def stats(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts per label, theme polarity, tag and domain."""
    themes: Counter[str] = Counter()
    for r in records:
        for theme, polarity in (r.get("themes") or {}).items():
            themes[f"{theme}:{polarity}"] += 1
    return {
        "n": len(records),
        "domain": dict(Counter(r.get("domain", "?") for r in records)),
        "sentiment": dict(Counter(r["sentiment"] for r in records)),
        "intent": dict(Counter(r["intent"] for r in records)),
        "alert": sum(bool(r.get("alert")) for r in records),
        "pii_items": sum(len(r.get("pii") or []) for r in records),
        "tags": dict(sorted(Counter(t for r in records for t in r.get("tags") or []).items())),
        "themes": dict(sorted(themes.items())),
        "mean_chars": round(sum(len(r["text"]) for r in records) / max(1, len(records)), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    records = [r for f in args.files for r in load_labelled(f)]
    result = stats(records)
    texts = [r["text"] for r in records]
    dups = near_duplicates(texts)
    n_pairs = len(texts) * (len(texts) - 1) // 2
    result["near_duplicate_pairs"] = len(dups)
    result["near_duplicate_share"] = round(len(dups) / n_pairs, 6) if n_pairs else 0.0
    print(json.dumps(result, ensure_ascii=False, indent=1))
    for i, j, sim in dups[:20]:
        print(f"near duplicate {sim}: {records[i]['id']} ~ {records[j]['id']}")
    if args.output:
        args.output.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
