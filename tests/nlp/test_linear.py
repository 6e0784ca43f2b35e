import json

import numpy as np
import pytest

from nlp.errors import ConfigError, ModelLoadError
from nlp.linear import LinearCommentModel, train_linear
from nlp.pipeline import Pipeline, PipelineConfig

# fmt: off
TINY = [
    ("とても良い職場です", "positive", "praise"), ("最高です", "positive", "praise"),
    ("上司が優しくて良い", "positive", "praise"), ("残業が多くて最悪", "negative", "complaint"),
    ("給料が低くて不満", "negative", "complaint"), ("最悪です", "negative", "complaint"),
    ("研修はありますか", "neutral", "question"), ("特になし", "neutral", "other"),
    ("制度を教えてください", "neutral", "question"), ("良いけど残業が多い", "mixed", "complaint"),
    ("給料は良いが最悪の上司", "mixed", "complaint"),
    ("休みを増やしてほしい", "neutral", "suggestion"),
]
# fmt: on


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("model")
    records = [{"text": t, "sentiment": s, "intent": i} for t, s, i in TINY]
    config = train_linear(records, out, name="tiny")
    assert config["labels"]["sentiment"] == ["mixed", "negative", "neutral", "positive"]
    return out


def test_linear_round_trip_probabilities(tiny_model_dir):
    model = LinearCommentModel.load(str(tiny_model_dir))
    probs = model.predict_proba(["最高です", ""])
    assert set(probs) == {"sentiment", "intent", "binary"}
    for row in probs["sentiment"] + probs["intent"]:
        assert abs(sum(row.values()) - 1) < 1e-5
    assert set(probs["binary"][0]) == {"none"}  # the tiny set has no alert and no theme
    assert max(probs["sentiment"][0], key=probs["sentiment"][0].get) == "positive"


@pytest.mark.parametrize(
    ("text", "lemmas"),
    [
        ("悪くないと思う", "悪い¬ 思う |"),
        ("品質が悪くなった", "品質 悪い 成る |"),
        ("パワハラは一切ない", "パワハラ¬ 一切¬ |"),
        ("不満はありません", "不満¬ 有る¬ |"),
        ("良いとは言えない。最悪", "良い¬ 言う¬ | 最悪 |"),  # 「〜とは言えない」 negates 良い
    ],
)
def test_negated_lemmas_mark_the_words_a_negation_follows(text, lemmas):
    from nlp.doc import make_doc
    from nlp.linear import negated_lemmas

    assert negated_lemmas(make_doc(text)) == lemmas


def test_linear_lemma_features_are_saved_and_used(tiny_model_dir, tmp_path):
    config = json.loads((tiny_model_dir / "config.json").read_text())
    assert config["lemmas"]["scale"] == 0.5 and (tiny_model_dir / "lemma_vocab.json").is_file()
    model = LinearCommentModel.load(str(tiny_model_dir))
    assert model.lemmas is not None
    records = [{"text": t, "sentiment": s, "intent": i} for t, s, i in TINY]
    plain = train_linear(records, tmp_path, name="chars", lemma_scale=0)
    assert "lemmas" not in plain and not (tmp_path / "lemma_vocab.json").exists()
    without = LinearCommentModel.load(str(tmp_path))  # the format of models before lemmas
    assert without.lemmas is None
    # The lemma logits are added to the character ones, as the classifier was fitted on both.
    from dataclasses import replace

    from scipy.sparse import hstack
    from sklearn.linear_model import LogisticRegression

    from nlp.doc import make_doc
    from nlp.linear import negated_lemmas

    lemma_vectorizer, scale, _ = model.lemmas
    docs = [make_doc(t) for t, _, _ in TINY]
    x = hstack([model.vectorizer.transform([d.norm.text for d in docs]),
                scale * lemma_vectorizer.transform([negated_lemmas(d) for d in docs])])  # fmt: skip
    clf = LogisticRegression(C=30.0, max_iter=5000).fit(x, [s for _, s, _ in TINY])
    expected = clf.predict_proba(x)
    got = model.predict_docs(docs)["sentiment"]
    assert np.allclose([[p[label] for label in clf.classes_] for p in got], expected, atol=1e-4)
    chars_only = replace(model, lemmas=None).predict_docs(docs)["sentiment"]
    assert not np.allclose([list(p.values()) for p in chars_only], [list(p.values()) for p in got])


def test_linear_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(ModelLoadError, match="train_linear"):
        LinearCommentModel.load(str(tmp_path / "nope"))


def test_linear_pipeline_uses_the_model(tiny_model_dir, tiny_config):
    pipe = Pipeline(tiny_config.model_copy(update={"comment_model": str(tiny_model_dir)}))
    result = pipe.analyze(["最悪です"])[0]
    assert pipe.version.endswith("+tiny")
    assert result.sentiment == "negative" and result.intent == "complaint"
    scores = result.sentiment_scores
    assert abs(scores.positive + scores.negative + scores.neutral + scores.mixed - 1) < 1e-3


def test_linear_shipped_model_loads():
    pipe = Pipeline(PipelineConfig())
    texts = ["最高の職場です。ありがとう！", "最悪。二度と使わない"]
    labels = [r.sentiment for r in pipe.analyze(texts)]
    assert labels == ["positive", "negative"]


def test_linear_binary_head_alone_gives_what_all_heads_give():
    from nlp.comment_model import DEFAULT_LINEAR
    from nlp.doc import make_doc

    model = LinearCommentModel.load(DEFAULT_LINEAR)
    doc = make_doc("上司は話を聞いてくれるが、残業が多すぎる。")
    docs = [doc, *(doc.clause_doc(i) for i in range(len(doc.clauses)))]
    binary = model.predict_binary(docs)
    assert binary == model.predict_docs(docs)["binary"]
    assert binary[2]["theme:workload"] > 0.5 > binary[1]["theme:workload"]


def test_linear_fast_logits_match_the_matrix_product(tiny_model_dir):
    from nlp.linear import _logits

    model = LinearCommentModel.load(str(tiny_model_dir))
    features = model.vectorizer.transform(["最高です", "残業が多い", ""])
    _, coef, intercept = model.heads["sentiment"]
    expected = features @ coef.T + intercept
    assert np.allclose(_logits(features, coef, intercept), expected, atol=1e-5)


def test_linear_two_label_head_gives_both_probabilities(tmp_path):
    # e.g. retraining on binary polarity data: two sentiment labels only
    records = [{"text": t, "sentiment": s, "intent": i} for t, s, i in TINY if s != "mixed"]
    records = [r for r in records if r["sentiment"] in ("positive", "negative")]
    train_linear(records, tmp_path, name="binary")
    probs = LinearCommentModel.load(str(tmp_path)).predict_proba(["最高です", "最悪です"])
    assert [max(p, key=p.get) for p in probs["sentiment"]] == ["positive", "negative"]
    assert all(abs(sum(p.values()) - 1) < 1e-5 for p in probs["sentiment"])
    pipe = Pipeline(PipelineConfig(comment_model=str(tmp_path)))
    assert [r.sentiment for r in pipe.analyze(["最高です", "最悪です"])] == ["positive", "negative"]


def test_linear_without_intent_labels_leaves_intent_to_the_rules(tmp_path, tiny_model_dir):
    # e.g. retraining from a CSV with text,sentiment only
    records = [{"text": t, "sentiment": s} for t, s, _ in TINY]
    config = train_linear(records, tmp_path, name="no-intent")
    assert set(config["labels"]) == {"sentiment"}
    probs = LinearCommentModel.load(str(tmp_path)).predict_proba(["最悪です"])
    assert "intent" not in probs
    pipe = Pipeline(PipelineConfig(comment_model=str(tmp_path)))
    result = pipe.analyze(["研修はありますか"])[0]
    assert result.error is None and result.intent == "question"
    both = Pipeline(PipelineConfig(comment_model=(str(tmp_path), str(tiny_model_dir))))
    assert both.analyze(["最悪です"])[0].intent == "complaint"  # from the model that has it


def test_linear_needs_two_sentiment_labels(tmp_path):
    with pytest.raises(ValueError, match="two sentiment labels"):
        train_linear([{"text": "良い", "sentiment": "positive"}] * 3, tmp_path, name="one")


def _train_linear_script():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scripts" / "train_linear.py"
    spec = importlib.util.spec_from_file_location("train_linear_script", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        ("model.safetensors", "model.safetensors is damaged or truncated"),
        ("config.json", "config.json or model.safetensors lacks 'vectorizer'"),
        ("vocab.json", "vocab.json"),
        ("lemma_vocab.json", "lemma_vocab.json"),
        ("everything", "no config.json"),
    ],
)
def test_linear_damaged_model_is_a_one_line_error(tiny_model_dir, tmp_path, damage, problem):
    import shutil

    model = tmp_path / "damaged"
    shutil.copytree(tiny_model_dir, model)
    if damage == "model.safetensors":
        data = (model / damage).read_bytes()
        (model / damage).write_bytes(data[: len(data) // 2])
    elif damage == "config.json":
        (model / damage).write_text('{"name": "x"}')
    elif damage in ("vocab.json", "lemma_vocab.json"):
        (model / damage).unlink()
    else:
        for path in model.iterdir():
            path.unlink()
    with pytest.raises(ModelLoadError) as caught:
        LinearCommentModel.load(str(model))
    message = str(caught.value)
    assert message.startswith(f"cannot load comment model from {model}: ")
    assert problem in message and "\n" not in message


def test_linear_failed_overwrite_leaves_the_old_model(tiny_model_dir, tmp_path, monkeypatch):
    import shutil
    import sys

    script = _train_linear_script()
    out = tmp_path / "mine"
    shutil.copytree(tiny_model_dir, out)
    for name in ("metrics.json", "MODEL_CARD.md"):
        (out / name).write_text("old")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    labels = tmp_path / "labels.csv"
    labels.write_text("text,sentiment\n良い,positive\n最高,positive\n", encoding="utf-8")
    argv = ["train_linear.py", "--train", str(labels), "--output", str(out), "--overwrite"]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(ValueError, match="at least two"):  # one sentiment label
        script.main()
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".mine.lock", "labels.csv", "mine"]


def test_linear_script_takes_no_polarity_file_and_names_the_model_after_output(
    tmp_path, monkeypatch
):
    import sys

    script = _train_linear_script()
    seen = []

    def fake(args, name, polarity, out):
        seen.append((name, polarity))
        (out / "config.json").write_text("{}")

    monkeypatch.setattr(script, "train", fake)
    out = tmp_path / "my-linear"
    monkeypatch.setattr(sys, "argv", ["train_linear.py", "--output", str(out), "--polarity", ""])
    script.main()
    assert seen == [("my-linear", None)] and (out / "config.json").exists()
    monkeypatch.setattr(sys, "argv", ["train_linear.py", "--name", "../x"])
    with pytest.raises(ConfigError, match="one directory name"):
        script.main()


def test_linear_model_card_describes_the_polarity_data_used():
    script = _train_linear_script()
    split = {"sentiment_macro_f1": 0.5, "sentiment_accuracy": 0.5, "intent_accuracy": 0.5,
             "theme_micro_f1": 0.5, "theme_polarity_accuracy": 0.5, "alert_recall": 0.5,
             "alert_false_rate": 0.1, "sentiment_accuracy_by_tag": {},
             "sentiment_per_class": {k: {"f1": 0.5} for k in
                                     ("positive", "negative", "neutral", "mixed")}}  # fmt: skip
    config = {"name": "mine", "n_features": 10, "C": 30.0, "n_comments": 12,
              "polarity_weight": None}  # fmt: skip
    metrics = {"dev": split, "tune": split, "train_seconds": 1.0, "train_files": ["a.csv"]}
    card = script.model_card(config, metrics, "python scripts/train_linear.py")
    assert "chABSA" not in card and "No sentence polarity data" in card
    config["polarity_weight"] = 0.3
    metrics["polarity"] = {"file": "data/chabsa/chabsa.tsv", "holdout": 0.2}
    metrics["chabsa_heldout"] = {"n": 10, "accuracy": 0.7, "binary_accuracy": 0.8,
                                 "always_positive": 0.6}  # fmt: skip
    card = script.model_card(config, metrics, "python scripts/train_linear.py")
    assert "the 80 % of the chABSA sentences" in card and "weight 0.3" in card
    assert "accuracy 0.700 (always-positive 0.600)" in card and "0.595" not in card
