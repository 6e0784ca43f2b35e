import pytest

from nlp.alerts import detect_alert, load_alert_cues
from nlp.doc import make_doc
from nlp.sentiment import LexiconSentiment

# fmt: off
CASES = [
    ("上司に毎日怒鳴られています", ["harassment"]),
    ("飲み会でお酌を強要されるのがつらい", ["harassment"]),
    ("体を触られました", ["harassment"]),
    ("最近眠れない日が続いていて、もう限界です", ["self_harm"]),
    ("死にたいと思うことがある", ["self_harm"]),
    ("安全装置が壊れたまま放置されています", ["safety"]),
    ("検査データを改ざんするよう指示された", ["compliance"]),
    ("パワハラは一切ない職場です", []),
    ("パワハラなんか一回も見たことない", []),
    ("ハラスメント研修はいつありますか？", []),
    ("相談窓口に連絡したら、すぐ親身に対応してくれました", []),
    ("死ぬほど美味しい", []),
    ("熱中症対策で飲み物が配られて助かっています", []),
    ("爆発的に売れているそうですね", []),
    ("先輩に何度も食事に誘われて困っています", ["harassment"]),
    ("これってパワハラではないでしょうか", ["harassment"]),
    ("朝になると会社に行くのが怖くて足が動かない", ["self_harm"]),
    ("最近は何も感じなくなってきました", ["self_harm"]),
    ("充電中にケーブルから火花が出ました", ["safety"]),
    ("請求書の日付を変えるよう上司に言われた", ["compliance"]),
    ("身に覚えのない請求が届いています", ["compliance"]),
    ("うちの部署はハラスメントとは無縁です", []),
    ("セクハラがあったという話は聞いたことがない", []),
    ("パワハラで悩んでいる人なんていません", []),
    ("前職のパワハラ上司と比べたら今は天国です", []),
    ("昔は怒鳴る人もいたけど、今はそういうのは全くない", []),
    ("パワハラ相談窓口に連絡したら、すぐに丁寧に対応してもらえました", []),
    ("このままだと誰かが倒れそうです", []),
    ("アカウントが乗っ取られた場合の補償はありますか", []),
    ("", []),
    ("😊", []),
]
# fmt: on


@pytest.fixture(scope="module")
def scorer():
    return LexiconSentiment()


@pytest.mark.parametrize(("text", "reasons"), CASES)
def test_alerts_detect(scorer, text, reasons):
    doc = make_doc(text)
    result = detect_alert(doc, scorer.score(doc))
    assert result.reasons == reasons
    assert result.flag is bool(reasons)
    for ev in result.evidence:
        assert 0 <= ev.start < ev.end <= len(doc.text)


def test_alerts_cue_file_is_tidy():
    cues = load_alert_cues()
    assert set(cues.cues) == {"harassment", "self_harm", "safety", "compliance", "threat"}
    for phrases in cues.cues.values():
        assert list(phrases) == sorted(phrases) and len(set(phrases)) == len(phrases)


def test_a_positive_model_score_without_polar_words_is_not_good_news():
    from nlp.alerts import detect_alert
    from nlp.doc import make_doc
    from nlp.sentiment import ClauseScore

    doc = make_doc("実際は有給扱いにして出勤しています")
    model_says_positive = [ClauseScore(score=0.8) for _ in doc.clauses]
    assert detect_alert(doc, model_says_positive).reasons == ["compliance"]


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("上司から毎日怒鳴られています。", [(6, 10)]),  # the theme's 怒鳴ら lies in 怒鳴られ
        ("カスハラがひどい。客に罵倒される", [(0, 4), (11, 13)]),  # the same spans
        ("ハラスメント相談窓口に相談しても何も変わらず、最悪です", [(0, 6), (6, 10)]),
    ],
)
def test_theme_alerts_add_no_evidence_within_evidence(scorer, text, spans):
    from nlp.alerts import add_theme_alerts
    from nlp.themes import ThemeMatcher, load_pack

    matcher = ThemeMatcher(load_pack("employee"))
    doc = make_doc(text)
    scores = scorer.score(doc)
    alert = detect_alert(doc, scores)
    add_theme_alerts(matcher.pack, matcher.match(doc.tokens), doc, scores, alert)
    assert alert.reasons == ["harassment"]
    assert [(e.start, e.end) for e in alert.evidence] == spans


def test_a_denial_covers_only_the_clauses_before_it(scorer):
    doc = make_doc("昔は上司に怒鳴られた。今はそういうのは全くない。でも先週、部長に怒鳴られた")
    result = detect_alert(doc, scorer.score(doc))
    assert result.reasons == ["harassment"]
    assert [doc.text[e.start : e.end] for e in result.evidence] == ["怒鳴られ"]
    assert result.evidence[0].start > doc.text.index("全く")
