import pytest

from nlp.doc import make_doc
from nlp.segment import segment
from nlp.tokenize import tokenize

# fmt: off
CASES = [
    ("給料は良いが、残業が多い。", [("給料は良いが、", False), ("残業が多い。", True)]),
    ("悪くはないけど対応が遅い", [("悪くはないけど", False), ("対応が遅い", True)]),
    ("良い。でも高い", [("良い。", False), ("でも高い", True)]),
    ("良い。しかし高い", [("良い。", False), ("しかし高い", True)]),
    ("一行目\n二行目", [("一行目", False), ("二行目", False)]),
    ("楽しいし、給料も良い", [("楽しいし、", False), ("給料も良い", False)]),
    ("本当に？？", [("本当に？？", False)]),
    ("価格は満足、画質は不満。", [("価格は満足、", False), ("画質は不満。", False)]),
    ("上司は優しく、同僚も親切です", [("上司は優しく、", False), ("同僚も親切です", False)]),
    ("私は、東京の本社は好きです", [("私は、東京の本社は好きです", False)]),
    ("駅は近く、便利です", [("駅は近く、便利です", False)]),
    ("", []),
]
# fmt: on


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_segment_clauses(text, expected):
    clauses = segment(text, tokenize(text))
    assert [(text[c.start : c.end], c.after_contrast) for c in clauses] == expected


def test_segment_sentence_index_counts_sentences():
    text = "良い。悪い。普通"
    assert [c.sentence for c in segment(text, tokenize(text))] == [0, 1, 2]


def test_clause_doc_is_the_clause_alone_without_retokenising():
    doc = make_doc("給料は良いが、残業が多い。上司は優しい")
    alone = doc.clause_doc(1)
    assert alone.text == "残業が多い。"
    assert [t.surface for t in alone.tokens] == [t.surface for t in doc.clause_tokens(1)]
    assert all(alone.text[t.start : t.end] == t.surface for t in alone.tokens)
    assert [(c.start, c.end, c.tok_start, c.tok_end) for c in alone.clauses] == [
        (0, len(alone.text), 0, len(alone.tokens))
    ]
    assert alone.norm.to_original(0, 2) == (0, 2)
