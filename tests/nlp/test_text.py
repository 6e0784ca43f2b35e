import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from nlp.text import normalize

# fmt: off
CASES = [
    ("", ""),
    ("   ", ""),
    ("\t\n\r\n", ""),
    ("ｻｰﾋﾞｽ残業", "サービス残業"),
    ("ＡＢＣ１２３＠ｘ．ｊｐ", "ABC123@x.jp"),
    ("すごーーーい！！！", "すごーい!"),
    ("本当に？？", "本当に?"),
    ("良い　　と思う", "良い と思う"),
    ("一行目\r\n\r\n\r\n二行目", "一行目\n二行目"),
    ("〜～∼", "〜"),
    ("スーパ—マン", "スーパーマン"),
    ("ﾊﾞｶな", "バカな"),
    ("評価か\u309b低い、ハ\u309cワハラ", "評価が低い、パワハラ"),  # spacing ゛/゜ after kana
    ("あ\u309b", "あ\u3099"),  # no voiced あ: the mark stays on it
    ("ｶ\u309bﾝﾊ\u309cﾝ", "ガンパン"),  # half-width kana too
    ("ゼロ\u200b幅", "ゼロ幅"),
    ("emoji 😊👍", "emoji 😊👍"),
    ("\udc80壊れた", "壊れた"),
    ("①②", "12"),
]
# fmt: on


def test_text_normalize_cases():
    for raw, expected in CASES:
        assert normalize(raw).text == expected, raw


def test_text_offsets_point_at_the_source_characters():
    raw = "  ｻｰﾋﾞｽ残業が　多い！！ ＯＫ"
    norm = normalize(raw)
    for i, ch in enumerate(norm.text):
        start, end = norm.to_original(i, i + 1)
        source = unicodedata.normalize("NFKC", raw[start:end])
        assert ch in source or ch in " ー〜" or source.isspace(), (ch, source)


@given(st.text(max_size=60))
def test_text_offset_map_is_monotonic_and_in_bounds(raw):
    norm = normalize(raw)
    if norm.starts is None:
        assert norm.text == raw
    else:
        assert len(norm.starts) == len(norm.ends) == len(norm.text)
        previous_end = 0
        for start, end in zip(norm.starts, norm.ends, strict=True):
            assert previous_end <= end and 0 <= start < end <= len(raw)
            previous_end = end
    for i in range(len(norm.text)):
        a, b = norm.to_original(i, len(norm.text))
        assert 0 <= a <= b <= len(raw)


@given(st.text(max_size=40))
def test_text_fast_path_agrees_with_slow_path(raw):
    from nlp import text as module

    fast = normalize(raw)
    pattern = module._NEEDS_WORK
    try:
        module._NEEDS_WORK = __import__("re").compile(r"[\s\S]|^$")  # force the slow path
        slow = normalize(raw)
    finally:
        module._NEEDS_WORK = pattern
    assert fast.text == slow.text


def test_text_to_original_rejects_out_of_range():
    import pytest

    from nlp.text import OffsetError

    with pytest.raises(OffsetError):
        normalize("abc").to_original(2, 9)
