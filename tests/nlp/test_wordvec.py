"""Word vectors: the shipped table, the comment embedding, the linear heads that use it,
and the reader that builds the table from a ja_ginza wheel."""

import io
import json
import struct
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from nlp.errors import ModelLoadError
from nlp.linear import LinearCommentModel, train_linear
from nlp.tokenize import tokenize
from nlp.wordvec import load_word_vectors

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import build_wordvectors  # noqa: E402


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_shipped_vectors_know_synonyms():
    vectors = load_word_vectors(ROOT / "models" / "chive-ja-20k")
    assert vectors.dim == 300 and len(vectors.rows) > 200_000

    def embed(text: str) -> np.ndarray:
        return vectors.embed(tokenize(text))

    pay, salary, delivery = embed("給料が安い"), embed("年収が低い"), embed("配送が遅い")
    assert _cos(pay, salary) > _cos(pay, delivery) + 0.1
    boss, manager = embed("上司"), embed("上長")
    assert _cos(boss, manager) > 0.6


def test_embed_without_known_content_words_is_zero():
    vectors = load_word_vectors(ROOT / "models" / "chive-ja-20k")
    for text in ("", "、。！", "12345", "です"):
        assert not vectors.embed(tokenize(text)).any()
    assert abs(np.linalg.norm(vectors.embed(tokenize("残業が多い"))) - 1) < 1e-5


def test_missing_vectors_are_a_clear_error(tmp_path):
    with pytest.raises(ModelLoadError, match="word vectors"):
        load_word_vectors(tmp_path)


def _tiny_vectors(directory: Path) -> Path:
    """Two directions: pay words along x, boss words along y."""
    directory.mkdir()
    table = np.array([[1, 0, 0], [0, 1, 0], [0.7, 0.7, 0]], dtype=np.float16)
    save_file({"vectors": table}, str(directory / "model.safetensors"))
    words = {"給料": 0, "年収": 0, "給与": 0, "上司": 1, "上長": 1, "部長": 1, "良い": 2}
    (directory / "vocab.json").write_text(json.dumps(words), encoding="utf-8")
    return directory


def test_linear_theme_heads_read_the_word_vectors(tmp_path):
    vectors = _tiny_vectors(tmp_path / "vec")
    pay = ["給料が低い", "給与を上げて", "給料に不満", "給与が少ない"]
    boss = ["上司が怖い", "部長が話を聞かない", "上司に相談できない", "部長が厳しい"]
    records = [
        {"text": t, "sentiment": s, "intent": i, "themes": {theme: s}}
        for texts, theme in ((pay, "compensation"), (boss, "leadership"))
        for t, s, i in zip(
            texts, ["negative", "positive"] * 2, ["complaint", "praise"] * 2, strict=True
        )
    ]
    out = tmp_path / "model"
    config = train_linear(records, out, name="tiny-wv", wordvec=str(vectors), wordvec_scale=4.0)
    assert config["wordvec"] == {"model": str(vectors), "scale": 4.0}
    model = LinearCommentModel.load(str(out))
    assert model.wordvec is not None and model.wordvec[2].shape == (2, 3)
    # Neither 年収 nor 上長 is in the training texts: only the vectors relate them.
    probs = model.predict_proba(["年収", "上長"])["binary"]
    assert probs[0]["theme:compensation"] > probs[1]["theme:compensation"]
    assert probs[1]["theme:leadership"] > probs[0]["theme:leadership"]


def test_murmurhash_matches_spacy_string_keys():
    # spacy.strings.hash_string("上司") and ("the") (spaCy 3.8)
    assert build_wordvectors.murmurhash64a("上司".encode()) == 1366582103945428446
    assert build_wordvectors.murmurhash64a(b"") != build_wordvectors.murmurhash64a(b"a")


def _msgpack_map(pairs: dict[int, int]) -> bytes:
    out = bytearray(b"\xdf" + struct.pack(">I", len(pairs)))
    for key, row in pairs.items():
        out += b"\xcf" + struct.pack(">Q", key)
        out += bytes([row]) if row < 0x80 else b"\xcd" + struct.pack(">H", row)
    return bytes(out)


def test_reader_builds_the_table_from_a_wheel(tmp_path):
    h = build_wordvectors.murmurhash64a
    words = {"給料": 0, "年収": 0, "上司": 1, "xyz-無関係": 300}
    buffer = io.BytesIO()
    np.save(buffer, np.eye(301, 4, dtype=np.float32))
    wheel = tmp_path / "ja_ginza-0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("ja_ginza/ja_ginza-0/vocab/vectors", buffer.getvalue())
        zf.writestr("ja_ginza/ja_ginza-0/vocab/key2row",
                    _msgpack_map({h(w.encode()): r for w, r in words.items()}))  # fmt: skip
        zf.writestr("ja_ginza/ja_ginza-0/vocab/strings.json",
                    json.dumps([*words, "not-a-key"], ensure_ascii=False))  # fmt: skip
    table, rows = build_wordvectors.read_ginza_vectors(wheel)
    assert table.shape == (301, 4) and rows == words
    assert dict(build_wordvectors.lookup_words(rows)) == {"上司": 1, "年収": 0, "給料": 0}
