"""Clause-level discourse cues: questions, requests, wishes, "lack" markers, thanks.

The cues feed both the lexicon sentiment scorer (a positive word inside a request
or wish describes a desired state, not the present one) and intent detection.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import NamedTuple

from nlp.tokenize import Token

__all__ = ["NEGATION_AUX", "ClauseCues", "count_negations", "detect_cues"]

logger = logging.getLogger(__name__)

NEGATION_AUX = frozenset({"ない", "ず", "ぬ"})
# Words a negation may pass over on its way back to a polar noun:
# 「やりがいを感じない」「休みが取れない」「問題はない」.
_LIGHT_PREDICATES = frozenset(
    {
        "感ずる",
        "感じる",
        "取れる",
        "取る",
        "持てる",
        "持つ",
        "出来る",
        "有る",
        "居る",
        "得る",
        "見える",
        "言える",
        "貰える",
        "為る",
        "成る",
        "湧く",
        "出る",
        "見当たる",
        "受ける",
        "見る",
        "聞く",
        "起こる",
        "起きる",
    }
)
_QUOTING = frozenset({"言う", "言える", "言い切る", "言い切れる", "断言", "思う"})
_NEGATION_BRIDGES = frozenset(
    {"訳", "事", "筈", "の", "ん", "一切", "何も", "特に", "回", "度", "全く", "全然", "余り"}
)
_REQUEST_AFTER_TE = frozenset({"欲しい", "下さる", "頂く", "貰う", "頂ける", "貰える"})
_WISH_PREDICATES = frozenset({"良い", "嬉しい", "助かる", "有り難い", "幸い", "有難い"})
_CONDITIONALS = frozenset({"ば", "と", "たら", "なら"})
_REQUEST_LEMMAS = frozenset({"べし", "希望", "要望", "お願い", "願う", "求める", "検討"})
_LACK_LEMMAS = frozenset(
    {
        "もっと",
        "更に",
        "改善",
        "見直し",
        "見直す",
        "増やす",
        "減らす",
        "ちゃんと",
        "きちんと",
        "早急",
        "是正",
        "足りる",
        "不足",
    }
)
_THANKS_LEMMAS = frozenset({"有り難う", "ありがとう", "感謝", "サンキュー"})
_INFO_VERBS = frozenset({"教える", "知る", "伺う", "確認"})
_QUESTION_MARKS = frozenset({"?", "？"})


class ClauseCues(NamedTuple):
    """Discourse cues of one clause."""

    question: bool
    request: bool
    wish: bool
    lack: bool
    thanks: bool


def detect_cues(tokens: Sequence[Token]) -> ClauseCues:
    """Find the cues in one clause's tokens.

    Example:
        >>> from nlp.tokenize import tokenize
        >>> detect_cues(tokenize("もっと研修を増やしてほしい"))
        ClauseCues(question=False, request=True, wish=False, lack=True, thanks=False)
    """
    lemmas = [t.lemma for t in tokens]
    question = _is_question(tokens)
    wish = _has_wish(tokens)
    request = wish or _has_request(tokens, lemmas)
    lack = any(lemma in _LACK_LEMMAS for lemma in lemmas) or _has_mou_sukoshi(lemmas)
    thanks = any(lemma in _THANKS_LEMMAS for lemma in lemmas) and not wish
    return ClauseCues(question, request, wish, lack, thanks)


def count_negations(tokens: Sequence[Token], start: int) -> int:
    """Count negations from ``tokens[start]`` up to the next independent word.

    「良くない」 has one, 「ないわけではない」 and 「ないとは言えない」 two; an adverb
    (一切, 全く) or one light predicate (感じる, 取れる) may stand between:
    「やりがいを感じない」. So may the noun that the word before ``start`` modifies, since
    negating the noun phrase negates its modifier: 「悪い会社ではない」, 「楽な仕事では
    ない」, 「良い会社とは言えない」.
    """
    negations, bridged = 0, False
    noun = _modified_noun(tokens, start)
    for k in range(start, len(tokens)):
        if k == noun:
            continue
        tok = tokens[k]
        if (tok.pos1 == "助動詞" and tok.lemma in NEGATION_AUX) or tok.lemma == "無い":
            negations += 1
        elif tok.lemma in _QUOTING and k > start and tokens[k - 1].surface in {"と", "は"}:
            continue  # 「不満がないとは言えない」: the saying is negated too
        elif tok.pos1 in {"助詞", "空白", "助動詞", "接尾辞", "副詞"}:
            continue
        elif tok.lemma in _NEGATION_BRIDGES or tok.pos2 in {"非自立可能", "数詞"}:
            continue
        elif tok.pos1 in {"補助記号", "記号"}:
            break
        elif not bridged and negations == 0 and tok.lemma in _LIGHT_PREDICATES:
            bridged = True
        else:
            break
    return negations


def _modified_noun(tokens: Sequence[Token], start: int) -> int:
    """The index of the noun the word before ``tokens[start]`` modifies, or -1.

    The word is in attributive form (悪い会社) or takes the copula な (楽な仕事).
    """
    if start == 0 or start >= len(tokens):
        return -1
    if tokens[start - 1].cform.startswith("連体形"):
        at = start
    elif tokens[start].lemma == "だ" and tokens[start].surface == "な":
        at = start + 1
    else:
        return -1
    return at if at < len(tokens) and tokens[at].pos1 == "名詞" else -1


def _is_question(tokens: Sequence[Token]) -> bool:
    words = [t for t in tokens if t.pos1 != "補助記号"]
    if any(t.surface in _QUESTION_MARKS for t in tokens[-2:]):
        return True
    if words and words[-1].lemma == "か" and words[-1].pos2 == "終助詞":
        return True
    # 「教えてください」「知りたいです」「教えていただけますか」
    for i, tok in enumerate(tokens):
        if tok.lemma in _INFO_VERBS:
            rest = {t.lemma for t in tokens[i + 1 : i + 5]}
            if rest & {"下さる", "欲しい", "頂く", "頂ける", "たい", "貰える"}:
                return True
    return False


def _has_request(tokens: Sequence[Token], lemmas: Sequence[str]) -> bool:
    for i, tok in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if tok.lemma == "て" and nxt is not None and nxt.lemma in _REQUEST_AFTER_TE:
            if nxt.lemma == "欲しい" or nxt.cform.startswith("命令形"):
                return True  # 「〜てほしい」「〜てください」, not 「〜てくださり」
            if _ends_wanting(tokens[i + 2 :]):
                return True  # 「〜ていただきたい」「〜てもらえると」, not 「〜ていただいた」
        if tok.lemma == "欲しい" and (i == 0 or tokens[i - 1].lemma != "て"):
            return True  # 「休憩室が欲しい」
        if tok.lemma in _REQUEST_LEMMAS and not any(
            t.lemma == "宜しく" for t in tokens[max(0, i - 3) : i]
        ):
            return True  # but not the closing formula 「よろしくお願いします」
        if tok.lemma == "ます" and tok.cform.startswith("意志推量形"):
            return True  # 「〜しましょう」
    return "たい" in lemmas and any(lem in {"改善", "見直す", "検討"} for lem in lemmas)


def _ends_wanting(rest: Sequence[Token]) -> bool:
    return any(t.lemma in {"たい", "と", "ば", "たら", "か"} for t in rest[:4])


def _has_wish(tokens: Sequence[Token]) -> bool:
    """「〜があると良い」「〜してもらえたら嬉しい」: a conditional + a wish predicate."""
    for i, tok in enumerate(tokens[:-1]):
        conditional = (tok.lemma in _CONDITIONALS and tok.pos1 == "助詞") or (
            tok.pos1 == "助動詞" and tok.cform.startswith("仮定形")  # 〜たら, 〜なら
        )
        if conditional:
            nxt = tokens[i + 1]
            if nxt.lemma in _WISH_PREDICATES:
                return True
    return False


def _has_mou_sukoshi(lemmas: Sequence[str]) -> bool:
    return any(
        a == "もう" and b in {"少し", "一寸", "ちょっと"}
        for a, b in zip(lemmas, lemmas[1:], strict=False)
    )
