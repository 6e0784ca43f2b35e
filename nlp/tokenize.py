"""Japanese word tokenisation with fugashi + unidic-lite (UniDic 2.1.2 features).

One MeCab tagger per thread is created lazily and reused. For speed we split the
tagger's text output (unidic-lite's ``unidic`` format: surface, pron, lForm,
lemma, POS joined by ``-``, cType, cForm, aType) instead of building a Python
node object per word, which is about four times faster.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, NamedTuple

__all__ = ["Token", "clean_lemma", "get_tagger", "tokenize"]

logger = logging.getLogger(__name__)

_local = threading.local()


class Token(NamedTuple):
    """One word: offsets are into the string given to :func:`tokenize`."""

    surface: str
    lemma: str
    pos1: str
    pos2: str
    pos3: str
    cform: str
    start: int
    end: int


def get_tagger() -> Any:
    """Return this thread's fugashi tagger (MeCab taggers are not thread-safe)."""
    tagger = getattr(_local, "tagger", None)
    if tagger is None:
        import fugashi  # heavy import: only when a comment is first tokenised

        tagger = fugashi.GenericTagger(_unidic_args())
        _local.tagger = tagger
    return tagger


def clean_lemma(lemma: str, surface: str) -> str:
    """Strip UniDic's ``-english`` gloss (``ミス-miss`` → ``ミス``); fall back to surface."""
    if not lemma or lemma == "*":
        return surface
    cut = lemma.find("-", 1)
    return lemma[:cut] if cut > 0 else lemma


def tokenize(text: str, offset: int = 0) -> list[Token]:
    """Split ``text`` into tokens; ``offset`` is added to every start/end.

    Line breaks are handled by tokenising each line separately, so no token spans
    two lines.

    Example:
        >>> [t.lemma for t in tokenize("残業が多すぎる")]
        ['残業', 'が', '多い', '過ぎる']
    """
    tokens: list[Token] = []
    line_start = 0
    for line in text.split("\n"):
        if line.strip():
            tokens.extend(_tokenize_line(line, offset + line_start))
        line_start += len(line) + 1
    return tokens


def _tokenize_line(line: str, offset: int) -> list[Token]:
    parsed: str = get_tagger().parse(line)
    tokens: list[Token] = []
    cursor = 0
    for row in parsed.split("\n"):
        fields = _ROWS.get(row) or _parse_row(row)
        if fields is None:
            continue  # the EOS line
        surface = fields[0]
        start = line.find(surface, cursor)
        if start < 0:
            # MeCab never rewrites characters, so a miss means our format broke.
            raise RuntimeError(f"token {surface!r} not found in text after {cursor}")
        cursor = start + len(surface)
        if fields[2] == "補助記号" and len(surface) > 1 and not surface.isascii():
            # MeCab glues symbol runs (😊😊, 👍🏻, 😊。): one token per character, so
            # each emoji can be looked up on its own.
            for k, ch in enumerate(surface):
                tokens.append(
                    Token(ch, ch, *fields[2:], offset + start + k, offset + start + k + 1)
                )
        else:
            tokens.append(Token(*fields, offset + start, offset + cursor))
    return tokens


# Parsed output rows, memoised: a few thousand rows (particles, common words) make
# up most of any corpus, so most rows are split only once per process.
_ROWS: dict[str, tuple[str, str, str, str, str, str]] = {}
_MAX_ROWS = 200_000


def _parse_row(row: str) -> tuple[str, str, str, str, str, str] | None:
    fields = row.split("\t")
    if len(fields) < 7:
        return None
    surface, lemma, cform = fields[0], fields[3], fields[6]
    pos = fields[4].split("-")
    pos1, pos2, pos3 = (pos + ["", "", ""])[:3]
    parsed = (surface, clean_lemma(lemma, surface), pos1, pos2, pos3, cform)
    if len(_ROWS) < _MAX_ROWS:
        _ROWS[row] = parsed
    return parsed


def _unidic_args() -> str:
    import unidic_lite

    return f'-d "{unidic_lite.DICDIR}" -r /dev/null'
