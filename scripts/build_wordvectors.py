"""Build ``models/chive-ja-20k`` (Japanese word vectors) from the ja_ginza wheel.

The ``ja-ginza`` package on PyPI (MIT) ships 20,000 chiVe word2vec vectors (Sudachi,
Apache-2.0) with 480,443 words mapped onto them. This script reads them straight from
the wheel (no spaCy needed), keeps the words that our fugashi + unidic-lite tokenizer sees
as one content word (so a lookup by lemma or surface finds them), and writes
``model.safetensors`` (unit-length float16 vectors), ``vocab.json`` (word → row) and
``README.md`` (source and licenses)::

    pip download ja-ginza==5.3.0 --no-deps -d /tmp/wheels
    python scripts/build_wordvectors.py /tmp/wheels/ja_ginza-5.3.0-py3-none-any.whl

The output is deterministic for a given wheel.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

from nlp.tokenize import tokenize
from nlp.wordvec import VOCAB_FILE, WEIGHTS_FILE, is_content

ROOT = Path(__file__).resolve().parent.parent
_WORD = re.compile(r"^[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f々〆A-Za-z0-9]{1,12}$")
_MASK = (1 << 64) - 1


def murmurhash64a(data: bytes, seed: int = 1) -> int:
    """MurmurHash64A, the hash spaCy's string store keys words by (seed 1)."""
    m, r = 0xC6A4A7935BD1E995, 47
    h = (seed ^ (len(data) * m)) & _MASK
    body = len(data) // 8 * 8
    for (k,) in struct.iter_unpack("<Q", data[:body]):
        k = (k * m) & _MASK
        k ^= k >> r
        k = (k * m) & _MASK
        h ^= k
        h = (h * m) & _MASK
    tail = data[body:]
    if tail:
        h ^= int.from_bytes(tail, "little")
        h = (h * m) & _MASK
    h ^= h >> r
    h = (h * m) & _MASK
    h ^= h >> r
    return h


def read_key2row(blob: bytes) -> dict[int, int]:
    """Decode spaCy's ``key2row`` file: one msgpack map of uint64 keys to int rows."""
    pos = 0

    def uint() -> int:
        nonlocal pos
        tag = blob[pos]
        pos += 1
        if tag < 0x80:  # positive fixint
            return tag
        size = {0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8}[tag]
        value = int.from_bytes(blob[pos : pos + size], "big")
        pos += size
        return value

    tag = blob[0]
    if tag == 0xDF:
        count, pos = int.from_bytes(blob[1:5], "big"), 5
    elif tag == 0xDE:
        count, pos = int.from_bytes(blob[1:3], "big"), 3
    else:
        raise ValueError(f"key2row: expected a msgpack map, got tag {tag:#x}")
    return {uint(): uint() for _ in range(count)}


def read_ginza_vectors(wheel: Path) -> tuple[np.ndarray, dict[str, int]]:
    """The vector table and ``{word: row}`` of a ja_ginza wheel."""
    with zipfile.ZipFile(wheel) as zf:
        names = {Path(n).parent.name + "/" + Path(n).name: n for n in zf.namelist()}
        vectors = np.load(io.BytesIO(zf.read(names["vocab/vectors"])))
        key2row = read_key2row(zf.read(names["vocab/key2row"]))
        strings = json.loads(zf.read(names["vocab/strings.json"]))
    rows = {}
    for word in strings:
        row = key2row.get(murmurhash64a(word.encode("utf-8")))
        if row is not None:
            rows[word] = row
    return vectors, rows


def lookup_words(rows: dict[str, int]) -> Iterator[tuple[str, int]]:
    """Words our tokenizer reads as one content word, as lemma or surface."""
    for word in sorted(rows):
        if not _WORD.match(word):
            continue
        tokens = tokenize(word)
        if len(tokens) != 1 or not is_content(tokens[0]):
            continue
        if word in (tokens[0].lemma, tokens[0].surface):
            yield word, rows[word]


CARD = """# chive-ja-20k — Japanese word vectors

{words:,} words on {vectors:,} unit-length 300-dimensional vectors (float16), used by the
theme and alert heads of the comment model (`nlp/wordvec.py`): a comment is the mean
vector of its content words (lemma, else surface form, as fugashi + unidic-lite read it).

- Source: the `vocab/` of `{wheel}` (PyPI package `ja-ginza`, MIT License, Megagon Labs
  Tokyo), whose vectors are chiVe (Sudachi word2vec trained on the NINJAL Web Japanese
  Corpus; Apache License 2.0, Works Applications), pruned there to 20,000 vectors with
  every other word mapped to its nearest kept vector.
- Kept: the words our tokenizer reads as one content word (noun, verb, adjective,
  adjectival noun, adverb, interjection; not numerals).
- Rebuild: `pip download ja-ginza==5.3.0 --no-deps -d /tmp/wheels` then
  `python scripts/build_wordvectors.py /tmp/wheels/{wheel}` (deterministic).
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wheel", type=Path, help="ja_ginza-5.3.0-py3-none-any.whl")
    parser.add_argument("--output", type=Path, default=ROOT / "models" / "chive-ja-20k")
    args = parser.parse_args()
    vectors, rows = read_ginza_vectors(args.wheel)
    kept = list(lookup_words(rows))
    used = sorted({row for _, row in kept})
    renumber = {old: new for new, old in enumerate(used)}
    table = vectors[used].astype(np.float32)
    table /= np.linalg.norm(table, axis=1, keepdims=True) + 1e-12
    args.output.mkdir(parents=True, exist_ok=True)
    save_file({"vectors": table.astype(np.float16)}, str(args.output / WEIGHTS_FILE))
    vocab = {word: renumber[row] for word, row in kept}
    (args.output / VOCAB_FILE).write_text(
        json.dumps(vocab, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
    )
    card = CARD.format(wheel=args.wheel.name, words=len(kept), vectors=len(used))
    (args.output / "README.md").write_text(card, encoding="utf-8")
    print(f"{len(rows):,} words in the wheel; kept {len(kept):,} words on {len(used):,} vectors")


if __name__ == "__main__":
    main()
