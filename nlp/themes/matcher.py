"""Dictionary matcher for the cues of a theme pack over fugashi tokens.

Cues and text are compared as sequences of *content words*, each matched on its lemma or
surface: particles, auxiliaries (except passive/causative れる・られる・せる・させる),
symbols, whitespace, the honorific prefix お/ご and the helper verb after 〜て
(〜てくれる・〜ている・〜てほしい) are skipped on both sides. So 「意見 … 言う」 matches
「意見が言えない」 and 「意見を言ってもらえる」, and 「問い合わせ」 matches 「お問い合わせ」.
Negation is not part of a match: polarity is decided per clause elsewhere.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from nlp.errors import PackError
from nlp.text import normalize
from nlp.themes.pack import ThemePack
from nlp.tokenize import Token, tokenize

__all__ = ["MAX_GAP", "ThemeMatch", "ThemeMatcher"]

logger = logging.getLogger(__name__)

MAX_GAP = 4
"""Most content words that ``…`` in a cue may skip."""

_SKIP_POS1 = frozenset({"助詞", "助動詞", "補助記号", "記号", "空白"})
# Passive and causative change who does what (感謝される vs 感謝する), so they stay.
_KEPT_AUXILIARIES = frozenset({"れる", "られる", "せる", "させる"})
# Sentence ends: a cue never spans one, nor does a gap.
_SENTENCE_END = frozenset({"。", ".", "!", "?", "！", "？"})
_GAP_MARK = re.compile(r"…|\.\.\.|‥")
_NO_KEYS: tuple[str, ...] = ()
# Contexts a cue is tokenised in at build time (see _part_variants).
_CONTEXTS = (("", ""), ("", "が"), ("", "を"), ("この", ""), ("", "最高"))


class ThemeMatch(NamedTuple):
    """A cue found in text: character span of the matched tokens and the cue as written."""

    theme_id: str
    start: int
    end: int
    cue: str


class _Cue(NamedTuple):
    elements: tuple[frozenset[str], ...]
    gaps: tuple[bool, ...]  # gaps[k]: element k may come after a gap
    theme: int
    text: str
    exclude: bool


_Single = tuple[int, str, bool, frozenset[str]]  # theme, cue text, exclude, its keys


class _Candidate(NamedTuple):
    size: int  # characters of the matched words (not of the gaps)
    first: int
    last: int
    positions: tuple[int, ...]
    theme: int
    text: str
    exclude: bool


class _Words(NamedTuple):
    """The content words of a text: match keys, token index and length of each."""

    keys: list[tuple[str, ...]]
    where: list[int]
    widths: list[int]


class ThemeMatcher:
    """Finds the themes of a pack in tokenised text.

    Where matches overlap, the longest (in characters of the matched words) wins over
    shorter ones of other themes (「残業代」 is pay, not overtime); matches of equal
    length from several themes are all kept. Overlapping matches of one theme are
    reported once, spanning them all, with the cue of the longest.

    Example:
        >>> matcher = ThemeMatcher(load_pack("employee"))
        >>> [m.theme_id for m in matcher.match(tokenize("残業代が出ない"))]
        ['compensation']
    """

    def __init__(self, pack: ThemePack) -> None:
        """Compile the cues and exclude expressions of ``pack``.

        Raises:
            PackError: a cue or exclude expression has a part without content words.
        """
        self.pack = pack
        self._theme_ids = pack.theme_ids
        # Per first word: the one-word cues, and the longer cues by their last word;
        # a longer cue is only tried when its last word occurs in the text at all.
        self._index: dict[str, tuple[list[_Single], dict[str, list[_Cue]]]] = {}
        for number, theme in enumerate(pack.themes):
            where = f"{pack.id}/{theme.id}"
            for text in theme.cues:
                for cue in _compile(text, number, exclude=False, where=where):
                    self._add(cue)
            for text in theme.exclude:
                for cue in _compile(text, number, exclude=True, where=where):
                    self._add(cue)
        logger.debug("theme matcher for %s: %d index keys", pack.id, len(self._index))

    def match(self, tokens: Sequence[Token]) -> list[ThemeMatch]:
        """Return the theme cues found in ``tokens``, sorted by start offset.

        Args:
            tokens: tokens of normalised text (:func:`nlp.text.normalize`), as
                returned by :func:`nlp.tokenize.tokenize`.

        Returns:
            One match per theme and stretch of text; offsets are those of the tokens.
        """
        words = _content(tokens)
        found = self._candidates(words)
        if not found:
            return []
        if any(c.exclude for c in found):
            excluded = [c for c in found if c.exclude]
            found = [c for c in found if not c.exclude and not _is_excluded(c, excluded)]
        kept = _resolve(found)
        kept.sort(key=lambda c: (c.first, c.theme))
        theme_ids, where = self._theme_ids, words.where
        return [
            ThemeMatch(
                theme_ids[c.theme], tokens[where[c.first]].start, tokens[where[c.last]].end, c.text
            )
            for c in kept
        ]

    def _add(self, cue: _Cue) -> None:
        # A spelling variant (問合せ next to 問い合わせ) adds nothing under a key
        # where the same theme already has the same words.
        for key in cue.elements[0]:
            singles, by_last = self._index.setdefault(key, ([], {}))
            if len(cue.elements) == 1:
                if not any(h[0] == cue.theme and h[2] == cue.exclude for h in singles):
                    singles.append((cue.theme, cue.text, cue.exclude, cue.elements[0]))
                continue
            for last in cue.elements[-1]:
                cues = by_last.setdefault(last, [])
                if not any(_same_words(c, cue) for c in cues):
                    cues.append(cue)

    def _candidates(self, words: _Words) -> list[_Candidate]:
        """Find every cue and exclude match in ``words``."""
        index = self._index
        keys, widths = words.keys, words.widths
        present: set[str] | None = None
        found: list[_Candidate] = []
        for i, token_keys in enumerate(keys):
            for n, key in enumerate(token_keys):
                entry = index.get(key)
                if entry is None:
                    continue
                # Under the surface (n = 1), skip cues already found through the lemma.
                lemma = token_keys[0] if n else None
                singles, by_last = entry
                for theme, text, exclude, first in singles:
                    if lemma not in first:
                        found.append(_Candidate(widths[i], i, i, (i,), theme, text, exclude))
                if not by_last:
                    continue
                if present is None:
                    present = set().union(*keys)
                for last in by_last.keys() & present:
                    for cue in by_last[last]:
                        positions = _extend(cue, keys, i) if lemma not in cue.elements[0] else None
                        if positions is not None:
                            found.append(_found(cue, positions, widths))
        return found


def _content(tokens: Sequence[Token]) -> _Words:
    """Return the content words of ``tokens`` (see the module docstring).

    A sentence end becomes an entry without keys, which no cue element matches.
    """
    words = _Words([], [], [])
    keys, where, widths = words
    after_te = False
    for n, (surface, lemma, pos1, pos2, _, _, start, end) in enumerate(tokens):
        skip = pos1 in _SKIP_POS1 and lemma not in _KEPT_AUXILIARIES
        if (
            skip
            or (after_te and pos2 == "非自立可能")
            or (pos1 == "接頭辞" and lemma == "御")  # お問い合わせ = 問い合わせ
            or pos2 == "助動詞語幹"  # そう・よう・みたい
        ):
            if surface in _SENTENCE_END:
                keys.append(_NO_KEYS)
                where.append(n)
                widths.append(0)
            # 〜て(は)くれる/いる/ほしい: the helper verb after て carries no topic.
            after_te = (pos1 == "助詞" and lemma == "て") or (after_te and skip)
            continue
        after_te = False
        if lemma.isascii():
            lemma = lemma.lower()
        if surface.isascii():
            surface = surface.lower()
        keys.append((lemma,) if lemma == surface else (lemma, surface))
        where.append(n)
        widths.append(end - start)
    return words


def _extend(cue: _Cue, keys: list[tuple[str, ...]], i: int) -> tuple[int, ...] | None:
    """Match the rest of ``cue`` after its first word at ``i``; positions of its words."""
    if len(cue.elements) == 2:  # the common case, without recursion
        second = cue.elements[1]
        last = min(i + 1 + MAX_GAP, len(keys) - 1) if cue.gaps[1] else i + 1
        for p in range(i + 1, last + 1):
            token_keys = keys[p] if p < len(keys) else _NO_KEYS
            if not token_keys:
                return None  # end of text or a sentence end
            if not second.isdisjoint(token_keys):
                return i, p
        return None
    return _extend_from(cue, keys, 1, (i,))


def _extend_from(
    cue: _Cue, keys: list[tuple[str, ...]], k: int, positions: tuple[int, ...]
) -> tuple[int, ...] | None:
    """Match cue elements ``k…`` after ``positions``; backtracks over gap choices."""
    if k == len(cue.elements):
        return positions
    element = cue.elements[k]
    nxt = positions[-1] + 1
    last = min(nxt + MAX_GAP, len(keys) - 1) if cue.gaps[k] else nxt
    for p in range(nxt, last + 1):
        token_keys = keys[p] if p < len(keys) else _NO_KEYS
        if not token_keys:
            return None  # end of text or a sentence end
        if not element.isdisjoint(token_keys):
            result = _extend_from(cue, keys, k + 1, (*positions, p))
            if result is not None:
                return result
    return None


def _found(cue: _Cue, positions: tuple[int, ...], widths: list[int]) -> _Candidate:
    size = sum(map(widths.__getitem__, positions))
    return _Candidate(
        size, positions[0], positions[-1], positions, cue.theme, cue.text, cue.exclude
    )


def _is_excluded(candidate: _Candidate, excluded: Iterable[_Candidate]) -> bool:
    return any(e.theme == candidate.theme and _overlap(e, candidate) for e in excluded)


def _overlap(a: _Candidate, b: _Candidate) -> bool:
    """Whether two matches share a matched word (the words in a gap do not count)."""
    if a.last < b.first or b.last < a.first:
        return False
    if len(a.positions) == 1:
        return a.first in b.positions
    return not set(a.positions).isdisjoint(b.positions)


def _resolve(found: list[_Candidate]) -> list[_Candidate]:
    """Keep the longest cues, drop shorter overlapping ones of other themes, merge repeats."""
    if len(found) < 2:
        return found
    found.sort(key=_longest_first)
    kept: list[_Candidate] = []
    spanning: dict[int, list[int]] = {}  # word position → kept matches whose span holds it
    for c in found:
        near = sorted({n for p in range(c.first, c.last + 1) for n in spanning.get(p, ())})
        for n in near:  # the kept matches whose spans (gaps included) meet c's, in order
            k = kept[n]
            if k.theme == c.theme:
                if c.first < k.first or c.last > k.last:
                    # One match per stretch: 意見を言いにくい, not 言いにくい alone.
                    first, last = min(k.first, c.first), max(k.last, c.last)
                    kept[n] = _Candidate(k.size, first, last, k.positions, k.theme, k.text, False)
                    for p in (*range(first, k.first), *range(k.last + 1, last + 1)):
                        spanning.setdefault(p, []).append(n)
                break
            if k.size > c.size and _overlap(k, c):
                break
        else:
            for p in range(c.first, c.last + 1):
                spanning.setdefault(p, []).append(len(kept))
            kept.append(c)
    return kept


def _longest_first(candidate: _Candidate) -> tuple[int, int, int, int, str]:
    # Complete order, so that the cue reported for a stretch never depends on set order.
    c = candidate
    return -c.size, c.first, c.theme, c.last, c.text


def _same_words(a: _Cue, b: _Cue) -> bool:
    return (a.elements, a.gaps, a.theme, a.exclude) == (b.elements, b.gaps, b.theme, b.exclude)


def _compile(text: str, theme: int, *, exclude: bool, where: str) -> list[_Cue]:
    """Compile a cue into one :class:`_Cue` per tokenisation variant of its parts."""
    variants: list[list[tuple[frozenset[str], bool]]] = [[]]
    for part_number, part in enumerate(_GAP_MARK.split(text)):
        part_variants = _part_variants(part)
        if not part_variants:
            kind = "exclude expression" if exclude else "cue"
            raise PackError(f"theme pack {where}: {kind} {text!r} has a part without words")
        variants = [
            done + [(element, part_number > 0 and k == 0) for k, element in enumerate(elements)]
            for done in variants
            for elements in part_variants
        ]
    return [
        _Cue(tuple(e for e, _ in v), tuple(g for _, g in v), theme, text, exclude) for v in variants
    ]


def _part_variants(part: str) -> list[tuple[frozenset[str], ...]]:
    """Content-word sequences of ``part`` as tokenised alone and in a few contexts.

    MeCab splits some words differently by context (コスパ is コス+パ alone, コ+スパ
    before が, one word before 最強), so each context that keeps the part's edges on
    token boundaries adds its reading, and a part of several words also matches a
    single token spelled like the whole part.
    """
    core = normalize(part).text if part.strip() else ""
    variants: dict[tuple[frozenset[str], ...], None] = {}
    for prefix, suffix in _CONTEXTS if core else ():
        tokens = tokenize(prefix + core + suffix)
        inside = [t for t in tokens if len(prefix) <= t.start and t.end <= len(prefix) + len(core)]
        if "".join(t.surface for t in inside) != core.replace(" ", ""):
            continue  # a token crosses the edge of the part
        elements = _elements(inside)
        if elements:
            variants[elements] = None
    if variants and " " not in core and any(len(v) > 1 for v in variants):
        # An unknown word may come out as one token: マイクロマネジメント, コスパ.
        key = core.lower() if core.isascii() else core
        variants[(frozenset({key}),)] = None
    return [v for v in variants if not any(w != v and _covers(w, v) for w in variants)]


def _elements(tokens: list[Token]) -> tuple[frozenset[str], ...]:
    """Match keys per content word of a cue: lemma, and surface unless inflected."""
    words = _content(tokens)
    return tuple(
        frozenset(keys if _uninflected(tokens[n].cform) else keys[:1])
        for keys, n in zip(words.keys, words.where, strict=True)
        if keys
    )


def _uninflected(cform: str) -> bool:
    # 見づらい's 見 or 使い方's 使い would make every form of 見る/使う a second key.
    return cform in ("", "*") or cform.startswith("終止形")


def _covers(wide: tuple[frozenset[str], ...], narrow: tuple[frozenset[str], ...]) -> bool:
    """Whether every text that ``narrow`` matches is matched by ``wide`` too."""
    return len(wide) == len(narrow) and all(w >= n for w, n in zip(wide, narrow, strict=True))
