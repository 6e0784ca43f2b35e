"""Sentence and clause segmentation over tokens (。！？!? line breaks, contrast markers).

A clause ends after a sentence-final mark, at a line break, after a contrastive
or listing conjunctive particle (が・けど・けれど・のに・ものの・し), before a
contrastive conjunction (しかし・でも・ただ・一方で…), and at the comma between two
topics with their own predicates (「価格は満足、画質は不満」). Clauses after a contrast are
marked, because the point of 「〜が、〜」 is usually in the second half.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import NamedTuple

from nlp.tokenize import Token

__all__ = ["Clause", "segment"]

logger = logging.getLogger(__name__)

_CONTRAST_PARTICLES = frozenset({"が", "けれど", "けれども", "けど", "のに", "ものの"})
_LIST_PARTICLES = frozenset({"し"})
_CONTRAST_CONJUNCTIONS = frozenset(
    {
        "然し",
        "しかし",
        "でも",
        "唯",
        "只",
        "但し",
        "だが",
        "だけど",
        "けど",
        "けれど",
        "けれども",
        "ところが",
        "とはいえ",
        "其れでも",
        "なのに",
        "一方",
        "逆に",
        "反面",
    }
)
_FINAL_MARKS = frozenset("!?.。")
#: what can end the predicate before a comma in 「XはA、YはB」 (満足 and 100点 are nouns)
_PREDICATE_POS = frozenset({"形容詞", "形状詞", "助動詞", "動詞", "名詞"})


class Clause(NamedTuple):
    """A clause: character span in the tokenised text and its token range."""

    start: int
    end: int
    tok_start: int
    tok_end: int
    sentence: int
    after_contrast: bool


def segment(text: str, tokens: Sequence[Token]) -> list[Clause]:
    """Split tokenised ``text`` into clauses.

    Example:
        >>> from nlp.tokenize import tokenize
        >>> s = "給料は良いが、残業が多い。"
        >>> [s[c.start:c.end] for c in segment(s, tokenize(s))]
        ['給料は良いが、', '残業が多い。']
    """
    clauses: list[Clause] = []
    begin, sentence, contrast = 0, 0, False
    n = len(tokens)

    def close(end: int, *, next_contrast: bool, new_sentence: bool) -> None:
        nonlocal begin, sentence, contrast
        if end > begin:
            clauses.append(
                Clause(tokens[begin].start, tokens[end - 1].end, begin, end, sentence, contrast)
            )
            sentence += int(new_sentence)
            contrast = next_contrast
        else:
            contrast = contrast or next_contrast
        begin = end

    for i, tok in enumerate(tokens):
        if i > 0 and "\n" in text[tokens[i - 1].end : tok.start]:
            close(i, next_contrast=False, new_sentence=True)
        if _opens_contrast(tokens, i):
            close(i, next_contrast=True, new_sentence=False)
        if _is_final_mark(tok) and not (i + 1 < n and _is_final_mark(tokens[i + 1])):
            close(i + 1, next_contrast=False, new_sentence=True)
        elif tok.pos2 == "接続助詞" and (
            tok.lemma in _CONTRAST_PARTICLES or tok.lemma in _LIST_PARTICLES
        ):
            end = i + 2 if i + 1 < n and tokens[i + 1].pos2 == "読点" else i + 1
            if end == n or not _is_final_mark(tokens[end]):
                close(end, next_contrast=tok.lemma in _CONTRAST_PARTICLES, new_sentence=False)
        elif _is_monono(tokens, i) or _is_noni(tokens, i):
            end = i + 2 if i + 1 < n and tokens[i + 1].pos2 == "読点" else i + 1
            close(end, next_contrast=True, new_sentence=False)
        elif tok.pos2 == "読点" and _parallel_topics(tokens, begin, i):
            close(i + 1, next_contrast=False, new_sentence=False)
    close(n, next_contrast=False, new_sentence=True)
    return clauses


def _parallel_topics(tokens: Sequence[Token], begin: int, comma: int) -> bool:
    """「価格は満足、画質は不満」: a topic and its predicate, a comma, then a new topic.

    Each topic (は・も) gets its own clause, so two aspects judged differently in one
    sentence get their own polarities. 「私は、東京の本社は好きです」 stays whole: the comma
    follows the topic, not a predicate.
    """
    if comma == begin or tokens[comma - 1].pos1 not in _PREDICATE_POS:
        return False
    if not any(_is_topic(t) for t in tokens[begin:comma]):
        return False
    for tok in tokens[comma + 2 :]:
        if tok.pos2 == "読点" or _is_final_mark(tok):
            return False
        if _is_topic(tok):
            return True
    return False


def _is_topic(tok: Token) -> bool:
    return tok.pos2 == "係助詞" and tok.surface in {"は", "も"}


def _is_final_mark(tok: Token) -> bool:
    return tok.pos2 == "句点" or (tok.pos1 == "補助記号" and tok.surface in _FINAL_MARKS)


def _opens_contrast(tokens: Sequence[Token], i: int) -> bool:
    tok = tokens[i]
    if tok.pos1 == "接続詞" and tok.lemma in _CONTRAST_CONJUNCTIONS:
        return True
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    if tok.lemma == "一方" and nxt is not None and nxt.surface in {"で", "、"}:
        return True
    # 「。でも、」 is often tokenised as the particles で + も at a clause start.
    prev = tokens[i - 1] if i > 0 else None
    return (
        tok.surface == "で"
        and nxt is not None
        and nxt.surface == "も"
        and prev is not None
        and prev.pos1 == "補助記号"
    )


def _is_noni(tokens: Sequence[Token], i: int) -> bool:
    """「〜のに、」 is often tokenised as の (準体助詞) + に, followed by a comma."""
    return (
        i >= 1
        and tokens[i].surface == "に"
        and tokens[i - 1].pos2 == "準体助詞"
        and i + 1 < len(tokens)
        and tokens[i + 1].pos2 == "読点"
    )


def _is_monono(tokens: Sequence[Token], i: int) -> bool:
    """「〜ものの、」 is tokenised as 物 + の after a predicate."""
    if i < 1 or tokens[i].surface != "の" or tokens[i - 1].surface != "もの":
        return False
    return i >= 2 and tokens[i - 2].pos1 in {"動詞", "形容詞", "助動詞", "形状詞"}
