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

__all__ = ["NormalizedText", "OffsetError", "normalize"]

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
    return unicodedata.normalize("NFKC", chunk)


def _is_kana(ch: str) -> bool:
    return "\u3041" <= ch <= "\u30ff"
