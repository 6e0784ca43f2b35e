"""Topic discovery: Japanese words kept, small batches, determinism, save/load, theme links."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("fugashi")
pytest.importorskip("bertopic")

from nlp.themes import load_pack  # noqa: E402
from nlp.topics import (  # noqa: E402
    NEW_THEME,
    TopicConfig,
    TopicModel,
    analyze_text,
    discover_topics,
    redact_text,
)

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]

DATA = Path(__file__).resolve().parents[2] / "data" / "tune.jsonl"


def _rows(n: int = 60) -> list[dict[str, str]]:
    with DATA.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f][:n]


@pytest.fixture(scope="module")
def batch() -> tuple[list[str], list[str]]:
    rows = _rows()
    return [r["text"] for r in rows], [r["id"] for r in rows]


# fmt: off
@pytest.mark.parametrize(("text", "expected"), [
    ("残業が多すぎて辛いです", ["残業", "辛い"]),
    ("上司の評価制度に不満がある", ["上司", "評価", "制度", "不満"]),
    ("", []),
    ("   ", []),
    ("ｻｰﾋﾞｽ残業〜😊", ["サービス", "残業"]),
])
# fmt: on
def test_topics_tokenizer_keeps_japanese_content_words(text: str, expected: list[str]) -> None:
    assert analyze_text(text) == expected


def test_topics_small_batch_gives_topics(batch: tuple[list[str], list[str]]) -> None:
    texts, ids = batch
    result = discover_topics(texts, ids, TopicConfig(min_topic_size=5))
    assert len(result.topics) >= 2
    assert result.outlier_share <= 0.3
    assert set(result.assignments) == set(ids)
    words = [w for t in result.topics for w in t.words]
    assert any(not w.isascii() for w in words)
    for topic in result.topics:
        assert topic.label
        assert set(topic.representative_ids) <= set(ids)


def test_topics_deterministic(batch: tuple[list[str], list[str]]) -> None:
    texts, ids = batch
    first = discover_topics(texts, ids).to_dict()
    second = discover_topics(texts, ids).to_dict()
    assert first == second


def test_topics_theme_links_are_pack_ids_or_new(batch: tuple[list[str], list[str]]) -> None:
    texts, ids = batch
    theme_ids = {t.id for t in load_pack("employee").themes} | {NEW_THEME}
    result = discover_topics(texts, ids)
    for topic in result.topics:
        assert topic.theme in theme_ids
        assert 0.0 <= topic.theme_score <= 1.0


def test_topics_save_load_assigns_new_comments(
    batch: tuple[list[str], list[str]], tmp_path: Path
) -> None:
    texts, _ = batch
    model = TopicModel(TopicConfig(min_topic_size=5)).fit(texts)
    model.save(tmp_path / "m")
    assert not list((tmp_path / "m").glob("*.pkl")) and not list((tmp_path / "m").glob("*.bin"))
    loaded = TopicModel.load(tmp_path / "m")
    new = ["残業が多くて休めない", "上司が話を聞いてくれない"]
    assert loaded.transform(new) == loaded.transform(new)
    assert set(loaded.transform(new)) <= set(model.topics_)
    assert loaded.transform(texts[:10]) == model.transform(texts[:10])
    assert loaded.themes_ == model.themes_


def test_topics_per_group_and_time(batch: tuple[list[str], list[str]]) -> None:
    texts, ids = batch
    groups = ["A" if i % 2 else "B" for i in range(len(texts))]
    times = [f"W{i % 3}" for i in range(len(texts))]
    result = discover_topics(texts, ids, groups=groups, times=times).to_dict()
    assert set(result["per_group"]) == {"A", "B"}
    assert set(result["per_time"]) == {"W0", "W1", "W2"}
    assert sum(g["size"] for g in result["per_group"]["A"]) == len(texts) // 2


def test_topics_representative_texts_are_redacted() -> None:
    assert "田中" not in redact_text("田中さんにメールしたtanaka@example.comに返事がない")
    assert "example.com" not in redact_text("連絡先はtanaka@example.comです")


def test_topics_rejects_tiny_or_mismatched_input() -> None:
    with pytest.raises(ValueError):
        discover_topics(["一件だけ"])
    with pytest.raises(ValueError):
        discover_topics(["a", "b"], ["1"])
