"""The labelled files follow LABEL_GUIDE.md; training data never leaks into an evaluation set."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from nlp.results import INTENTS, SENTIMENTS
from nlp.themes import load_pack

DATA = Path(__file__).resolve().parent.parent / "data"
QA = "qa/plain_sentiment.jsonl"
PEER = "qa/peer_harassment.jsonl"
FILES = [*sorted(DATA.glob("*.jsonl")), DATA / PEER, *sorted((DATA / "train").glob("*.jsonl"))]
PII_TYPES = {"name", "email", "phone", "employee_id", "url", "postal_code", "my_number"}
POLARITIES = {"positive", "negative", "neutral"}


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_data_records_follow_the_label_guide(path):
    themes = {pack: set(load_pack(pack).theme_ids) for pack in ("employee", "customer")}
    for record in load(path):
        where = f"{path.name}:{record.get('id')}"
        assert record["text"].strip(), where
        assert record["domain"] in themes, where
        assert record["sentiment"] in SENTIMENTS, where
        assert record["intent"] in INTENTS, where
        for theme, polarity in record["themes"].items():
            assert theme in themes[record["domain"]] and polarity in POLARITIES, where
        for item in record.get("pii") or []:
            assert item["type"] in PII_TYPES and item["text"] in record["text"], where
        assert isinstance(record.get("alert", False), bool), where


def test_data_ids_are_unique_across_files():
    ids = Counter(r["id"] for path in FILES for r in load(path))
    assert [i for i, n in ids.items() if n > 1] == []


def test_data_training_set_does_not_overlap_dev_tune_or_probe():
    """No training comment is a near duplicate (trigram Jaccard > 0.9) of an evaluation one."""
    from scripts.data_stats import cross_duplicates

    train = [r["text"] for path in sorted((DATA / "train").glob("*.jsonl")) for r in load(path)]
    if not train:
        pytest.skip("no training data yet")
    held = [r["text"] for name in ("dev.jsonl", "tune.jsonl", "probe.jsonl", QA, PEER)
            for r in load(DATA / name)]  # fmt: skip
    assert cross_duplicates(train, held) == []


def test_data_qa_set_is_sentiment_only_and_tagged_by_construction():
    records = load(DATA / QA)
    assert len(records) == 238 and len({r["text"] for r in records}) == 238
    for record in records:
        assert set(record) == {"id", "domain", "text", "sentiment", "tags"}, record["id"]
        assert record["sentiment"] in SENTIMENTS and len(record["tags"]) == 1, record["id"]
