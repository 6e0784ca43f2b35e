"""Topic discovery: Japanese words kept, small batches, determinism, save/load, theme links."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("fugashi")
pytest.importorskip("bertopic")

from nlp.comment_model import DEFAULT_LINEAR  # noqa: E402
from nlp.pipeline import Pipeline, PipelineConfig  # noqa: E402
from nlp.themes import load_pack  # noqa: E402
from nlp.topics import (  # noqa: E402
    NEW_THEME,
    TopicConfig,
    TopicModel,
    analyze_text,
    discover_topics,
    redact_text,
    result_from_model,
    wave_order,
)
from nlp.topics.taxonomy import theme_matrix  # noqa: E402
from nlp.topics.trends import direction, z_critical  # noqa: E402
from nlp.topics.vocab import joined_lemmas, lemma_docs, quote_text  # noqa: E402

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


@pytest.fixture(scope="module")
def fitted(batch: tuple[list[str], list[str]]) -> TopicModel:
    return TopicModel(TopicConfig(min_topic_size=5)).fit(batch[0])


def test_topics_deterministic(batch: tuple[list[str], list[str]]) -> None:
    texts, ids = batch
    waves = [f"W{i % 3}" for i in range(len(texts))]
    first = discover_topics(texts, ids, times=waves).to_dict()
    second = discover_topics(texts, ids, times=waves).to_dict()
    assert first == second


def test_topics_theme_links_are_pack_ids_or_new(batch: tuple[list[str], list[str]]) -> None:
    texts, ids = batch
    theme_ids = {t.id for t in load_pack("employee").themes} | {NEW_THEME}
    result = discover_topics(texts, ids)
    for topic in result.topics:
        assert topic.theme in theme_ids
        assert 0.0 <= topic.theme_score <= 1.0
        links = [link.id for link in topic.themes]
        assert links[:1] == ([] if topic.theme == NEW_THEME else [topic.theme])
        assert len(set(links)) == len(links) and set(links) <= theme_ids - {NEW_THEME}
        assert all(0.5 <= link.score <= 1.0 for link in topic.themes[1:])


def test_topics_theme_matrix_is_what_analyze_reports() -> None:
    texts = ["帰りたい…", "現場監督から「途中で辞めたら損害賠償を請求する」と言われています。",
             "在宅の日でも参加しやすいように、全体会議はオンライン併用にしてはどうでしょうか。",
             "残業が多すぎて辛いです"]  # fmt: skip
    theme_ids = load_pack("employee").theme_ids
    reported = Pipeline(PipelineConfig(comment_model=DEFAULT_LINEAR)).analyze(texts)

    def themes(matrix: np.ndarray) -> list[set[str]]:
        return [{theme_ids[j] for j in np.flatnonzero(row)} for row in matrix]

    with_model = themes(theme_matrix(texts, "employee", DEFAULT_LINEAR))
    assert with_model == [{t.id for t in r.themes} for r in reported]
    cues = themes(theme_matrix(texts, "employee"))
    assert cues[0] == set() and "workload" in with_model[0]  # found by the model alone
    assert "transparency" in cues[2] and "transparency" not in with_model[2]  # vetoed
    assert cues[3] == with_model[3] == {"workload"}


def test_topics_spanning_two_themes_link_both() -> None:
    both = ["残業が多いのに給料が低い", "残業代が出ないし給与も上がらない",
            "毎日残業で、給料に見合わない", "残業ばかりで給料が安い"]  # fmt: skip
    boss = ["上司の指示がいつも曖昧", "上司が部下を評価しない", "上司の態度が高圧的"]
    ends = ("本当に困る", "改善してほしい", "つらい", "何とかしてほしい")
    texts = [f"{t}。{end}" for t in both + boss for end in ends]
    result = discover_topics(texts, config=TopicConfig(min_topic_size=5))
    linked = {t.id: {link.id for link in t.themes} for t in result.topics}
    overtime_pay = [linked[result.assignments[str(i)]] for i in range(4 * len(both))]
    assert all(links & {"workload", "compensation"} for links in overtime_pay)
    assert any({"workload", "compensation"} <= links for links in overtime_pay)
    assert not any({"workload", "compensation"} & linked[result.assignments[str(len(texts) - 1)]])


def test_topics_comment_with_a_further_theme_is_also_in_its_topic() -> None:
    overtime = ["残業が多すぎる", "毎日残業で帰れない", "休日出勤ばかりでつらい", "残業が減らない"]
    training = ["研修の内容が古い", "研修をもっと増やしてほしい", "研修が役に立たない",
                "資格取得の研修が少ない"]  # fmt: skip
    ends = ("本当に困る", "改善してほしい", "つらい", "何とかしてほしい", "どうにかして")
    texts = [f"{t}。{end}" for t in overtime + training for end in ends]
    texts += ["残業が多すぎて研修に出る暇がない", "毎日残業で、研修を受ける時間がない"]
    result = discover_topics(texts, config=TopicConfig(n_topics=2))
    linked = {t.id: {link.id for link in t.themes} for t in result.topics}
    for row in (str(len(texts) - 2), str(len(texts) - 1)):
        topics = [result.assignments[row], *result.also_assignments.get(row, [])]
        assert {"workload", "growth"} <= set().union(*(linked[t] for t in topics))
        for further in result.also_assignments.get(row, []):
            assert linked[further] - linked[result.assignments[row]]  # brings a new theme
    placed = sum(len(more) for more in result.also_assignments.values())
    assert placed and sum(t.also_size for t in result.topics) == placed
    assert all(result.also_assignments.values())  # only comments with further topics
    off = discover_topics(texts, config=TopicConfig(n_topics=2, also_topics=False))
    assert off.also_assignments == {} and off.assignments == result.assignments


def test_topics_save_load_assigns_new_comments(
    batch: tuple[list[str], list[str]], tmp_path: Path
) -> None:
    texts, _ = batch
    model = TopicModel(TopicConfig(min_topic_size=5)).fit(texts)
    model.save(tmp_path / "m")
    assert not list((tmp_path / "m").glob("*.pkl")) and not list((tmp_path / "m").glob("*.bin"))
    loaded = TopicModel.load(tmp_path / "m")
    assert loaded.config == model.config and loaded.config.theme_model is not None
    new = ["残業が多くて休めない", "上司が話を聞いてくれない"]
    assert loaded.transform(new) == loaded.transform(new)
    assert set(loaded.transform(new)) <= set(model.topics_)
    assert loaded.transform(texts[:10]) == model.transform(texts[:10])
    assert loaded.memberships(texts) == model.memberships(texts)
    assert [m[0] for m in loaded.memberships(texts)] == loaded.transform(texts)
    batch = TopicModel.load(tmp_path / "m").assign(new)  # a later wave, topics unchanged
    assert [[t, *more] for t, more in zip(batch.topics_, batch.also_topics_, strict=True)] == (
        loaded.memberships(new)
    )
    assert result_from_model(batch, new, ["a", "b"]).assignments == dict(
        zip(["a", "b"], loaded.transform(new), strict=True)
    )
    assert loaded.themes_ == model.themes_
    assert loaded.also_themes_ == model.also_themes_
    # a later wave without a single word the model knows: every comment an outlier
    empty = ["👍", "！！", "。"] * 4
    batch = TopicModel.load(tmp_path / "m").assign(empty)
    ids = [str(i) for i in range(len(empty))]
    waves = groups = ["A", "B"] * 6
    result = result_from_model(batch, empty, ids, groups=groups, times=waves)
    assert set(result.assignments.values()) == {-1} and result.topics == []


def test_topics_per_group_and_time(batch: tuple[list[str], list[str]]) -> None:
    texts, ids = batch
    groups = ["A" if i % 2 else "B" for i in range(len(texts))]
    times = [f"W{i % 3}" for i in range(len(texts))]
    result = discover_topics(texts, ids, groups=groups, times=times).to_dict()
    assert set(result["per_group"]) == {"A", "B"}
    assert set(result["per_time"]) == {"W0", "W1", "W2"}
    assert sum(g["size"] for g in result["per_group"]["A"]) == len(texts) // 2
    # a group's topic words are its own comments' words, never another group's
    for group, rows in result["per_group"].items():
        for row in rows:
            members = [t for t, i, g in zip(texts, ids, groups, strict=True)
                       if g == group and result["assignments"][i] == row["topic"]]  # fmt: skip
            docs, spell = lemma_docs(members)
            own = {w for doc in docs for w in doc.split()} | set(spell.values())
            assert set(row["words"]) <= own, (group, row["words"])


def test_topics_words_keep_negating_prefixes_and_written_dictionary_forms() -> None:
    docs, spell = lemma_docs(["基準が不明確で毎日がつらい", "スキルを活かす場が無責任に潰された"])
    assert docs[0].split() == ["基準", "不明確", "毎日", "辛い"]  # not 明確
    assert spell == {"辛い": "つらい", "生かす": "活かす"}  # UniDic lemmas as written
    assert "感ずる" not in joined_lemmas(["そう感じることが多い"])[0]  # 感じる is a stop word


# fmt: off
@pytest.mark.parametrize(("labels", "expected"), [
    (["wave 10", "wave 2", "wave 1"], ["wave 1", "wave 2", "wave 10"]),
    (["2025Q1", "2024Q4", "2024Q10", "2024Q2"], ["2024Q2", "2024Q4", "2024Q10", "2025Q1"]),
    (["2025-04", "2024-11", "2025-01", "2024-11"], ["2024-11", "2025-01", "2025-04"]),
    (["第3回", "第12回", "第1回"], ["第1回", "第3回", "第12回"]),
    (["第一回", "第三回", "第二回", "第十二回"], ["第一回", "第二回", "第三回", "第十二回"]),
    (["③", "①", "②"], ["①", "②", "③"]),
    (["2024Q2", "２０２４Ｑ１"], ["２０２４Ｑ１", "2024Q2"]),
    (["二〇二五年", "二〇二四年"], ["二〇二四年", "二〇二五年"]),
])
# fmt: on
def test_topics_wave_labels_in_natural_order(labels: list[str], expected: list[str]) -> None:
    assert wave_order(labels) == expected


def test_topics_trend_direction_needs_a_clear_change() -> None:
    assert direction((2, 100), (20, 100)) == (0.18, "rising")
    assert direction((20, 100), (2, 100)) == (-0.18, "falling")
    assert direction((2, 10), (3, 10))[1] == "stable"  # small waves: noise
    assert direction((0, 10), (0, 10)) == (0.0, "stable")
    # 8/600 -> 1/600 (z = 2.5) passes 1.96 but not the bar for 40 topics tested at once
    assert direction((8, 600), (1, 600))[1] == "falling"
    assert direction((8, 600), (1, 600), z_critical(40))[1] == "stable"
    assert round(z_critical(1), 2) == 1.96 and round(z_critical(40), 2) == 3.23


def test_topics_per_wave_trends_follow_the_wave_order(
    batch: tuple[list[str], list[str]], fitted: TopicModel
) -> None:
    texts, ids = batch
    # The largest topic only in the last wave: it must come out rising, with its counts.
    big = max(set(fitted.topics_), key=fitted.topics_.count)
    others = iter(range(10**6))
    waves = [
        "wave 10" if t == big else ("wave 2", "wave 10")[next(others) % 2]
        for t in fitted.topics_
    ]
    result = result_from_model(fitted, texts, ids, times=waves)
    assert result.trends is not None and result.per_time is not None
    assert result.trends.waves == ["wave 2", "wave 10"] == list(result.per_time)
    assert result.trends.sizes == [waves.count("wave 2"), waves.count("wave 10")]
    trend = {t.topic: t for t in result.trends.topics}
    assert trend[big].counts == [0, fitted.topics_.count(big)]
    assert trend[big].direction == "rising"
    for at, wave in enumerate(result.trends.waves):
        per_wave = {g.topic: g.size for g in result.per_time[wave]}
        assert {t: tr.counts[at] for t, tr in trend.items() if tr.counts[at]} == per_wave
        assert sum(per_wave.values()) == result.trends.sizes[at]


def test_topics_one_small_group_hides_another(
    batch: tuple[list[str], list[str]], fitted: TopicModel
) -> None:
    texts, ids = batch
    n = len(texts)
    groups = ["A"] * (n - 24) + ["B"] * 10 + ["C"] * 10 + ["D"] * 4
    waves = ["2024Q1"] * 3 + ["2024Q10"] * 20 + ["2024Q2"] * (n - 23)
    result = result_from_model(fitted, texts, ids, groups=groups, times=waves)
    assert result.per_group is not None and result.per_time is not None
    # D is under 5: hidden; alone it would be n - A - B - C, so the next smallest goes too.
    suppressed = dict(result.suppressed or {})
    hidden_topics = {int(t) for t in suppressed.pop("topics")}
    assert suppressed == {"groups": ["B", "D"], "waves": ["2024Q1", "2024Q10"]}
    assert set(result.per_group) == {"A", "C"}
    # the hidden groups' comments, counted from what is shown, are still at least 5
    shown_in_hidden_topics = sum(
        1 for t, g in zip(fitted.topics_, groups, strict=True) if t in hidden_topics and g in "AC"
    )
    hidden = n - sum(g.size for rows in result.per_group.values() for g in rows)
    assert hidden - shown_in_hidden_topics == 14 >= fitted.config.min_group_size
    # one wave left: per-wave topics, but no trend
    assert list(result.per_time) == ["2024Q2"] and result.trends is None
    shown_wave = sum(g.size for g in result.per_time["2024Q2"])
    pairs = zip(fitted.topics_, waves, strict=True)
    assert shown_wave + sum(t in hidden_topics and w == "2024Q2" for t, w in pairs) == n - 23
    # a hidden topic has comments of small groups or waves and fewer than 5 others
    tiny = [g == "D" or w == "2024Q1" for g, w in zip(groups, waves, strict=True)]
    for topic in set(fitted.topics_) - {-1}:
        members = [t for t, small in zip(fitted.topics_, tiny, strict=True) if t == topic]
        smalls = [small for t, small in zip(fitted.topics_, tiny, strict=True) if t == topic]
        assert (topic in hidden_topics) == (any(smalls) and len(members) - sum(smalls) < 5)
    assert hidden_topics.isdisjoint(t.id for t in result.topics)
    assert hidden_topics.isdisjoint(
        g.topic for rows in [*result.per_group.values(), *result.per_time.values()] for g in rows
    )


def test_topics_a_topic_of_a_hidden_group_is_not_described(
    batch: tuple[list[str], list[str]], fitted: TopicModel
) -> None:
    texts, ids = batch
    sizes = Counter(t for t in fitted.topics_ if t != -1)
    small = min(sizes, key=lambda t: (sizes[t], t))
    # its comments are in departments of two: hidden, as is the topic they make
    members = iter(range(len(texts)))
    groups = [
        f"法務{next(members) // 2}" if t == small else ("A", "B")[i % 2]
        for i, t in enumerate(fitted.topics_)
    ]
    waves = [("2024Q1", "2024Q2")[i % 2] for i in range(len(texts))]
    result = result_from_model(fitted, texts, ids, groups=groups, times=waves)
    assert result.suppressed is not None and "法務0" in result.suppressed["groups"]
    assert str(small) in result.suppressed["topics"]
    assert small not in {t.id for t in result.topics}
    assert result.per_group is not None and result.per_time is not None
    assert result.trends is not None and small not in {t.topic for t in result.trends.topics}
    for rows in [*result.per_group.values(), *result.per_time.values()]:
        assert small not in {g.topic for g in rows}
    # the same topic in shown departments is described
    groups = [("A", "B")[i % 2] for i in range(len(texts))]
    result = result_from_model(fitted, texts, ids, groups=groups, times=waves)
    assert result.suppressed == {"groups": [], "waves": [], "topics": []}
    assert small in {t.id for t in result.topics}


def test_topics_no_small_group_hides_nothing(
    batch: tuple[list[str], list[str]], fitted: TopicModel
) -> None:
    texts, ids = batch
    groups = ["A" if i % 2 else "B" for i in range(len(texts))]
    result = result_from_model(fitted, texts, ids, groups=groups)
    assert result.suppressed == {"groups": [], "topics": []}
    assert result.per_time is None and result.trends is None
    assert "per_time" not in result.to_dict() and "trends" not in result.to_dict()


def test_topics_representative_texts_are_redacted() -> None:
    assert "田中" not in redact_text("田中さんにメールしたtanaka@example.comに返事がない")
    assert "example.com" not in redact_text("連絡先はtanaka@example.comです")
    # examples are quoted as written, with the same spans redacted
    text = "給料が低すぎます～①改善を。㈱らしくない。田中さんに０９０ー１２３４ー５６７８で"
    quoted = "給料が低すぎます～①改善を。㈱らしくない。［氏名］さんに［電話番号］で"
    assert quote_text(text) == quoted


_PII_COMMENTS = [
    "評価シートの件で人事のkimura.taro@example.co.jpに問い合わせたが返事がない",
    "申請はhttps://intra.example.com/hr/form から出すように言われたが開けない",
    "総務の携帯090-1234-5678に何度電話しても出てもらえない",
    "田中さんにメールしたtanaka@example.comに返事がない",
]
_PII_PARTS = ("kimura", "taro", "tanaka", "example", "co", "jp", "com", "https", "intra", "hr",
              "form", "090", "1234", "5678", "田中")  # fmt: skip


def test_topics_words_are_lemmas_of_the_redacted_text() -> None:
    # The e-mail, URL, phone and name go, and so do their placeholders (［メール］…).
    assert joined_lemmas(_PII_COMMENTS) == [
        "評価 シート 件 人事 問い合わせる 返事",
        "申請 開ける",
        "総務 携帯 度 電話 出る",
        "メール 返事",
    ]
    # terms given like koe analyze --pii-terms go too
    assert joined_lemmas(_PII_COMMENTS[:1], ("評価シート",)) == ["件 人事 問い合わせる 返事"]
    assert redact_text("大阪第2工場は暑い", ("大阪第２工場",)) == "［固有名］は暑い"
    # text koe analyze redacted already: its placeholders are no words either
    assert joined_lemmas(["［氏名］さんに聞いたが［電話番号］は不明"]) == ["聞く 不明"]


def test_topics_words_labels_and_wave_words_hold_no_pii(
    batch: tuple[list[str], list[str]],
) -> None:
    texts, ids = batch
    pii = [f"{t}({n}回目)" for n in range(1, 4) for t in _PII_COMMENTS]
    texts, ids = [*texts, *pii], [*ids, *(f"p{i}" for i in range(len(pii)))]
    waves = [f"W{i % 2}" for i in range(len(texts))]
    depts = ["営業" if i % 3 else "開発" for i in range(len(texts))]
    result = discover_topics(texts, ids, TopicConfig(min_topic_size=5), groups=depts, times=waves)
    assert result.per_time is not None and result.per_group is not None
    words = [w for t in result.topics for w in [*t.words, *t.label.split("・")]]
    words += [w for per in (result.per_time, result.per_group) for rows in per.values()
              for g in rows for w in g.words]  # fmt: skip
    assert words and not set(words) & set(_PII_PARTS)


def test_topics_model_leaves_comments_without_known_words_out(fitted: TopicModel) -> None:
    topics = fitted.transform(["👍", "はい", "残業が多くて毎日遅くまで働いている"])
    assert topics[:2] == [-1, -1] and topics[2] != -1


def test_topics_few_comments_sharing_one_word_or_identical() -> None:
    three = ["残業が多すぎてつらい", "残業代が出るのは良い", "評価基準が不透明です"]
    assert len(discover_topics(three).assignments) == 3  # one shared word: no SVD crash
    same = discover_topics(["特になし"] * 3 + ["なし"] * 2)  # no RuntimeWarning either
    assert len(same.assignments) == 5
    with pytest.raises(ValueError, match="no content words"):
        discover_topics(["。。。", "!!", "、"])


def test_topics_rejects_tiny_or_mismatched_input() -> None:
    with pytest.raises(ValueError):
        discover_topics(["一件だけ"])
    with pytest.raises(ValueError):
        discover_topics(["a", "b"], ["1"])


def test_topics_words_are_shown_as_the_batch_spells_them() -> None:
    texts = ["ドラッグストアの手当が少ない", "子どもの手当が出た", "子供が熱を出した"]
    expected = {"ドラッグストアー": "ドラッグストア", "手当て": "手当", "子供": "子ども"}
    assert lemma_docs([*texts, "子どもがいる"])[1] == expected
    assert lemma_docs(["田中さんの手当が少ない"], ("手当",))[1] == {}  # redacted: no words
