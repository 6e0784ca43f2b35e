import pytest

from nlp.cues import count_negations, detect_cues
from nlp.tokenize import tokenize

# fmt: off
CUES = [
    # text, question, request, wish, lack, thanks
    ("もっと研修を増やしてほしい", False, True, False, True, False),
    ("丁寧に対応していただきました", False, False, False, False, False),
    ("検討していただけると助かります", False, True, True, False, False),
    ("休憩室が欲しい", False, True, False, False, False),
    ("教えてください", True, True, False, False, False),
    ("在宅勤務はできますか", True, False, False, False, False),
    ("ご対応くださりありがとうございました", False, False, False, False, True),
    ("面談があると良いと思います", False, True, True, False, False),
    ("今後ともよろしくお願いします", False, False, False, False, False),
    ("改善すべきだ", False, True, False, True, False),
    ("給料は良い", False, False, False, False, False),
    ("", False, False, False, False, False),
]
# fmt: on


@pytest.mark.parametrize("text,expected", [(c[0], c[1:]) for c in CUES])
def test_cues_detect(text, expected):
    assert tuple(detect_cues(tokenize(text))) == expected


# fmt: off
NEGATIONS = [
    ("良くない", 1),
    ("良い", 0),
    ("やりがいを感じない", 1),
    ("パワハラは一切ない", 1),
    ("休みが取れないわけではない", 2),
    ("悪くはないです", 1),
    ("悪い会社ではない", 1),  # the noun phrase is negated, so its modifier is
    ("楽な仕事ではない", 1),
    ("良い会社とは言えない", 1),
    ("良い会社で働けて嬉しい", 0),
    ("良い会社の社員が来ない", 0),  # only the one noun the word modifies
]
# fmt: on


@pytest.mark.parametrize(("text", "expected"), NEGATIONS)
def test_cues_count_negations_after_first_word(text, expected):
    assert count_negations(tokenize(text), 1) == expected


def test_cues_negated_saying_counts_twice():
    tokens = tokenize("不満がないとは言えない")
    assert count_negations(tokens, 1) == 2
