"""Alerts: comments a human must follow up (harassment, self-harm, safety, compliance).

Cues are phrases matched on the lemmas of a clause's words (particles and symbols
skipped, auxiliaries kept so 「死にたい」 ≠ 「死ぬほど」). A cue does not alert when it is
negated (「パワハラは一切ない」), sits in an excluded idiom (「死ぬほど美味しい」), or is
talked about as a topic of training or rules in a question or a positive clause
(「ハラスメント研修はいつですか」, 「相談窓口がすぐ対応してくれた」).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import cache

from nlp.cues import count_negations
from nlp.doc import Doc
from nlp.phrases import PhraseIndex, phrase_lemmas
from nlp.results import AlertResult, Evidence
from nlp.sentiment.base import ClauseScore
from nlp.tokenize import Token

__all__ = ["ALERT_CUES", "detect_alert"]

logger = logging.getLogger(__name__)

ALERT_CUES: dict[str, tuple[str, ...]] = {
    "harassment": (
        "パワハラ", "セクハラ", "マタハラ", "パタハラ", "モラハラ", "アカハラ", "カスハラ",
        "ハラスメント", "怒鳴る", "怒鳴りつける", "暴言", "暴力", "殴る", "蹴る", "叩かれる",
        "人格否定", "人格を否定", "無視される", "いじめ", "イジメ", "虐め", "嫌がらせ",
        "触られる", "触ってくる", "体を触る", "性的な発言", "性的", "しつこく誘われる",
        "報復", "報復人事", "脅す", "脅される", "脅迫", "恫喝", "土下座", "見せしめ",
        "罵倒", "罵声", "吊し上げ", "陰湿", "妊娠を理由に", "差別", "晒し者",
    ),
    "self_harm": (
        "死にたい", "消えたい", "自殺", "自死", "生きるのが辛い", "生きている意味",
        "眠れない", "眠れず", "気持ちが沈む", "燃え尽きる", "燃え尽き症候群", "バーンアウト",
        "うつ病", "鬱病", "鬱", "うつ状態", "適応障害", "心療内科", "精神科", "メンタルが限界",
        "限界です", "もう限界", "涙が止まらない", "朝起きられない", "過労死", "倒れる",
        "追い詰められる", "逃げ出したい", "休職",
    ),
    "safety": (
        "怪我", "ケガ", "負傷", "労災", "事故", "転落", "火災", "発火", "発煙", "爆発",
        "感電", "火傷", "やけど", "非常口が塞がれる", "非常口", "安全装置", "危険な設備",
        "危険な作業", "ヒヤリハット", "異物混入", "食中毒", "体調を崩す", "有害",
    ),
    "compliance": (
        "改ざん", "改竄", "不正", "隠蔽", "粉飾", "賄賂", "横領", "着服", "偽装", "違法",
        "法令違反", "コンプライアンス違反", "個人情報が漏洩", "漏洩", "流出", "詐欺",
        "不正請求", "架空請求", "サービス残業を強要", "残業代未払い", "未払い", "談合",
        "データのねつ造", "捏造", "口止め",
    ),
    "threat": ("殺す", "殺される", "刺す", "爆破", "訴える", "晒す", "燃やす"),
}

# Idioms in which a cue word is harmless.
_EXCLUDES = ("死ぬほど", "殺人的", "爆速", "不正解", "有害ではない", "事故なく", "無事故")
# A cue about one of these, in a question or a positive clause, is a topic, not a report.
_TOPIC_WORDS = frozenset(
    {"研修", "講習", "セミナー", "窓口", "相談窓口", "対策", "防止", "規定", "制度", "ルール",
     "教育", "啓発", "委員", "委員会", "訓練", "マニュアル", "対応", "取り組み", "取組"}
)
_SKIP_POS = frozenset({"助詞", "補助記号", "記号", "空白"})


@cache
def _index() -> tuple[PhraseIndex[str], PhraseIndex[str]]:
    cues: PhraseIndex[str] = PhraseIndex()
    for reason, phrases in ALERT_CUES.items():
        for phrase in phrases:
            cues.add(_lemmas(phrase), reason)
    excludes: PhraseIndex[str] = PhraseIndex((_lemmas(p), p) for p in _EXCLUDES)
    return cues, excludes


def detect_alert(doc: Doc, scores: Sequence[ClauseScore]) -> AlertResult:
    """Flag ``doc`` if any clause reports harassment, self-harm, danger or misconduct.

    Evidence offsets are into the normalised text (the pipeline maps them back).
    """
    cues, excludes = _index()
    reasons: list[str] = []
    evidence: list[tuple[int, int]] = []
    for i, clause in enumerate(doc.clauses):
        tokens = doc.clause_tokens(i)
        words = [k for k, t in enumerate(tokens) if t.pos1 not in _SKIP_POS]
        excluded = _excluded_positions(tokens, words, excludes)
        topical = doc.cues[i].question or scores[i].score > 0
        topical = topical and any(t.lemma in _TOPIC_WORDS for t in tokens)
        p = 0
        while p < len(words):
            found = cues.match(tokens, words, p)
            if found is None:
                p += 1
                continue
            n, reason = found
            first, last = words[p], words[p + n - 1]
            if not (topical or excluded & set(range(p, p + n))
                    or count_negations(tokens, last + 1) % 2):
                if reason not in reasons:
                    reasons.append(reason)
                evidence.append((tokens[first].start, tokens[last].end))
            p += n
    return AlertResult(
        flag=bool(reasons), reasons=reasons, evidence=[Evidence(s, e, "") for s, e in evidence]
    )


def _excluded_positions(
    tokens: Sequence[Token], words: Sequence[int], excludes: PhraseIndex[str]
) -> set[int]:
    hidden: set[int] = set()
    for p in range(len(words)):
        found = excludes.match(tokens, words, p)
        if found:
            hidden.update(range(p, p + found[0]))
    return hidden


def _lemmas(phrase: str) -> tuple[str, ...]:
    return phrase_lemmas(phrase, content_only=True)
