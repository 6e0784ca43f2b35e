"""A transformers encoder with koe's comment and clause heads, loaded from a directory.

One encoder pass per comment gives both levels: the comment is fed as the concatenation
of its clauses' word pieces, the comment vector is the mean of all token states and each
clause vector the mean of its own tokens' states (in context). The same sentiment head
reads both, so mixed comments and per-theme polarity come from clause scores.

A model directory is a plain Hugging Face checkpoint (``config.json``,
``model.safetensors``, tokenizer files) plus koe's heads:

- ``heads.safetensors`` — linear heads: ``sentiment`` (positive / negative / neutral /
  mixed; comments and clauses), ``intent`` and ``binary`` (alert, one per theme);
- ``koe.json`` — head labels, binary names, maximum length.

``scripts/train.py`` writes such directories (``models/bert-ja-v3``, and distilled from it
``models/bert-ja-v3-l2``); any local checkpoint whose ``AutoModel``/``AutoTokenizer`` load
offline can be fine-tuned into one.
"""

from __future__ import annotations

import json
import logging
import threading
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from nlp.comment_model import KOE_FILE
from nlp.doc import Doc, make_doc
from nlp.errors import ModelLoadError
from nlp.linear import resolve_model_dir

__all__ = [
    "CommentEncoder",
    "EncoderCommentModel",
    "EncoderOutput",
    "auto_model",
    "clause_texts",
    "encode_clauses",
    "in_length_order",
    "load_encoder",
]

logger = logging.getLogger(__name__)

HEADS_FILE = "heads.safetensors"


class CommentEncoder(nn.Module):
    """An encoder (any ``AutoModel``) + comment and clause mean pooling + linear heads."""

    def __init__(self, encoder: Any, hidden: int, sizes: dict[str, int], dropout: float):
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.heads = nn.ModuleDict({name: nn.Linear(hidden, n) for name, n in sizes.items()})

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, clause_ids: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        """Head logits per comment, and ``clause_sentiment`` (batch × clauses × labels).

        ``clause_ids`` gives each token's clause number (−1 for special and pad tokens).
        """
        states = self.encoder(input_ids=input_ids, attention_mask=attention_mask)[0]
        mask = attention_mask.unsqueeze(-1).to(states.dtype)
        pooled = self.dropout((states * mask).sum(1) / mask.sum(1).clamp(min=1.0))
        out = {name: head(pooled) for name, head in self.heads.items()}
        n_clauses = int(clause_ids.max().item()) + 1
        member = (clause_ids.unsqueeze(-1) == torch.arange(n_clauses)).to(states.dtype)
        clauses = member.transpose(1, 2) @ states / member.sum(1).unsqueeze(-1).clamp(min=1.0)
        out["clause_sentiment"] = self.heads["sentiment"](self.dropout(clauses))
        return out


def encode_clauses(
    tokenizer: Any, clauses: Sequence[str], max_length: int
) -> tuple[list[int], list[int]]:
    """Token ids ``[CLS] clause₁ … clauseₙ [SEP]`` and each token's clause number."""
    piece_ids = _piece_reader(tokenizer)
    ids, owners = [tokenizer.cls_token_id], [-1]
    for number, clause in enumerate(clauses):
        pieces = piece_ids(clause)
        ids += pieces
        owners += [number] * len(pieces)
    ids, owners = ids[: max_length - 1], owners[: max_length - 1]
    return ids + [tokenizer.sep_token_id], owners + [-1]


#: words whose piece ids a tokenizer's reader remembers (a corpus repeats a few thousand)
_MAX_WORDS = 200_000


@lru_cache(maxsize=8)
def _piece_reader(tokenizer: Any) -> Callable[[str], list[int]]:
    """Text → word-piece ids, as ``convert_tokens_to_ids(tokenize(text))``, faster.

    For a ``BertJapaneseTokenizer`` (MeCab words, then WordPiece) the two stages are called
    directly and each word's pieces are memoised, which halves the time to tokenise.
    Unlike ``tokenize`` it never reads ``[SEP]`` and the like in a comment as special
    tokens, which user text should not be able to inject anyway.
    """
    two_stage = (
        getattr(tokenizer, "do_word_tokenize", False)
        and getattr(tokenizer, "do_subword_tokenize", False)
        and getattr(tokenizer, "subword_tokenizer_type", None) == "wordpiece"
    )
    if not two_stage:
        return lambda text: list(tokenizer.convert_tokens_to_ids(tokenizer.tokenize(text)))
    words, subwords = tokenizer.word_tokenizer, tokenizer.subword_tokenizer
    vocab, unk = tokenizer.vocab, tokenizer.unk_token_id
    memo: dict[str, list[int]] = {}

    def read(text: str) -> list[int]:
        ids: list[int] = []
        for word in words.tokenize(text):
            pieces = memo.get(word)
            if pieces is None:
                pieces = [vocab.get(piece, unk) for piece in subwords.tokenize(word)]
                if len(memo) < _MAX_WORDS:
                    memo[word] = pieces
            ids += pieces
        return ids

    return read


def pad_batch(
    rows: Sequence[tuple[list[int], list[int]]], pad_id: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Pad (ids, clause numbers) rows to one width: ids, attention mask, clause ids."""
    width = max(len(ids) for ids, _ in rows)
    input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    clause_ids = torch.full((len(rows), width), -1, dtype=torch.long)
    for row, (ids, owners) in enumerate(rows):
        input_ids[row, : len(ids)] = torch.tensor(ids)
        mask[row, : len(ids)] = 1
        clause_ids[row, : len(ids)] = torch.tensor(owners)
    return input_ids, mask, clause_ids


@dataclass(frozen=True, slots=True)
class EncoderOutput:
    """Probabilities for one comment: per head, and the sentiment of each clause."""

    heads: dict[str, np.ndarray]
    clause_sentiment: np.ndarray  # clauses × sentiment labels


def clause_texts(doc: Doc) -> tuple[str, ...]:
    """The texts of a doc's clauses (the whole text if it has none)."""
    return tuple(doc.text[c.start : c.end] for c in doc.clauses) or (doc.text,)


class EncoderCommentModel:
    """Inference: one pass per comment, batches sorted by length, optional int8.

    :meth:`run` keeps the outputs of the last batch, so the clause backend
    (``encoder.v1``) and the comment model of one pipeline share a single pass.
    Same :meth:`predict_proba` contract as :class:`nlp.linear.LinearCommentModel`.
    """

    def __init__(
        self, name: str, model: CommentEncoder, tokenizer: Any, meta: dict[str, Any]
    ) -> None:
        self.name = name
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.labels: dict[str, list[str]] = meta["labels"]
        self.binary: list[str] = meta["binary"]
        self.max_length: int = meta["max_length"]
        self.batch_size = 64
        self._lock = threading.Lock()  # the tokenizer, the modules and the cache are shared
        self._cache: dict[tuple[str, ...], EncoderOutput] = {}

    @classmethod
    def load(cls, name_or_path: str, *, quantize: bool = False) -> EncoderCommentModel:
        """Load a model directory (a path, or a name under the repository's ``models/``).

        Raises:
            ModelLoadError: The directory is missing, incomplete or damaged (one line: the
                directory and the problem).
        """
        from safetensors import SafetensorError
        from transformers.utils import logging as hf_logging

        directory = resolve_model_dir(name_or_path)
        hf_logging.disable_progress_bar()  # a library loading a model prints nothing
        try:
            meta = _read_meta(directory)
            model, tokenizer = _load_parts(directory, meta)
        except ModelLoadError as exc:
            raise ModelLoadError(f"cannot load encoder model from {directory}: {exc}") from exc
        except (OSError, ValueError, KeyError, TypeError, RuntimeError, SafetensorError) as exc:
            raise ModelLoadError(
                f"cannot load encoder model from {directory}: {_first_line(exc)}"
            ) from exc
        if quantize:
            with warnings.catch_warnings():
                # Deprecated in favour of torchao (not a dependency); still works in 2.13.
                warnings.simplefilter("ignore")
                model = torch.ao.quantization.quantize_dynamic(
                    model, {nn.Linear}, dtype=torch.qint8
                )
        return cls(meta.get("name", directory.name), model, tokenizer, meta)

    def run(self, docs: Sequence[Doc]) -> list[EncoderOutput]:
        """Probabilities of every head and clause for each doc (in input order).

        Only the last batch is remembered: the clause backend and the comment model ask
        for the same docs one after the other; earlier batches are never reused.
        """
        keys = [clause_texts(doc) for doc in docs]
        with self._lock:
            outputs = {k: self._cache[k] for k in keys if k in self._cache}
            todo = in_length_order(set(keys) - set(outputs))
            for start in range(0, len(todo), self.batch_size):
                outputs.update(self._forward(todo[start : start + self.batch_size]))
            self._cache = outputs
            return [outputs[k] for k in keys]

    def _forward(self, batch: Sequence[tuple[str, ...]]) -> dict[tuple[str, ...], EncoderOutput]:
        rows = [encode_clauses(self.tokenizer, clauses, self.max_length) for clauses in batch]
        with torch.inference_mode():
            out = self.model(*pad_batch(rows, self.tokenizer.pad_token_id))
        probs = {name: _softmax(out[name].float().numpy()) for name in self.labels}
        probs["binary"] = 1.0 / (1.0 + np.exp(-out["binary"].float().numpy()))
        clause_probs = _softmax(out["clause_sentiment"].float().numpy())
        labels = self.labels["sentiment"]
        neutral = np.eye(len(labels))[labels.index("neutral")]
        outputs = {}
        for i, (clauses, (_, owners)) in enumerate(zip(batch, rows, strict=True)):
            # A clause cut off by max_length has no encoder view: neutral.
            seen = set(owners)
            per_clause = np.array(
                [clause_probs[i, c] if c in seen else neutral for c in range(len(clauses))]
            )
            heads = {name: values[i] for name, values in probs.items()}
            outputs[clauses] = EncoderOutput(heads, per_clause)
        return outputs

    def predict_docs(self, docs: Sequence[Doc]) -> dict[str, list[dict[str, float]]]:
        """Per head, one ``{label: probability}`` per doc (see ``LinearCommentModel``)."""
        outputs = self.run(docs)
        names = {**self.labels, "binary": self.binary}
        return {
            head: [dict(zip(labels, map(float, o.heads[head]), strict=True)) for o in outputs]
            for head, labels in names.items()
        }

    def predict_proba(self, texts: Sequence[str]) -> dict[str, list[dict[str, float]]]:
        """:meth:`predict_docs` for plain texts (segmented here)."""
        return self.predict_docs([make_doc(text) for text in texts])

    def clause_polarity(self, docs: Sequence[Doc]) -> list[list[float]]:
        """P(positive) − P(negative) of each clause of each doc, in [-1, 1]."""
        labels = self.labels["sentiment"]
        pos, neg = labels.index("positive"), labels.index("negative")
        return [
            list(o.clause_sentiment[:, pos] - o.clause_sentiment[:, neg]) for o in self.run(docs)
        ]


def in_length_order(keys: Iterable[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Comments (clause tuples) by length, ties by text: batches never depend on set order.

    Dynamic int8 quantisation scales activations per batch, so a comment's scores depend
    on its batch-mates; a fixed order gives the same scores in every process.
    """
    return sorted(keys, key=lambda k: (sum(map(len, k)), k))


def auto_model(directory: Path, *, strict: bool = False) -> Any:
    """``AutoModel`` offline; BERT-like ones without the unused pooler.

    ``strict`` (a koe model directory) requires the weights to match ``config.json``
    exactly; otherwise (a base checkpoint to fine-tune) weights it lacks are initialised
    at random, with a warning, and extra ones (e.g. a masked-LM head) are ignored.

    Raises:
        ModelLoadError: With ``strict``, weights are missing, unexpected or of another shape.
    """
    from transformers import AutoModel

    try:
        try:
            model, info = AutoModel.from_pretrained(
                str(directory),
                local_files_only=True,
                output_loading_info=True,
                add_pooling_layer=False,
            )
        except TypeError:  # a model class without a pooler option
            model, info = AutoModel.from_pretrained(
                str(directory), local_files_only=True, output_loading_info=True
            )
    except RuntimeError as exc:  # weights of another shape than config.json says
        if "mismatched" in str(exc) or "size mismatch" in str(exc):
            raise ModelLoadError(
                "model.safetensors does not match config.json (weights of other shapes)"
            ) from None
        raise
    problems = {
        kind: sorted(map(str, info.get(f"{kind}_keys") or []))
        for kind in ("missing", "unexpected", "mismatched")
    }
    if strict and any(problems.values()):
        found = "; ".join(
            f"{len(keys)} {kind} weights (e.g. {keys[0]})"
            for kind, keys in problems.items()
            if keys
        )
        raise ModelLoadError(f"model.safetensors does not match config.json: {found}")
    if problems["missing"]:
        logger.warning(
            "%s: %d weights are not in the checkpoint and start at random (e.g. %s)",
            directory, len(problems["missing"]), problems["missing"][0],
        )  # fmt: skip
    return model


def _read_meta(directory: Path) -> dict[str, Any]:
    """``koe.json``, checked: head labels, binary names and the maximum length."""
    try:
        meta = json.loads((directory / KOE_FILE).read_text(encoding="utf-8"))
    except ValueError as exc:  # also UnicodeDecodeError
        raise ModelLoadError(f"{KOE_FILE} is not valid JSON ({exc})") from None
    labels = meta.get("labels") if isinstance(meta, dict) else None
    if (
        not isinstance(labels, dict)
        or not all(isinstance(v, list) and v for v in labels.values())
        or not isinstance(labels.get("sentiment"), list)
    ):
        raise ModelLoadError(f"{KOE_FILE} has no 'labels' with a sentiment label list")
    if not isinstance(meta.get("binary"), list):
        raise ModelLoadError(f"{KOE_FILE} has no 'binary' list")
    if not isinstance(meta.get("max_length"), int) or meta["max_length"] < 2:
        raise ModelLoadError(f"{KOE_FILE} has no 'max_length' of at least 2")
    return meta  # type: ignore[no-any-return]


def _load_parts(directory: Path, meta: dict[str, Any]) -> tuple[CommentEncoder, Any]:
    """The encoder with its heads, and the tokenizer, from a checked directory."""
    from safetensors.torch import load_file
    from transformers import AutoTokenizer

    for name in ("config.json", HEADS_FILE):
        if not (directory / name).is_file():
            raise ModelLoadError(f"{name} is missing")
    try:
        json.loads((directory / "config.json").read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ModelLoadError(f"config.json is not valid JSON ({exc})") from None
    for weights in (directory / "model.safetensors", directory / HEADS_FILE):
        _check_safetensors(weights)
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(directory), local_files_only=True)
    except (OSError, ValueError, TypeError) as exc:
        missing = " (vocab.txt is missing)" if not (directory / "vocab.txt").exists() else ""
        raise ModelLoadError(
            f"the tokenizer cannot be loaded{missing}: {_first_line(exc)}"
        ) from None
    encoder = auto_model(directory, strict=True)
    sizes = {head: len(labels) for head, labels in meta["labels"].items()}
    sizes["binary"] = len(meta["binary"])
    model = CommentEncoder(encoder, encoder.config.hidden_size, sizes, dropout=0.0)
    heads = load_file(str(directory / HEADS_FILE))
    try:
        model.heads.load_state_dict({k.removeprefix("heads."): v for k, v in heads.items()})
    except RuntimeError as exc:
        raise ModelLoadError(
            f"{HEADS_FILE} does not match {KOE_FILE} and config.json "
            f"({_first_line(exc, last=True)})"
        ) from None
    return model, tokenizer


def _check_safetensors(path: Path) -> None:
    """Raise a one-line error if a present safetensors file is truncated or not one."""
    from safetensors import SafetensorError, safe_open

    if not path.is_file():
        return  # the loader names what is missing
    try:
        with safe_open(str(path), framework="pt"):
            pass
    except (SafetensorError, OSError) as exc:
        raise ModelLoadError(f"{path.name} is damaged or truncated ({_first_line(exc)})") from None


def _first_line(exc: BaseException, *, last: bool = False) -> str:
    """An exception's message on one line (its first, or last, non-empty line)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    return lines[-1] if last and len(lines) > 1 else lines[0]


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)  # type: ignore[no-any-return]


@lru_cache(maxsize=8)
def load_encoder(name_or_path: str, quantize: bool = False) -> EncoderCommentModel:
    """Load once per process: the comment model and the clause backend share it."""
    return EncoderCommentModel.load(name_or_path, quantize=quantize)
