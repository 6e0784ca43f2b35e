"""A small trained comment classifier: character n-gram TF-IDF + logistic regression.

It decides the comment-level sentiment (4 labels) and intent (5 labels), and gives a
probability for "needs follow-up" (alert) and for each theme; the pipeline adds those to
the rule-based alerts and theme cues. The binary heads also read the comment's mean word
vector (:mod:`nlp.wordvec`), which carries them past the wordings seen in training. The
multi-class heads also read lemma 1–2-grams in which a negated word is marked
(:func:`negated_lemmas`: 悪い¬ in 「悪くない」), which character n-grams cannot tell from
「悪くなった」.
Weights are stored without pickle: ``model.safetensors`` (idf; one coefficient matrix and
intercept per multi-class head, one row per binary head, plus ``binary.coef_dense`` for
the word vector and ``<head>.coef_lemma`` and ``lemma.idf`` for the lemmas),
``vocab.json`` (and ``lemma_vocab.json``) and ``config.json``. Train with
``scripts/train_linear.py``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nlp.cues import count_negations
from nlp.doc import Doc, make_doc
from nlp.errors import ModelLoadError
from nlp.wordvec import WordVectors, load_word_vectors

__all__ = ["HEADS", "LinearCommentModel", "binary_targets", "resolve_model_dir", "train_linear"]

logger = logging.getLogger(__name__)

#: predicted fields and the record keys they are trained from
HEADS = ("sentiment", "intent")
_REPO_MODELS = Path(__file__).resolve().parent.parent / "models"


def resolve_model_dir(name_or_path: str) -> Path:
    """A directory path as given, or a model name under the repository's ``models/``."""
    path = Path(name_or_path)
    if path.is_dir():
        return path
    shipped = _REPO_MODELS / name_or_path
    if shipped.is_dir():
        return shipped
    raise ModelLoadError(
        f"comment model {name_or_path!r} not found (looked for a directory and for "
        f"{shipped}); train one with `python scripts/train_linear.py` or set comment_model=None"
    )


@dataclass(frozen=True)
class LinearCommentModel:
    """Loaded weights of a trained comment model."""

    name: str
    vectorizer: Any  # a fitted sklearn TfidfVectorizer (vocabulary and idf set)
    heads: dict[str, tuple[tuple[str, ...], np.ndarray, np.ndarray]]
    binary: tuple[tuple[str, ...], np.ndarray, np.ndarray]
    #: word vectors and the binary heads' weights on the scaled mean vector (or ``None``)
    wordvec: tuple[WordVectors, float, np.ndarray] | None = None
    #: the negated-lemma vectorizer (fitted), its scale and the multi-class heads' weights
    lemmas: tuple[Any, float, dict[str, np.ndarray]] | None = None

    @classmethod
    def load(cls, name_or_path: str) -> LinearCommentModel:
        """Load ``config.json``, ``vocab.json`` and ``model.safetensors`` from a directory."""
        from safetensors import SafetensorError
        from safetensors.numpy import load_file

        directory = resolve_model_dir(name_or_path)
        if not (directory / "config.json").is_file():
            raise ModelLoadError(
                f"cannot load comment model from {directory}: no config.json (not a model "
                "directory, or a damaged one)"
            )
        try:
            config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
            if isinstance(config, dict) and "model_type" in config:  # a transformers checkpoint
                raise ModelLoadError(
                    "a transformers checkpoint without koe.json (its heads' labels); "
                    "train one with scripts/train.py"
                )
            vocab = json.loads((directory / "vocab.json").read_text(encoding="utf-8"))
            lemma_vocab = None
            if "lemmas" in config:
                lemma_vocab = json.loads(
                    (directory / "lemma_vocab.json").read_text(encoding="utf-8")
                )
            tensors = load_file(str(directory / "model.safetensors"))
            return cls._from_parts(config, vocab, lemma_vocab, tensors, directory.name)
        except ModelLoadError as exc:
            raise ModelLoadError(f"cannot load comment model from {directory}: {exc}") from exc
        except (OSError, ValueError, KeyError, TypeError, SafetensorError) as exc:
            problem = str(exc)
            if isinstance(exc, KeyError):
                problem = f"config.json or model.safetensors lacks {exc}"
            elif isinstance(exc, SafetensorError):
                problem = f"model.safetensors is damaged or truncated ({exc})"
            raise ModelLoadError(
                f"cannot load comment model from {directory}: {problem.splitlines()[0]}"
            ) from exc

    @classmethod
    def _from_parts(
        cls,
        config: dict[str, Any],
        vocab: dict[str, int],
        lemma_vocab: dict[str, int] | None,
        tensors: dict[str, Any],
        default: str,
    ) -> LinearCommentModel:
        from sklearn.feature_extraction.text import TfidfVectorizer

        params = {**config["vectorizer"], "ngram_range": tuple(config["vectorizer"]["ngram_range"])}
        vectorizer = TfidfVectorizer(**params, vocabulary=vocab)
        vectorizer.idf_ = tensors["idf"]
        heads = {
            head: (tuple(labels), tensors[f"{head}.coef"], tensors[f"{head}.intercept"])
            for head, labels in config["labels"].items()
        }
        binary = (tuple(config["binary"]), tensors["binary.coef"], tensors["binary.intercept"])
        for labels, coef, intercept in (*heads.values(), binary):
            if coef.shape != (len(labels), len(tensors["idf"])) or len(intercept) != len(labels):
                raise ValueError("model.safetensors does not match config.json (label counts)")
        wordvec = None
        if spec := config.get("wordvec"):
            vectors = load_word_vectors(resolve_model_dir(spec["model"]))
            wordvec = (vectors, float(spec["scale"]), tensors["binary.coef_dense"])
        lemmas = None
        if (spec := config.get("lemmas")) and lemma_vocab is not None:
            lemma_vectorizer = _lemma_vectorizer(vocabulary=lemma_vocab)
            lemma_vectorizer.idf_ = tensors["lemma.idf"]
            coefs = {head: tensors[f"{head}.coef_lemma"] for head in heads}
            if any(c.shape != (len(heads[h][0]), len(lemma_vocab)) for h, c in coefs.items()):
                raise ValueError("model.safetensors does not match lemma_vocab.json")
            lemmas = (lemma_vectorizer, float(spec["scale"]), coefs)
        return cls(config.get("name", default), vectorizer, heads, binary, wordvec, lemmas)

    def predict_proba(self, texts: Sequence[str]) -> dict[str, list[dict[str, float]]]:
        """Per head, one ``{label: probability}`` per text.

        Multi-class heads (``sentiment``, ``intent``) sum to one; the ``binary`` head maps
        each binary label (``alert``, ``theme:<id>``) to its own probability.
        """
        return self.predict_docs([make_doc(t) for t in texts])

    def predict_docs(self, docs: Sequence[Doc]) -> dict[str, list[dict[str, float]]]:
        """:meth:`predict_proba` of the docs, reusing their normalised text and tokens."""
        features = self.vectorizer.transform([d.norm.text for d in docs])
        lemma_features = None
        if self.lemmas is not None:
            lemma_features = self.lemmas[0].transform([negated_lemmas(d) for d in docs])
        out: dict[str, list[dict[str, float]]] = {}
        for head, (labels, coef, intercept) in self.heads.items():
            logits = _logits(features, coef, intercept)
            if self.lemmas is not None:
                _, scale, coefs = self.lemmas
                logits += scale * _logits(lemma_features, coefs[head], np.zeros(len(labels)))
            logits -= logits.max(axis=1, keepdims=True)
            probs = np.exp(logits)
            probs /= probs.sum(axis=1, keepdims=True)
            out[head] = [dict(zip(labels, map(float, row), strict=True)) for row in probs]
        out["binary"] = self._binary(features, docs)
        return out

    def predict_binary(self, docs: Sequence[Doc]) -> list[dict[str, float]]:
        """The ``binary`` head of :meth:`predict_docs` alone (clauses read for themes)."""
        return self._binary(self.vectorizer.transform([d.norm.text for d in docs]), docs)

    def _binary(self, features: Any, docs: Sequence[Doc]) -> list[dict[str, float]]:
        names, coef, intercept = self.binary
        logits = _logits(features, coef, intercept)
        if self.wordvec is not None:
            vectors, scale, coef_dense = self.wordvec
            logits += scale * vectors.embed_many([d.tokens for d in docs]) @ coef_dense.T
        probs = 1.0 / (1.0 + np.exp(-logits))
        return [dict(zip(names, map(float, row), strict=True)) for row in probs]


#: content words kept by :func:`negated_lemmas` (UniDic's first POS level)
_CONTENT_POS = frozenset({"名詞", "動詞", "形容詞", "形状詞", "副詞", "感動詞"})
_NEGATED = "¬"


def negated_lemmas(doc: Doc) -> str:
    """The doc's content-word lemmas, space-separated, each clause followed by ``|``.

    A lemma is marked ``¬`` when the negations right after it (up to the next independent
    word, :func:`nlp.cues.count_negations`) are odd in number: 「悪くない」 gives ``悪い¬``
    and 「悪くなった」 ``悪い 成る``, 「パワハラは一切ない」 ``パワハラ¬ 一切¬``; in
    「悪い職場ではない」 only 職場 is marked. The negating 無い itself is left out: it is in
    the marks. (なし, as in 特になし, is not a negation here.)
    """
    words = []
    for i in range(len(doc.clauses)):
        tokens = doc.clause_tokens(i)
        for k, tok in enumerate(tokens):
            if tok.pos1 in _CONTENT_POS and tok.lemma != "無い":
                negated = count_negations(tokens, k + 1) % 2
                words.append(tok.lemma + _NEGATED if negated else tok.lemma)
        words.append("|")
    return " ".join(words)


def _lemma_vectorizer(**params: Any) -> Any:
    """TF-IDF over the space-separated words of :func:`negated_lemmas`, 1–2-grams."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        token_pattern=r"\S+", lowercase=False, ngram_range=(1, 2), min_df=2,
        sublinear_tf=True, **params,
    )  # fmt: skip


def _logits(features: Any, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    """Row-wise ``features @ coef.T + intercept`` touching only the non-zero columns.

    A comment has a few hundred of the ~33k features: gathering those columns is about
    twenty times faster than a sparse × dense product.
    """
    out = np.empty((features.shape[0], coef.shape[0]), dtype=np.float64)
    for row in range(features.shape[0]):
        lo, hi = features.indptr[row], features.indptr[row + 1]
        out[row] = coef[:, features.indices[lo:hi]] @ features.data[lo:hi] + intercept
    return out


def train_linear(
    records: Sequence[dict[str, Any]],
    out_dir: Path,
    *,
    name: str,
    c: float = 30.0,
    wordvec: str | None = None,
    wordvec_scale: float = 2.0,
    lemma_scale: float = 0.5,
) -> dict[str, Any]:
    """Fit the model on labelled records and write it to ``out_dir``; return its config.

    ``wordvec`` (a word-vector directory or a name under ``models/``) adds the comment's
    mean word vector, times ``wordvec_scale``, to the binary heads' features;
    ``lemma_scale`` weighs the negated lemmas in the multi-class heads' (0: none).
    """
    from safetensors.numpy import save_file
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer_params: dict[str, Any] = {
        "analyzer": "char_wb", "ngram_range": [1, 3], "min_df": 2, "sublinear_tf": True,
    }  # fmt: skip
    vectorizer = TfidfVectorizer(**{**vectorizer_params, "ngram_range": (1, 3)})
    docs = [make_doc(r["text"]) for r in records]
    texts = [d.norm.text for d in docs]
    features = vectorizer.fit_transform(texts)
    n_features = features.shape[1]
    head_features, lemma_vectorizer = features, None
    if lemma_scale:
        lemma_vectorizer = _lemma_vectorizer()
        lemmas = lemma_vectorizer.fit_transform([negated_lemmas(d) for d in docs])
        head_features = hstack([features, lemma_scale * lemmas]).tocsr()
    # C order: sklearn's coefficients are Fortran-ordered and safetensors writes raw buffers.
    tensors: dict[str, np.ndarray] = {"idf": np.ascontiguousarray(vectorizer.idf_, np.float32)}
    labels: dict[str, list[str]] = {}
    for head in HEADS:  # each head learns from the records that have its label
        rows_with = [i for i, r in enumerate(records) if r.get(head)]
        if len({records[i][head] for i in rows_with}) < 2:
            if head == "sentiment":
                raise ValueError("training needs comments of at least two sentiment labels")
            logger.warning("no %s head: fewer than two %s labels in the data", head, head)
            continue  # the pipeline falls back to its rules for this field
        clf = LogisticRegression(C=c, max_iter=5000)
        weights = [records[i].get("weight", 1.0) for i in rows_with]
        clf.fit(head_features[rows_with], [records[i][head] for i in rows_with],
                sample_weight=weights)  # fmt: skip
        labels[head] = [str(label) for label in clf.classes_]
        coef, intercept = clf.coef_, clf.intercept_
        if len(labels[head]) == 2:  # sklearn keeps one row (logit of the 2nd class)
            coef, intercept = np.vstack([0 * coef, coef]), np.concatenate([[0.0], intercept])
        tensors[f"{head}.coef"] = np.ascontiguousarray(coef[:, :n_features], np.float32)
        if lemma_vectorizer is not None:
            tensors[f"{head}.coef_lemma"] = np.ascontiguousarray(coef[:, n_features:], np.float32)
        tensors[f"{head}.intercept"] = np.ascontiguousarray(intercept, np.float32)
    # Binary heads learn from comments with theme labels (not from polarity-only rows).
    labelled = [i for i, r in enumerate(records) if "themes" in r]
    binary = binary_targets([records[i] for i in labelled])
    binary_features = features[labelled]
    if wordvec is not None:
        vectors = load_word_vectors(resolve_model_dir(wordvec))
        dense = wordvec_scale * vectors.embed_many([docs[i].tokens for i in labelled])
        binary_features = hstack([binary_features, csr_matrix(dense)]).tocsr()
    rows, biases = [], []
    for targets in binary.values():
        clf = LogisticRegression(C=c, max_iter=5000).fit(binary_features, targets)
        rows.append(clf.coef_[0])
        biases.append(clf.intercept_[0])
    coef = np.vstack(rows or [np.zeros(binary_features.shape[1])])
    tensors["binary.coef"] = np.ascontiguousarray(coef[:, :n_features], np.float32)
    if wordvec is not None:
        tensors["binary.coef_dense"] = np.ascontiguousarray(coef[:, n_features:], np.float32)
    tensors["binary.intercept"] = np.ascontiguousarray(biases or [-10.0], np.float32)
    binary = binary or {"none": []}  # keeps the tensors non-empty; never predicted
    out_dir.mkdir(parents=True, exist_ok=True)
    vocab = _vocabulary(vectorizer)
    (out_dir / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    if lemma_vectorizer is not None:
        tensors["lemma.idf"] = np.ascontiguousarray(lemma_vectorizer.idf_, np.float32)
        (out_dir / "lemma_vocab.json").write_text(
            json.dumps(_vocabulary(lemma_vectorizer), ensure_ascii=False), encoding="utf-8"
        )
    save_file(tensors, str(out_dir / "model.safetensors"))
    config = {"name": name, "vectorizer": vectorizer_params, "labels": labels,
              "binary": list(binary), "C": c, "n_train": len(records),
              "n_features": len(vocab)}  # fmt: skip
    if wordvec is not None:
        config["wordvec"] = {"model": wordvec, "scale": wordvec_scale}
    if lemma_vectorizer is not None:
        config["lemmas"] = {"scale": lemma_scale, "n_features": len(lemma_vectorizer.vocabulary_)}
    (out_dir / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    return config


def _vocabulary(vectorizer: Any) -> dict[str, int]:
    return {term: int(i) for term, i in sorted(vectorizer.vocabulary_.items())}


def binary_targets(records: Sequence[dict[str, Any]]) -> dict[str, list[bool]]:
    """``alert`` and one ``theme:<id>`` target per theme that has positives and negatives."""
    candidates = {"alert": [bool(r.get("alert")) for r in records]}
    for theme in sorted({t for r in records for t in r.get("themes") or {}}):
        candidates[f"theme:{theme}"] = [theme in (r.get("themes") or {}) for r in records]
    return {name: v for name, v in candidates.items() if any(v) and not all(v)}
