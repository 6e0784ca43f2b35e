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
from importlib.resources import files

import yaml
from pydantic import BaseModel, ConfigDict

from nlp.cues import count_negations
from nlp.doc import Doc
from nlp.phrases import PhraseIndex, phrase_lemmas
from nlp.results import AlertResult, Evidence
from nlp.sentiment.base import ClauseScore
from nlp.themes import ThemeMatch, ThemePack
from nlp.tokenize import Token

__all__ = [
    "AlertCues",
    "add_theme_alerts",
    "detect_alert",
    "implied_themes",
    "load_alert_cues",
]

logger = logging.getLogger(__name__)

_SKIP_POS = frozenset({"助詞", "補助記号", "記号", "空白"})
_BRIDGES = frozenset({"一切", "全く", "何も", "回", "度", "事", "訳", "なんか"})
_WITNESS = frozenset(
    {"有る", "居る", "見る", "聞く", "受ける", "感ずる", "遭う", "起こる", "起きる"}
)
# Reasons that no framing makes harmless.
_ALWAYS = frozenset({"self_harm", "threat"})
# Politeness and tense do not change what is reported: 「通りません」 = 「通らない」.
_SKIP_LEMMAS = frozenset({"ます", "です", "た", "だ"})


class AlertCues(BaseModel):
    """The alert cue file (``nlp/data/alerts.yaml``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cues: dict[str, tuple[str, ...]]
    exclude: tuple[str, ...] = ()
    topic_words: frozenset[str] = frozenset()


@cache
def load_alert_cues() -> AlertCues:
    """Read the packaged alert cues."""
    text = (files("nlp") / "data" / "alerts.yaml").read_text(encoding="utf-8")
    return AlertCues.model_validate(yaml.safe_load(text))


@cache
def _index() -> tuple[PhraseIndex[str], PhraseIndex[str]]:
    config = load_alert_cues()
    cues: PhraseIndex[str] = PhraseIndex()
    for reason, phrases in config.cues.items():
        for phrase in phrases:
            cues.add(_lemmas(phrase), reason)
    # Idioms keep their particles: 死ぬほど must not exclude 死ぬ.
    excludes: PhraseIndex[str] = PhraseIndex((phrase_lemmas(p), p) for p in config.exclude)
    return cues, excludes


def detect_alert(doc: Doc, scores: Sequence[ClauseScore]) -> AlertResult:
    """Flag ``doc`` if any clause reports harassment, self-harm, danger or misconduct.

    Evidence offsets are into the normalised text (the pipeline maps them back).
    """
    cues, excludes = _index()
    topic_words = load_alert_cues().topic_words
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
        good_news = scores[i].score > 0 and all(x.score > 0 for x in scores[i].items)
        topical = good_news or (asks and any(t.lemma in topic_words for t in tokens))
        p = 0
        while p < len(words):
            found = cues.match(tokens, words, p) if cues.starts(tokens[words[p]]) else None
            if found is None:
                p += 1
                continue
            n, reason = found
            first, last = words[p], words[p + n - 1]
            # 「熱中症対策」「ハラスメント研修」「不正チェック」 name a measure, not an incident.
            names_measure = p + n < len(words) and tokens[words[p + n]].lemma in topic_words
            guarded = (topical and reason not in _ALWAYS) or names_measure
            if not (guarded or excluded & set(range(p, p + n)) or _denied(tokens, last + 1)):
                if reason not in reasons:
                    reasons.append(reason)
                evidence.append((tokens[first].start, tokens[last].end))
            p += n
    return AlertResult(
        flag=bool(reasons), reasons=reasons, evidence=[Evidence(s, e, "") for s, e in evidence]
    )


def add_theme_alerts(
    pack: ThemePack,
    matches: Sequence[ThemeMatch],
    doc: Doc,
    scores: Sequence[ClauseScore],
    alert: AlertResult,
) -> None:
    """A theme that ``raises_alert`` (harassment) found in a negative statement alerts."""
    raising = {t.id: t.raises_alert for t in pack.themes if t.raises_alert}
    if not raising or any(cue.question for cue in doc.cues):
        return
    for match in matches:
        reason = raising.get(match.theme_id)
        if reason and scores[doc.clause_at(match.start)].score < -0.5:  # beyond a plain denial
            if reason not in alert.reasons:
                alert.reasons.append(reason)
            alert.evidence.append(Evidence(match.start, match.end, ""))
    alert.flag = bool(alert.reasons)


def implied_themes(
    pack: ThemePack, alert: AlertResult, matches: Sequence[ThemeMatch]
) -> list[ThemeMatch]:
    """Themes implied by the alert and not found otherwise (an assault is harassment)."""
    if not alert.evidence:
        return []
    found = {m.theme_id for m in matches}
    first = alert.evidence[0]
    return [
        ThemeMatch(theme.id, first.start, first.end, "alert")
        for theme in pack.themes
        if theme.id not in found and set(theme.alert_reasons) & set(alert.reasons)
    ]


def _denied(tokens: Sequence[Token], start: int) -> bool:
    """「パワハラは一切ない」「見たことがない」: the incident itself is denied.

    A negated verb about something else (「残業代が出ない」, 「守られていない」) is the
    complaint, not a denial.
    """
    for k in range(start, len(tokens)):
        tok = tokens[k]
        if tok.pos1 in {"助詞", "副詞", "補助記号"} or tok.pos2 == "数詞" or tok.lemma in _BRIDGES:
            continue
        if tok.lemma in {"無い", "無し"}:
            return count_negations(tokens, k) % 2 == 1
        return tok.lemma in _WITNESS and count_negations(tokens, k + 1) % 2 == 1
    return False


def _excluded_positions(
    tokens: Sequence[Token], words: Sequence[int], excludes: PhraseIndex[str]
) -> set[int]:
    """Positions in ``words`` covered by an excluded idiom (matched on all tokens)."""
    every = range(len(tokens))
    hidden: set[int] = set()
    for k in every:
        found = excludes.match(tokens, every, k) if excludes.starts(tokens[k]) else None
        if found:
            hidden.update(range(k, k + found[0]))
    return {p for p, k in enumerate(words) if k in hidden}


def _lemmas(phrase: str) -> tuple[str, ...]:
    return tuple(lem for lem in phrase_lemmas(phrase, content_only=True) if lem not in _SKIP_LEMMAS)
