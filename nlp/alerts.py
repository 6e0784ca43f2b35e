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
        "パワハラ",
        "セクハラ",
        "マタハラ",
        "パタハラ",
        "モラハラ",
        "アカハラ",
        "カスハラ",
        "ハラスメント",
        "怒鳴る",
        "怒鳴られる",
        "怒鳴りつける",
        "怒鳴り散らす",
        "暴言",
        "暴力",
        "殴る",
        "殴られる",
        "蹴る",
        "蹴られる",
        "叩かれる",
        "小突かれる",
        "突き飛ばされる",
        "胸ぐら",
        "物を投げる",
        "物を投げつける",
        "人格否定",
        "人格を否定",
        "全否定される",
        "無視される",
        "いじめ",
        "イジメ",
        "虐め",
        "いじめられる",
        "嫌がらせ",
        "仲間外れ",
        "悪口を言われる",
        "陰口",
        "罵る",
        "罵倒",
        "罵声",
        "吊し上げ",
        "晒し者",
        "見せしめ",
        "詰められる",
        "キレられる",
        "叱責される",
        "立たされる",
        "土下座",
        "陰湿",
        "差別",
        "触られる",
        "触ってくる",
        "体を触る",
        "抱きつく",
        "性的な発言",
        "性的",
        "下ネタ",
        "容姿をいじられる",
        "しつこく誘われる",
        "しつこく聞く",
        "交際を迫る",
        "彼氏いる",
        "お酌を強要",
        "強要される",
        "強要",
        "報復",
        "報復人事",
        "脅す",
        "脅される",
        "脅迫",
        "恫喝",
        "損害賠償を請求",
        "辞めさせてもらえない",
        "妊娠を理由に",
        "産休の相談をしたら",
        "育休明け",
        "外される",
        "干される",
        "内部通報",
        "お前なんか",
        "死ね",
        "使えない奴",
        "机を叩く",
        "大声で叱る",
        "威圧",
        "責め立てる",
        "馬鹿にされる",
        "バカにされる",
        "見下される",
        "笑いものにされる",
        "晒される",
        "名指しで",
        "長時間の説教",
        "説教される",
        "クビにする",
        "退職を迫られる",
        "退職勧奨",
        "退職強要",
        "追い出し部屋",
        "仕事を与えられない",
        "仕事を取り上げられる",
        "肩を揉まれる",
        "抱きつかれる",
        "二人きり",
        "飲みに誘われる",
        "付き合え",
        "体型",
        "容姿",
        "女のくせに",
        "男のくせに",
        "女だから",
        "外国人だから",
        "暴行",
        "首を絞める",
        "噂を流される",
        "詮索",
        "プライベートを聞かれる",
        "挨拶を無視",
    ),
    "self_harm": (
        "死にたい",
        "消えたい",
        "自殺",
        "自死",
        "生きるのが辛い",
        "生きている意味",
        "飛び込む",
        "楽になりたい",
        "いなくなりたい",
        "眠れない",
        "眠れず",
        "気持ちが沈む",
        "燃え尽きる",
        "燃え尽き症候群",
        "バーンアウト",
        "うつ病",
        "鬱病",
        "鬱",
        "うつ状態",
        "適応障害",
        "心療内科",
        "精神科",
        "メンタルが限界",
        "メンタルをやられる",
        "心が折れる",
        "涙が止まらない",
        "朝起きられない",
        "過労死",
        "倒れる",
        "追い詰められる",
        "逃げ出したい",
        "食事が喉を通らない",
        "食欲がない",
        "体重が落ちる",
        "動悸",
        "吐き気",
        "限界です",
        "もう限界",
        "死んだ方がまし",
        "死んでしまいたい",
        "生きていたくない",
        "消えてしまいたい",
        "自傷",
        "リストカット",
        "希死念慮",
        "不眠",
        "睡眠薬",
        "うつと診断",
        "診断される",
        "パニック",
        "過呼吸",
        "出社できない",
        "会社に行けない",
        "会社に行きたくない",
        "食べられない",
        "胃が痛い",
        "手が震える",
    ),
    "safety": (
        "怪我",
        "ケガ",
        "負傷",
        "労災",
        "事故",
        "転落",
        "転倒",
        "落下",
        "挟まれる",
        "火災",
        "発火",
        "発煙",
        "爆発",
        "感電",
        "火傷",
        "やけど",
        "非常口が塞がれる",
        "手すりが外れる",
        "安全帯",
        "安全装置",
        "危険な設備",
        "危険な作業",
        "ヒヤリハット",
        "ヒヤッと",
        "居眠り",
        "異物混入",
        "異物",
        "金属片",
        "歯が欠ける",
        "食中毒",
        "有害",
        "危険な状態",
        "危険な状況",
        "危険を感じる",
        "命に関わる",
        "命の危険",
        "怪我人",
        "指を切る",
        "骨折",
        "熱中症",
        "酸欠",
        "ガス漏れ",
        "漏電",
        "無免許",
        "過積載",
        "飲酒運転",
        "居眠り運転",
        "保護具なし",
        "ヘルメットなし",
        "安全確認",
        "安全基準",
        "倒壊",
        "避難経路",
        "消火器",
    ),
    "compliance": (
        "改ざん",
        "改竄",
        "不正",
        "隠蔽",
        "もみ消す",
        "粉飾",
        "賄賂",
        "横領",
        "着服",
        "偽装",
        "違法",
        "法令違反",
        "コンプライアンス違反",
        "個人情報が漏洩",
        "漏洩",
        "流出",
        "詐欺",
        "不正請求",
        "架空請求",
        "水増し",
        "虚偽",
        "サービス残業を強要",
        "残業代未払い",
        "未払い",
        "談合",
        "捏造",
        "ねつ造",
        "口止め",
        "書き直す",
        "記録を書き換える",
        "日付を遡る",
        "タイムカードを定時で押す",
        "打刻してから残業",
        "不正会計",
        "裏金",
        "キックバック",
        "横流し",
        "書き換え",
        "偽造",
        "虚偽報告",
        "隠ぺい",
        "揉み消す",
        "見て見ぬふり",
        "産地偽装",
        "ラベルの貼り替え",
        "無資格",
        "名義貸し",
        "残業代が出ない",
        "残業代が支払われない",
        "サービス残業",
        "サビ残",
        "打刻修正",
        "労基",
        "労働基準監督署",
        "違法残業",
        "持ち出し",
        "情報漏洩",
    ),
    "threat": ("殺す", "殺される", "爆破", "燃やす"),
}

# Idioms in which a cue word is harmless.
_EXCLUDES = (
    "死ぬほど",
    "殺人的",
    "爆速",
    "爆発的",
    "暴力的",
    "不正解",
    "無事故",
    "事故なく",
    "危険性",
    "危ないところを助ける",
    "飛び込み営業",
    "飛び込み",
)
# A cue about one of these, in a question or a positive clause, is a topic, not a report.
_TOPIC_WORDS = frozenset(
    {
        "研修",
        "講習",
        "セミナー",
        "窓口",
        "相談窓口",
        "対策",
        "防止",
        "規定",
        "制度",
        "ルール",
        "教育",
        "啓発",
        "委員",
        "委員会",
        "訓練",
        "マニュアル",
        "対応",
        "取り組み",
        "取組",
        "定義",
        "件数",
        "手順",
        "手順書",
        "チェック",
        "ラーニング",
        "支援",
        "プログラム",
        "通報窓口",
        "体制",
        "研修会",
        "方針",
    }
)
_SKIP_POS = frozenset({"助詞", "補助記号", "記号", "空白"})
# Politeness and tense do not change what is reported: 「通りません」 = 「通らない」.
_SKIP_LEMMAS = frozenset({"ます", "です", "た", "だ"})


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
    asks = any(c.question for c in doc.cues)
    for i in range(len(doc.clauses)):
        tokens = doc.clause_tokens(i)
        words = [
            k
            for k, t in enumerate(tokens)
            if t.pos1 not in _SKIP_POS and t.lemma not in _SKIP_LEMMAS
        ]
        excluded = _excluded_positions(tokens, words, excludes)
        # Told as good news, or a topic of rules or training in a comment that asks.
        topical = scores[i].score > 0 or (asks and any(t.lemma in _TOPIC_WORDS for t in tokens))
        p = 0
        while p < len(words):
            found = cues.match(tokens, words, p) if cues.starts(tokens[words[p]]) else None
            if found is None:
                p += 1
                continue
            n, reason = found
            first, last = words[p], words[p + n - 1]
            # 「熱中症対策」「ハラスメント研修」「不正チェック」 name a measure, not an incident.
            names_measure = p + n < len(words) and tokens[words[p + n]].lemma in _TOPIC_WORDS
            if not (
                topical
                or names_measure
                or excluded & set(range(p, p + n))
                or count_negations(tokens, last + 1) % 2
            ):
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
        found = excludes.match(tokens, words, p) if excludes.starts(tokens[words[p]]) else None
        if found:
            hidden.update(range(p, p + found[0]))
    return hidden


def _lemmas(phrase: str) -> tuple[str, ...]:
    return tuple(lem for lem in phrase_lemmas(phrase, content_only=True) if lem not in _SKIP_LEMMAS)
