"""Alerts: comments a human must follow up (harassment, self-harm, safety, compliance).

Cues are phrases matched on the lemmas of a clause's words (particles and symbols
skipped, auxiliaries kept so 「死にたい」 ≠ 「死ぬほど」). A cue does not alert when it is
negated (「パワハラは一切ない」), sits in an excluded idiom (「死ぬほど美味しい」), or is
talked about as a topic of training or rules in a question or a positive clause
(「ハラスメント研修はいつですか」, 「相談窓口がすぐ対応してくれた」).
"""

from __future__ import annotations

import logging
from bisect import bisect_left, bisect_right
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
    "REASON_LABELS",
    "AlertCues",
    "add_theme_alerts",
    "detect_alert",
    "implied_themes",
    "load_alert_cues",
]

logger = logging.getLogger(__name__)

#: what each alert reason means, Japanese / English (reasons are API values)
REASON_LABELS: dict[str, str] = {
    "harassment": "ハラスメント / harassment",
    "self_harm": "心身の危機 / self-harm or crisis",
    "safety": "安全 / safety hazard",
    "compliance": "法令違反 / compliance",
    "threat": "脅迫・暴力 / threat or violence",
    "model": "要確認（モデル推定） / flagged by the model, needs review",
}

_SKIP_POS = frozenset({"助詞", "補助記号", "記号", "空白"})
_BRIDGES = frozenset({"一切", "全く", "何も", "回", "度", "事", "訳", "なんか"})
_WITNESS = frozenset(
    {"有る", "居る", "見る", "聞く", "受ける", "感ずる", "遭う", "起こる", "起きる"}
)
# Verbs of suffering from an incident: 「パワハラで悩んでる人なんていない」.
_SUFFERING = frozenset({"悩む", "困る", "苦しむ"})
# Words between a reported incident and a denied hearing of it: 「という話は聞いたことがない」.
_HEARSAY = frozenset({"言う", "話", "噂", "事", "人", "者", "なんて"})
# The incident happened at another employer: 「前職のパワハラ上司」.
_ELSEWHERE = frozenset({"前職"})
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
    cues, _ = _index()
    reasons: list[str] = []
    evidence: list[tuple[int, int]] = []
    asks = any(c.question for c in doc.cues)
    denied_later = _denied_later(doc)
    for i in range(len(doc.clauses)):
        clause = _Clause.of(doc, scores, i, asks=asks, denied_later=denied_later[i])
        tokens, words = clause.tokens, clause.words
        p = 0
        while p < len(words):
            found = cues.match(tokens, words, p) if cues.starts(tokens[words[p]]) else None
            if found is None:
                p += 1
                continue
            n, reason = found
            if clause.reports(p, n, reason):
                if reason not in reasons:
                    reasons.append(reason)
                evidence.append((tokens[words[p]].start, tokens[words[p + n - 1]].end))
            p += n
    return AlertResult(
        flag=bool(reasons), reasons=reasons, evidence=[Evidence(s, e, "") for s, e in evidence]
    )


class _Clause:
    """One clause of a comment, with what decides whether a cue in it reports an incident."""

    def __init__(
        self,
        tokens: list[Token],
        words: list[int],
        score: ClauseScore,
        *,
        asks: bool,
        denied_later: bool,
    ) -> None:
        self.tokens, self.words, self.score = tokens, words, score
        _, excludes = _index()
        self.excluded = _excluded_positions(tokens, words, excludes)
        topic_words = load_alert_cues().topic_words
        self.topic_words = topic_words
        self.has_topic = any(t.lemma in topic_words for t in tokens)
        # A topic of rules or training in a comment that asks.
        self.topical = asks and self.has_topic
        # 「前職のパワハラ上司と比べたら天国」: another employer's past.
        self.elsewhere = any(t.lemma in _ELSEWHERE for t in tokens)
        self.denied_later = denied_later

    @classmethod
    def of(
        cls, doc: Doc, scores: Sequence[ClauseScore], i: int, *, asks: bool, denied_later: bool
    ) -> _Clause:
        """Clause ``i``; ``asks`` and ``denied_later`` are found once per comment."""
        tokens = doc.clause_tokens(i)
        words = [
            k
            for k, t in enumerate(tokens)
            if t.pos1 not in _SKIP_POS and t.lemma not in _SKIP_LEMMAS
        ]
        return cls(tokens, words, scores[i], asks=asks, denied_later=denied_later)

    def words_within(self, start: int, end: int) -> range:
        """Positions in ``words`` of the words lying within offsets ``start … end``."""
        tokens, words = self.tokens, self.words
        first = bisect_left(words, start, key=lambda k: tokens[k].start)
        return range(first, bisect_right(words, end, key=lambda k: tokens[k].end))

    def reports(self, p: int, n: int, reason: str) -> bool:
        """Whether the cue at words ``p … p+n-1`` reports an incident of ``reason``."""
        tokens, words = self.tokens, self.words
        last = words[p + n - 1]
        if self.excluded & set(range(p, p + n)) or _denied(tokens, last + 1):
            return False
        if reason in _ALWAYS:
            return True
        # 「熱中症対策」「ハラスメント研修」「不正チェック」 name a measure, not an incident.
        if p + n < len(words) and tokens[words[p + n]].lemma in self.topic_words:
            return False
        return not (self.topical or self.elsewhere or self.denied_later or self._good_news(p, n))

    def _good_news(self, p: int, n: int) -> bool:
        """Whether the cue is told as good news.

        The clause has polar words and every one is positive or, where the clause is about
        how a case was handled (窓口, 対応), every polar word but the cue itself. (A model's
        positive clause score alone is not enough: it knows nothing of incidents.)
        """
        items = self.score.items
        if items and self.score.score > 0 and all(x.score > 0 for x in items):
            return True
        if not self.has_topic:
            return False
        start, end = self.tokens[self.words[p]].start, self.tokens[self.words[p + n - 1]].end
        others = [x for x in items if x.end <= start or x.start >= end]
        return bool(others) and all(x.score > 0 for x in others)


def add_theme_alerts(
    pack: ThemePack,
    matches: Sequence[ThemeMatch],
    doc: Doc,
    scores: Sequence[ClauseScore],
    alert: AlertResult,
) -> None:
    """A theme that ``raises_alert`` (harassment) found in a negative statement alerts.

    Its span joins the evidence unless it lies within a span already there.
    """
    raising = {t.id: t.raises_alert for t in pack.themes if t.raises_alert}
    if not raising or any(cue.question for cue in doc.cues):
        return
    denied_later: list[bool] | None = None  # found on the first match that needs it
    clauses: dict[int, _Clause] = {}
    spans = sorted((e.start, e.end) for e in alert.evidence)
    taken, reach = 0, -1  # the furthest end of the evidence starting at or before the match
    for match in sorted(matches, key=lambda m: m.start):
        reason = raising.get(match.theme_id)
        if not reason:
            continue
        i = doc.clause_at(match.start)
        if scores[i].score >= -0.5:  # beyond a plain denial
            continue
        if denied_later is None:
            denied_later = _denied_later(doc)
        if i not in clauses:
            clauses[i] = _Clause.of(doc, scores, i, asks=False, denied_later=denied_later[i])
        clause = clauses[i]
        span = clause.words_within(match.start, match.end)
        if span and not clause.reports(span[0], len(span), reason):
            continue  # negated, a measure, told as good news: as for the alert cues
        if reason not in alert.reasons:
            alert.reasons.append(reason)
        while taken < len(spans) and spans[taken][0] <= match.start:
            reach = max(reach, spans[taken][1])
            taken += 1
        if match.end > reach:  # not within evidence already there (怒鳴ら in 怒鳴られ)
            alert.evidence.append(Evidence(match.start, match.end, ""))
            reach = match.end
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
    """「パワハラは一切ない」「見たことがない」「とは無縁」: the incident itself is denied.

    A negated verb about something else (「残業代が出ない」, 「守られていない」) is the
    complaint, not a denial, and 「マタハラではないでしょうか」 asserts it.
    """
    for k in range(start, len(tokens)):
        tok = tokens[k]
        if tok.pos1 in {"助詞", "副詞", "補助記号"} or tok.pos2 == "数詞" or tok.lemma in _BRIDGES:
            continue
        if tok.lemma == "無縁":
            return count_negations(tokens, k + 1) % 2 == 0
        if tok.lemma in {"無い", "無し"}:
            if any(t.lemma == "か" and t.pos1 == "助詞" for t in tokens[k + 1 : k + 4]):
                return False  # 「〜ではないか」「〜じゃないですか」
            return count_negations(tokens, k) % 2 == 1
        if tok.lemma in _WITNESS and count_negations(tokens, k + 1) % 2 == 1:
            return True
        if tok.lemma not in _WITNESS | _SUFFERING:
            return False
        # 「セクハラがあったという話は聞いたことがない」「悩んでる人なんていない」
        k += 1
        while k < len(tokens) and (
            tokens[k].pos1 in {"助詞", "助動詞"}
            or tokens[k].lemma in _HEARSAY
            or (tokens[k].pos2 == "非自立可能" and tokens[k - 1].lemma == "て")  # 悩んでいる
        ):
            k += 1
        if k < len(tokens) and tokens[k].lemma in _WITNESS:
            return count_negations(tokens, k + 1) % 2 == 1
        return False
    return False


def _denied_later(doc: Doc) -> list[bool]:
    """Per clause, whether a later clause denies what was said (one pass from the end)."""
    later = [False] * len(doc.clauses)
    for i in range(len(doc.clauses) - 2, -1, -1):
        later[i] = later[i + 1] or _denies_before(doc.clause_tokens(i + 1))
    return later


def _denies_before(tokens: Sequence[Token]) -> bool:
    """「そういうのは全くない」「今はまったくなくなりました」: what was said is denied."""
    lemmas = [t.lemma for t in tokens]
    for k, lemma in enumerate(lemmas):
        if lemma in {"そんな", "そう"} and "無い" in lemmas[k + 1 : k + 6]:
            at = k + 1 + lemmas[k + 1 : k + 6].index("無い")
            return count_negations(tokens, at) % 2 == 1
        if lemma == "無くなる" and "今" in lemmas[:k]:
            return True
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
