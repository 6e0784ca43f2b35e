"""Japanese content-word analyser for topic words: fugashi lemmas of 名詞/動詞/形容詞/形状詞."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence

from nlp.pii import PLACEHOLDERS, detect_pii, redact
from nlp.results import PiiSpan
from nlp.text import normalize
from nlp.tokenize import Token, tokenize

__all__ = [
    "CONTENT_POS",
    "STOP_WORDS",
    "analyze_text",
    "content_lemmas",
    "joined_lemmas",
    "lemma_docs",
    "quote_text",
    "redact_text",
]

logger = logging.getLogger(__name__)

CONTENT_POS = frozenset({"名詞", "動詞", "形容詞", "形状詞"})
# Function-like words that survive the POS filter but say nothing about a topic.
STOP_WORDS = frozenset(
    """
    する ある いる なる 言う 思う 感じる 感ずる 見る 行く 来る くる できる 出来る 居る 為る 有る
    こと もの ため よう そう これ それ あれ どれ ここ そこ 事 物 方 感じ 様 時 際 中 上 下
    ない 無い 良い いい よい 多い 少ない 欲しい ほしい 的 さん 等 など 自分 今 今回
    みたい 気 点 つく 付く 回 部分 所 ところ 場合 頂く いただく 下さる くださる
    貰う もらう 思い 等々
    """.split()
)
_DROP_POS2 = frozenset({"数詞", "非自立可能", "固有名詞"})
_UNINFLECTED = frozenset({"名詞", "形状詞"})
# Prefixes that turn a word into its opposite: 不明確 is a topic word, not 明確.
_NEGATING_PREFIXES = frozenset({"不", "無", "非", "未"})
# A placeholder is no topic word: 「［氏名］さん」 must not make 氏名 one. Text redacted
# earlier (koe analyze's text_redacted) reaches here normalised: ［氏名］ is then [氏名].
_PLACEHOLDER_RE = re.compile(
    "|".join(
        re.escape(form)
        for placeholder in PLACEHOLDERS.values()
        for form in (placeholder, unicodedata.normalize("NFKC", placeholder))
    )
)


def content_lemmas(tokens: Iterable[Token]) -> list[str]:
    """Keep the lemmas of content words (suffixes, numbers, symbols and stop words dropped).

    Example:
        >>> content_lemmas(tokenize("残業が多すぎて辛いです"))
        ['残業', '辛い']
    """
    return [token.lemma for token in _content_tokens(tokens)]


def _content_tokens(tokens: Iterable[Token]) -> Iterator[Token]:
    previous: Token | None = None
    for token in tokens:
        prefix, previous = previous, token
        if token.pos1 not in CONTENT_POS or token.pos2 in _DROP_POS2:
            continue
        lemma = token.lemma
        if lemma in STOP_WORDS or lemma.isascii() and not lemma.isalpha():
            continue
        if (
            prefix is not None
            and prefix.pos1 == "接頭辞"
            and prefix.lemma in _NEGATING_PREFIXES
            and prefix.end == token.start
            and token.pos1 in _UNINFLECTED
        ):
            token = token._replace(
                surface=prefix.surface + token.surface, lemma=prefix.lemma + lemma,
                start=prefix.start,
            )  # fmt: skip
        yield token


def analyze_text(text: str) -> list[str]:
    """Normalise and tokenise ``text``, returning its content lemmas (a vectorizer analyser)."""
    return content_lemmas(tokenize(normalize(text).text))


def redact_text(text: str, terms: Sequence[str] = ()) -> str:
    """Return ``text`` normalised with every PII span (and ``terms``) as its placeholder."""
    normal = normalize(text).text
    return redact(normal, detect_pii(normal, tokenize(normal), terms))


def quote_text(text: str, terms: Sequence[str] = ()) -> str:
    """Return ``text`` as written, with every PII span (and ``terms``) as its placeholder.

    The spans are found in the normalised text (as :func:`redact_text`) and mapped back,
    so an example reads as its writer wrote it (～, ①, ㈱ kept).
    """
    norm = normalize(text)
    spans = detect_pii(norm.text, tokenize(norm.text), terms)
    return redact(text, [PiiSpan(s.type, *norm.to_original(s.start, s.end)) for s in spans])


def joined_lemmas(texts: Iterable[str], terms: Sequence[str] = ()) -> list[str]:
    """Return each text as its content lemmas joined by spaces (empty text → ``""``).

    The lemmas come from the PII-redacted text (:func:`redact_text`, as the topics'
    representative texts), placeholders left out: no e-mail, URL or name becomes a word.
    """
    return lemma_docs(texts, terms)[0]


def lemma_docs(texts: Iterable[str], terms: Sequence[str] = ()) -> tuple[list[str], dict[str, str]]:
    """:func:`joined_lemmas`, and how the writers spell each noun lemma most often.

    UniDic lemmas merge spellings (子ども and 子供 are 子供) and write some words as no one
    types them (手当て for 手当, ドラッグストアー for ドラッグストア): topic words are shown in
    the batch's own commonest spelling. The spellings map only lemmas whose commonest
    surface differs; verbs and adjectives count only their dictionary forms (つらい, not
    UniDic's 辛い; 活かす, not 生かす).
    """
    docs: list[str] = []
    counts: dict[str, Counter[str]] = {}
    for text in texts:
        redacted = _PLACEHOLDER_RE.sub(" ", redact_text(text, terms))
        tokens = list(_content_tokens(tokenize(normalize(redacted).text)))
        docs.append(" ".join(token.lemma for token in tokens))
        for token in tokens:
            if token.pos1 in _UNINFLECTED or _dictionary_form(token):
                counts.setdefault(token.lemma, Counter())[token.surface] += 1
    best = {lemma: min(c, key=lambda s: (-c[s], s)) for lemma, c in counts.items()}
    return docs, {lemma: surface for lemma, surface in best.items() if surface != lemma}


def _dictionary_form(token: Token) -> bool:
    """Whether a verb or adjective is written in its dictionary form (つらい, 活かす).

    The attributive form is the dictionary form too, except for potential verbs
    (活かせる is tagged 生かす): the form must end as the lemma does.
    """
    return token.cform.startswith(("終止形-一般", "連体形-一般")) and (
        token.surface[-1:] == token.lemma[-1:]
    )
