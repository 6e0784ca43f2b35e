import pytest

pytest.importorskip("fugashi")

from nlp.tokenize import clean_lemma, tokenize  # noqa: E402

# fmt: off
LEMMAS = [
    ("残業が多すぎる", ["残業", "が", "多い", "過ぎる"]),
    ("すごく良かった", ["凄い", "良い", "た"]),
    ("ミスを責められた", ["ミス", "を", "責める", "られる", "た"]),
    ("", []),
    ("   ", []),
    ("😊", ["😊"]),
]
# fmt: on


@pytest.mark.parametrize(("text", "lemmas"), LEMMAS)
def test_tokenize_lemmas(text, lemmas):
    assert [t.lemma for t in tokenize(text)] == lemmas


def test_tokenize_offsets_match_surfaces_across_lines():
    text = "上司は 話を聞く。\n\n部下も 聞く"
    for tok in tokenize(text, offset=0):
        assert text[tok.start : tok.end] == tok.surface
    shifted = tokenize(text, offset=5)
    assert [t.start for t in shifted] == [t.start + 5 for t in tokenize(text)]


def test_tokenize_person_name_pos():
    tok = tokenize("田中さん")[0]
    assert (tok.pos1, tok.pos2, tok.pos3) == ("名詞", "固有名詞", "人名")


@pytest.mark.parametrize(
    ("lemma", "surface", "expected"),
    [("ミス-miss", "ミス", "ミス"), ("*", "ｗ", "ｗ"), ("", "x", "x"), ("-", "-", "-")],
)
def test_tokenize_clean_lemma(lemma, surface, expected):
    assert clean_lemma(lemma, surface) == expected
