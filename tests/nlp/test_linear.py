import pytest

from nlp.errors import ModelLoadError
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


def test_linear_fast_logits_match_the_matrix_product(tiny_model_dir):
    import numpy as np

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
