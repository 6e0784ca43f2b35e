from pathlib import Path

import pytest

from nlp.doc import make_doc
from nlp.registry import sentiment_backends
from nlp.sentiment import CombineConfig, LexiconSentiment, combine

TINY = str(Path(__file__).parent.parent / "fixtures" / "tiny_lexicon.tsv")


@pytest.fixture(scope="module")
def scorer():
    return LexiconSentiment(lexicon_path=TINY)


def clause_scores(scorer, text):
    return [round(s.score, 3) for s in scorer.score(make_doc(text))]


# fmt: off
CLAUSES = [
    ("良い", [1.0]),
    ("とても良い", [1.5]),
    ("少し遅い", [-0.5]),
    ("良くない", [-1.0]),
    ("悪くない", [0.25]),
    ("やりがいを感じない", [-1.0]),
    ("やりがいがないわけではない", [0.6]),
    ("風通しが良い職場", [1.5]),
    ("問題ない", [0.125]),
    ("給料は良いが、対応が遅い", [1.0, -1.0]),
    ("もっと丁寧に説明してほしい", [-0.5]),
    ("丁寧な説明があると良い", [0.0]),
    ("良い方法はありますか", [0.0]),
    ("😊", [1.0]),
    ("さすが、待たされて素晴らしい店ですね", [-2.5]),
    ("", []),
]
# fmt: on


@pytest.mark.parametrize(("text", "expected"), CLAUSES)
def test_sentiment_lexicon_clause_scores(scorer, text, expected):
    assert clause_scores(scorer, text) == expected


def test_sentiment_lexicon_registered():
    assert sentiment_backends.get("lexicon.v1") is LexiconSentiment


def test_sentiment_lexicon_bad_file_raises(tmp_path):
    from nlp.errors import ModelLoadError

    bad = tmp_path / "bad.tsv"
    bad.write_text("lemmas\tscore\n良い\tnot-a-number\n", encoding="utf-8")
    with pytest.raises(ModelLoadError, match="bad.tsv:2"):
        LexiconSentiment(lexicon_path=str(bad))
    with pytest.raises(ModelLoadError):
        LexiconSentiment(lexicon_path=str(tmp_path / "missing.tsv"))


# fmt: off
COMBINE = [
    ("良い", "positive"),
    ("悪い", "negative"),
    ("普通です", "neutral"),
    ("給料は良いが、対応が遅い", "mixed"),
    ("悪くはないけど、対応が遅い", "negative"),
    ("", "neutral"),
]
# fmt: on


@pytest.mark.parametrize(("text", "label"), COMBINE)
def test_sentiment_combine_labels(scorer, text, label):
    doc = make_doc(text)
    got, probs = combine(doc.clauses, scorer.score(doc), CombineConfig())
    assert got == label
    assert abs(sum((probs.positive, probs.negative, probs.neutral, probs.mixed)) - 1) < 1e-3
