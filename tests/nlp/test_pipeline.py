import json
from pathlib import Path

import pytest

from nlp.comment_model import DEFAULT_LINEAR, EnsembleCommentModel, load_comment_model
from nlp.doc import Doc
from nlp.errors import ConfigError
from nlp.io import InputRecord
from nlp.pipeline import Pipeline, PipelineConfig, _clause_model
from nlp.results import ErrorInfo


def test_pipeline_result_shape_and_offsets(tiny_pipeline):
    text = "給料は良いが、田中課長に怒鳴られることが多い。連絡は090-1234-5678まで"
    result = tiny_pipeline.analyze([text])[0]
    data = result.to_dict()
    assert set(data) >= {
        "id",
        "pack",
        "sentiment",
        "sentiment_scores",
        "themes",
        "intent",
        "alert",
        "pii",
        "text_redacted",
        "clauses",
        "error",
    }
    assert data["error"] is None
    assert data["sentiment"] == "mixed"
    assert data["alert"]["flag"] is True and data["alert"]["reasons"] == ["harassment"]
    assert {p["type"] for p in data["pii"]} == {"name", "phone"}
    assert "田中" not in data["text_redacted"] and "090" not in data["text_redacted"]
    assert "［氏名］" in data["text_redacted"] and "［電話番号］" in data["text_redacted"]
    for span in data["pii"]:
        assert text[span["start"] : span["end"]] in {"田中", "090-1234-5678"}
    for theme in data["themes"]:
        for ev in theme["evidence"]:
            assert text[ev["start"] : ev["end"]] == ev["text"]
    assert [c["sentiment"] for c in data["clauses"]][:2] == ["positive", "negative"]
    json.dumps(data, ensure_ascii=False)  # JSON-serialisable


def test_pipeline_offsets_refer_to_original_text(tiny_pipeline):
    text = "ｻｰﾋﾞｽ残業が　多い！！　ＯＫ"
    data = tiny_pipeline.analyze([text])[0].to_dict()
    for clause in data["clauses"]:
        assert 0 <= clause["start"] < clause["end"] <= len(text)
    workload = [t for t in data["themes"] if t["id"] == "workload"]
    assert workload and text[workload[0]["evidence"][0]["start"] :].startswith("ｻｰﾋﾞｽ残業")


# fmt: off
BAD_INPUTS = [
    ("", "empty_text"),
    ("   \n\t ", "empty_text"),
    ("x" * 100_001, "text_too_long"),
]
SURVIVES = ["😊😊", "\x00\x07制御文字\x1b", "\udc80壊れた", "Mixed English と日本語 text", "ｗｗｗ",
            "〜", "あ" * 20_000]
# fmt: on


@pytest.mark.parametrize(("text", "code"), BAD_INPUTS)
def test_pipeline_bad_comment_gets_error_and_batch_goes_on(tiny_pipeline, text, code):
    results = tiny_pipeline.analyze([text, "良い"])
    assert results[0].error is not None and results[0].error.code == code
    if code == "text_too_long":  # the API's and uploads' message too
        assert results[0].error.message == (
            "the comment has 100,001 characters; the limit is 100,000 characters per comment"
        )
    assert results[1].error is None and results[1].sentiment == "positive"


@pytest.mark.parametrize("text", SURVIVES)
def test_pipeline_odd_inputs_are_analysed(tiny_pipeline, text):
    result = tiny_pipeline.analyze([text])[0]
    assert result.error is None
    assert result.sentiment in {"positive", "negative", "neutral", "mixed"}


def test_pipeline_record_errors_and_unknown_pack_per_row(tiny_pipeline):
    records = [
        InputRecord("a", None, {}, error=ErrorInfo("invalid_json", "line 1: bad")),
        InputRecord("b", "良い", {"dept": "営業"}, pack="nope"),
        InputRecord("c", "対応が遅い", {"dept": "営業"}, pack="customer"),
    ]
    a, b, c = tiny_pipeline.analyze_records(records)
    assert a.error.code == "invalid_json"
    assert b.error.code == "unknown_pack" and "employee" in b.error.message
    assert c.error is None and c.pack == "customer" and c.to_dict()["dept"] == "営業"
    assert [r.id for r in (a, b, c)] == ["a", "b", "c"]


def test_pipeline_unknown_default_pack_fails_fast(tiny_config):
    from nlp.errors import UnknownPackError

    with pytest.raises(UnknownPackError, match="customer, employee"):
        Pipeline(tiny_config.model_copy(update={"pack": "nope"}))


def test_pipeline_unknown_backend_lists_names():
    from nlp.errors import UnknownBackendError

    with pytest.raises(UnknownBackendError, match="lexicon.v1"):
        Pipeline(PipelineConfig(sentiment_backend="nope.v1"))


def test_pipeline_config_file_matches_defaults():
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "configs" / "standard.toml"
    assert PipelineConfig.from_toml(path) == PipelineConfig()


def test_pipeline_fast_profile_config_has_no_model():
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "configs" / "fast.toml"
    config = PipelineConfig.from_toml(path)
    assert not config.comment_model
    assert Pipeline(config).version.endswith("lexicon.v1")


def test_pipeline_pii_terms_are_redacted(tiny_config):
    pipe = Pipeline(tiny_config.model_copy(update={"pii_terms": ("川崎工場",)}))
    data = pipe.analyze(["川崎工場の設備が古い"])[0].to_dict()
    assert data["text_redacted"].startswith("［固有名］")


def test_pipeline_parallel_stream_keeps_order(tiny_config):
    from nlp.parallel import analyze_stream

    records = [InputRecord(str(i), t, {}) for i, t in enumerate(["良い", "悪い", "", "遅い"] * 30)]
    serial = [r.to_dict() for r in analyze_stream(records, tiny_config, chunk_size=7)]
    parallel = [r.to_dict() for r in analyze_stream(records, tiny_config, workers=2, chunk_size=7)]
    assert parallel == serial


class _PraiseModel:
    """A comment model that finds recognition, without a cue, where 嬉しかった is said."""

    name = "fake"

    def predict_docs(self, docs: list[Doc]) -> dict[str, list[dict[str, float]]]:
        mixed = {"mixed": 0.7, "positive": 0.1, "negative": 0.1, "neutral": 0.1}
        return {
            "sentiment": [mixed] * len(docs),
            "binary": [{"theme:recognition": 0.9 if "嬉しかった" in d.text else 0.2}
                       for d in docs],
        }  # fmt: skip


def test_a_theme_the_model_found_takes_the_polarity_of_its_clause() -> None:
    pipe = Pipeline(PipelineConfig(comment_model=None))
    pipe.comment_model = _PraiseModel()
    result = pipe.analyze(["昨日のことは本当に嬉しかった。でも最近は残業が多すぎてつらい。"])[0]
    themes = {t.id: t for t in result.themes}
    assert result.sentiment == "mixed" and set(themes) == {"recognition", "workload"}
    assert themes["recognition"].polarity == "positive"  # not the last clause's negative
    assert themes["recognition"].evidence == [] and themes["workload"].evidence
    assert [c.themes for c in result.clauses] == [["recognition"], ["workload"]]


class _FixedThemeModel:
    """A comment model that gives every comment the same theme probabilities."""

    name = "fixed"

    def predict_docs(self, docs: list[Doc]) -> dict[str, list[dict[str, float]]]:
        negative = {"negative": 0.7, "positive": 0.1, "mixed": 0.1, "neutral": 0.1}
        # delivery is a customer theme: never one of an employee comment's
        themes = {"theme:workload": 0.08, "theme:recognition": 0.47, "theme:delivery": 0.6}
        return {"sentiment": [negative] * len(docs), "binary": [themes] * len(docs)}


@pytest.mark.parametrize(
    ("veto", "threshold", "expected"),
    [(0.05, 0.5, {"workload"}), (0.1, 0.45, {"recognition"}), (0.1, 0.5, set())],
)
def test_the_theme_veto_and_threshold_come_from_the_config(
    veto: float, threshold: float, expected: set[str]
) -> None:
    config = PipelineConfig(
        comment_model=None, theme_veto=veto, theme_threshold=threshold, theme_fallback=1
    )
    pipe = Pipeline(config)
    pipe.comment_model = _FixedThemeModel()
    result = pipe.analyze(["残業が多すぎる"])[0]  # a workload cue
    assert {t.id for t in result.themes} == expected


@pytest.mark.parametrize(
    ("veto", "fallback", "expected"),
    [
        (0.1, 0.2, {"recognition"}),  # the cue is vetoed: the likeliest theme of the pack
        (0.1, 0.5, set()),  # the model is not sure enough of any
        (0.1, 1, set()),  # never
        (0.05, 0.2, {"workload"}),  # the cue match stays: nothing is added
    ],
)
def test_a_comment_left_without_a_theme_gets_the_likeliest_one(
    veto: float, fallback: float, expected: set[str]
) -> None:
    config = PipelineConfig(
        comment_model=None, theme_veto=veto, theme_threshold=0.5, theme_fallback=fallback
    )
    pipe = Pipeline(config)
    pipe.comment_model = _FixedThemeModel()
    result = pipe.analyze(["残業が多すぎる"])[0]
    assert {t.id for t in result.themes} == expected


def test_clause_weight_blends_the_clause_scores_into_the_comment_label() -> None:
    text = "本当に素晴らしい職場で最高です"  # the lexicon: clearly positive
    rules = Pipeline(PipelineConfig(comment_model=None)).analyze(text)[0]
    assert rules.sentiment == "positive"
    results = {}
    for weight in (0.0, 0.15, 1.0):
        pipe = Pipeline(PipelineConfig(comment_model=None, clause_weight=weight))
        pipe.comment_model = _FixedThemeModel()  # sure it is negative (0.7)
        results[weight] = pipe.analyze(text)[0]
    assert results[0.0].sentiment_scores.negative == 0.7
    assert results[1.0].sentiment_scores == rules.sentiment_scores
    blended = results[0.15].sentiment_scores
    for label in ("positive", "negative", "neutral", "mixed"):
        model = 0.7 if label == "negative" else 0.1
        expected = 0.85 * model + 0.15 * getattr(rules.sentiment_scores, label)
        assert getattr(blended, label) == pytest.approx(expected, abs=1e-3)
    assert [results[w].sentiment for w in (0.0, 0.15, 1.0)] == ["negative", "negative", "positive"]


class _IntentModel:
    """A comment model sure of one sentiment and one intent for every comment."""

    name = "contrary"

    def __init__(self, sentiment: str, intent: str) -> None:
        self.sentiment, self.intent = sentiment, intent

    def predict_docs(self, docs: list[Doc]) -> dict[str, list[dict[str, float]]]:
        sentiment = {k: 0.7 if k == self.sentiment else 0.1
                     for k in ("positive", "negative", "neutral", "mixed")}  # fmt: skip
        intent = {k: 0.6 if k == self.intent else 0.1
                  for k in ("praise", "complaint", "question", "suggestion", "other")}  # fmt: skip
        return {"sentiment": [sentiment] * len(docs), "intent": [intent] * len(docs),
                "binary": [{}] * len(docs)}  # fmt: skip


@pytest.mark.parametrize(("sentiment", "intent", "expected"), [
    ("negative", "praise", "complaint"), ("positive", "complaint", "praise"),
    ("positive", "praise", "praise"), ("mixed", "praise", "praise"),
    ("negative", "suggestion", "suggestion"),
])  # fmt: skip
def test_an_intent_that_contradicts_the_label_follows_it(
    sentiment: str, intent: str, expected: str
) -> None:
    pipe = Pipeline(PipelineConfig(comment_model=None, clause_weight=0.0))
    pipe.comment_model = _IntentModel(sentiment, intent)
    result = pipe.analyze("残業が多い")[0]
    assert (result.sentiment, result.intent) == (sentiment, expected)


def test_clause_weight_is_read_from_a_config_file(tmp_path: Path) -> None:
    (tmp_path / "k.toml").write_text("[pipeline]\nclause_weight = 0.3\n", "utf-8")
    assert PipelineConfig.from_toml(tmp_path / "k.toml").clause_weight == 0.3
    (tmp_path / "bad.toml").write_text("[pipeline]\nclause_weight = 2\n", "utf-8")
    with pytest.raises(ConfigError, match="clause_weight"):
        PipelineConfig.from_toml(tmp_path / "bad.toml")


def test_clauses_are_rated_by_the_linear_member_of_an_ensemble() -> None:
    linear = load_comment_model(DEFAULT_LINEAR)
    praise = _PraiseModel()
    assert _clause_model(EnsembleCommentModel([praise, linear])) is linear
    assert _clause_model(EnsembleCommentModel([praise])).name == "fake"
    assert _clause_model(None) is None


def test_pipeline_analyze_takes_one_string_and_refuses_other_types(tiny_pipeline):
    assert [r.text_redacted for r in tiny_pipeline.analyze("残業が多い")] == ["残業が多い"]
    for wrong, message in ((b"x", "not bytes"), ({"text": "a"}, "not dict"), ([1], "is int")):
        with pytest.raises(TypeError, match=message):
            tiny_pipeline.analyze(wrong)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("\ufeff[pipeline]\ncomment_model = ''\n".encode(), None),  # a BOM, as Notepad saves
        ("# 設定\n[pipeline]\ncomment_model = ''\n".encode("cp932"), "save it as UTF-8"),
        (b"max_chars = 5\n[pipeline]\ncomment_model = ''\n", "not max_chars"),
    ],
)
def test_pipeline_config_file_encodings_and_stray_keys(tmp_path, content, message):
    path = tmp_path / "config.toml"
    path.write_bytes(content)
    if message is None:
        assert PipelineConfig.from_toml(path).comment_model == ""
    else:
        with pytest.raises(ConfigError, match=message):
            PipelineConfig.from_toml(path)


def test_pipeline_backend_options_it_does_not_take_are_a_config_error():
    config = PipelineConfig(comment_model=None, sentiment_options={"lexicon_pth": "x.tsv"})
    with pytest.raises(ConfigError, match="sentiment_options do not fit lexicon.v1.*lexicon_pth"):
        Pipeline(config)


def test_pipeline_config_paths_are_relative_to_the_config_file(tmp_path, monkeypatch):
    folder = tmp_path / "survey"
    folder.mkdir()
    pack = "id: mine\nversion: 1\nlabel: {ja: 私, en: Mine}\nthemes:\n"
    pack += "  - id: canteen\n    label: {ja: 食堂, en: Canteen}\n    cues: [食堂]\n"
    (folder / "mine.yaml").write_text(pack, "utf-8")
    (folder / "koe.toml").write_text(
        '[pipeline]\npack = "mine.yaml"\ncomment_model = ""\n', "utf-8"
    )
    monkeypatch.chdir(tmp_path)  # elsewhere: the names are next to the config, not here
    config = PipelineConfig.from_toml("survey/koe.toml")
    assert config.pack == str(folder / "mine.yaml")
    assert [t.id for t in Pipeline(config).analyze("食堂が狭い")[0].themes] == ["canteen"]
    (folder / "linear-ja-v12").mkdir()  # a bare name is a model name, not this folder
    (folder / "named.toml").write_text('[pipeline]\ncomment_model = "linear-ja-v12"\n', "utf-8")
    assert PipelineConfig.from_toml("survey/named.toml").comment_model == "linear-ja-v12"
    standard = Path(__file__).parents[2] / "configs" / "standard.toml"
    assert PipelineConfig.from_toml(standard).comment_model == (
        "linear-ja-v12"
    )  # a shipped model's name stays a name


def test_pipeline_records_and_streams_check_their_arguments(tiny_pipeline):
    from nlp.errors import UnknownPackError
    from nlp.parallel import analyze_stream

    with pytest.raises(TypeError, match="record 1 is dict, not InputRecord"):
        tiny_pipeline.analyze_records([{"text": "残業"}])
    records = [InputRecord(id="1", text="残業", attributes={})]
    with pytest.raises(ValueError, match="chunk_size must be at least 1"):
        list(analyze_stream(records, tiny_pipeline.config, chunk_size=0))
    wrong = tiny_pipeline.config.model_copy(update={"pack": "nope"})
    with pytest.raises(UnknownPackError):  # before a worker dies of it
        list(analyze_stream(records, wrong, workers=2))


def test_pipeline_a_backend_that_miscounts_fails_its_comments_not_the_batch(tiny_pipeline):
    class Miscounting:
        name, batch_size = "miscounting.v1", 64

        def score_batch(self, docs):
            return []

    tiny_pipeline.sentiment = Miscounting()
    results = tiny_pipeline.analyze(["残業が多い", "良い職場"])
    assert [r.error.code for r in results] == ["internal_error"] * 2
    assert "returned 0 results for 2 comments" in results[0].error.message
