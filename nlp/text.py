"""Text normalisation (NFKC, width folding, 〜/ー variants, mark and whitespace runs).

Every character of the normalised text remembers the span of the original text it
came from, so spans found later are reported in original offsets.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "LONE_SURROGATE",
    "NormalizedText",
    "OffsetError",
    "has_lone_surrogate",
    "natural_key",
    "normalize",
]

logger = logging.getLogger(__name__)

# Marks whose runs are folded to one: 「すごーーい！！！」 → 「すごーい!」.
_REPEAT_MARKS = frozenset("!?。、,.・…ー〜")
# Tilde/wave-dash variants (after NFKC, ～ is "~").
_TILDES = frozenset("~∼〜〰")
# Dash-like characters that mean the long vowel mark after kana (スーパ— → スーパー).
_DASHES = frozenset("-‐‑‒–—―−─")
# Combining voiced/semi-voiced marks, including the half-width forms.
_VOICING = frozenset("\u3099\u309a\uff9e\uff9f\u309b\u309c")
_DROP_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co"})
# What the slow path could still change in printable NFKC text (str.isprintable rules
# out control, format, surrogate, private-use and unassigned characters and every
# whitespace but the ASCII space): edge or double spaces, tilde and dash variants,
# voicing marks, repeated marks.
_NEEDS_WORK = re.compile(r"^ | $|  |[~∼〰‐‑‒–—―−─\-\u3099-\u309c]|([!?。、,.・…ー〜])\1")


class OffsetError(ValueError):
    """A span cannot be mapped back to the original text (a bug, never user input)."""


@dataclass(frozen=True, slots=True)
class NormalizedText:
    """Normalised text with, per character, the original span it came from."""

    original: str
    text: str
    #: per normalised character, the original span; ``None`` when text == original
    starts: tuple[int, ...] | None
    ends: tuple[int, ...] | None

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map the normalised span ``[start, end)`` to original offsets."""
        if not 0 <= start <= end <= len(self.text):
            raise OffsetError(f"span ({start}, {end}) outside text of length {len(self.text)}")
        if self.starts is None or self.ends is None:
            return start, end
        if start == end:
            pos = self.starts[start] if start < len(self.text) else len(self.original)
            return pos, pos
        return self.starts[start], self.ends[end - 1]


def normalize(original: str) -> NormalizedText:
    """Normalise a comment for analysis, keeping an offset map to ``original``.

    NFKC (full-width ASCII → ASCII, half-width kana → full-width), 〜 variants → 〜,
    dashes after kana → ー, runs of the same mark folded to one, control and
    format characters dropped, whitespace runs → one space, blank lines dropped.

    Example:
        >>> normalize("ｻｰﾋﾞｽ残業  ばかり！！").text
        'サービス残業 ばかり!'
    """
    if (
        original.isprintable()
        and unicodedata.is_normalized("NFKC", original)
        and not _NEEDS_WORK.search(original)
    ):
        return NormalizedText(original, original, None, None)  # the common, fast case
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    n = len(original)
    i = 0
    while i < n:
        j = i + 1
        while j < n and (original[j] in _VOICING or unicodedata.combining(original[j])):
            j += 1
        for ch in _nfkc(original[i:j]):
            _append(chars, starts, ends, ch, i, j)
        i = j
    while chars and chars[-1] in " \n":
        chars.pop(), starts.pop(), ends.pop()
    return NormalizedText(original, "".join(chars), tuple(starts), tuple(ends))


def _append(
    chars: list[str], starts: list[int], ends: list[int], ch: str, start: int, end: int
) -> None:
    if ch in "\r\n\u2028\u2029\x0b\x0c\x85":
        ch = "\n"
    elif ch == "\t" or (ch.isspace() and ch != "\n"):
        ch = " "
    elif unicodedata.category(ch) in _DROP_CATEGORIES:
        return
    elif ch in _TILDES:
        ch = "〜"
    elif ch in _DASHES and chars and _is_kana(chars[-1]):
        ch = "ー"
    prev = chars[-1] if chars else ""
    if ch in " \n":
        if not chars:
            return  # leading whitespace
        if prev in " \n":
            # Fold into the previous blank; a line break wins over a space.
            if ch == "\n":
                chars[-1] = "\n"
            ends[-1] = end
            return
    elif ch == prev and ch in _REPEAT_MARKS:
        ends[-1] = end
        return
    chars.append(ch)
    starts.append(start)
    ends.append(end)


@lru_cache(maxsize=8192)
def _nfkc(chunk: str) -> str:
    if len(chunk) > 1 and (_is_kana(chunk[0]) or "\uff66" <= chunk[0] <= "\uff9d"):
        # A spacing ゛/゜ typed after kana (か゛) is meant as the combining mark: NFKC
        # alone gives "か ゙", a space inside the word.
        chunk = chunk[0] + chunk[1:].translate(_SPACING_VOICING)
    return unicodedata.normalize("NFKC", chunk)


_SPACING_VOICING = str.maketrans("\u309b\u309c", "\u3099\u309a")


def _is_kana(ch: str) -> bool:
    return "\u3041" <= ch <= "\u30ff"


_KANJI_DIGITS = {ch: n for n, ch in enumerate("〇一二三四五六七八九")}
_KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}
_KANJI_NUMBER = re.compile("[〇一二三四五六七八九十百千]+")
_ASCII_NUMBER = re.compile("([0-9]+)")


def natural_key(label: str) -> tuple[tuple[tuple[int, int | str], ...], str]:
    """Sort key of a label with its numbers compared as numbers, however they are written.

    Full-width and circled digits (NFKC) and kanji numerals count as numbers, so waves
    and groups come in the order people wrote them.

    Example:
        >>> sorted(["第十回", "第二回", "２０２４Q1", "2024Q10", "2024Q9", "①"], key=natural_key)
        ['①', '２０２４Q1', '2024Q9', '2024Q10', '第二回', '第十回']
    """
    text = _KANJI_NUMBER.sub(lambda m: str(_kanji_value(m.group())), _nfkc(label))
    parts = tuple(
        (0, int(part)) if part.isascii() and part.isdigit() else (1, part.strip().lower())
        for part in _ASCII_NUMBER.split(text)
        if part
    )
    return parts, label


def _kanji_value(numeral: str) -> int:
    if not any(ch in _KANJI_UNITS for ch in numeral):  # 二〇二四: digit by digit
        return int("".join(str(_KANJI_DIGITS[ch]) for ch in numeral))
    total = digit = 0
    for ch in numeral:
        if ch in _KANJI_UNITS:
            total += (digit or 1) * _KANJI_UNITS[ch]
            digit = 0
        else:
            digit = digit * 10 + _KANJI_DIGITS[ch]
    return total + digit


#: what to say about a string :func:`has_lone_surrogate` finds (as "field X holds …")
LONE_SURROGATE = (
    "holds a lone surrogate (an unpaired \\ud800-\\udfff escape), which is not valid Unicode"
)
_SURROGATE = re.compile("[\ud800-\udfff]")


def has_lone_surrogate(text: str) -> bool:
    r"""Whether ``text`` holds half a UTF-16 pair.

    JSON may escape one (``"\ud800"``); Python reads it as a lone surrogate, which is
    no Unicode character: it cannot be encoded, stored or sent back.
    """
    return _SURROGATE.search(text) is not None
