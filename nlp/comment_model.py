"""Trained comment models behind one interface, and their ensemble.

A comment model gives, per comment, sentiment and intent probabilities and binary
probabilities (``alert``, ``theme:<id>``). Two kinds ship: the linear model
(``nlp.linear``, fast) and the transformers encoder (``nlp.encoder``, accurate).
Several models are averaged: the ensemble of both is the ``accurate`` profile.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from nlp.doc import Doc
from nlp.errors import ConfigError
from nlp.linear import LinearCommentModel, resolve_model_dir

__all__ = [
    "DEFAULT_ENCODER",
    "DEFAULT_LINEAR",
    "KOE_FILE",
    "CommentModel",
    "EnsembleCommentModel",
    "is_encoder_dir",
    "load_comment_model",
    "prepare_model_dir",
]

Probabilities = dict[str, list[dict[str, float]]]

#: the shipped models under ``models/`` (the one place to bump when they are retrained)
DEFAULT_LINEAR = "linear-ja-v6"
DEFAULT_ENCODER = "bert-ja-v2-l2"

#: the file that marks an encoder model directory (head labels, binary names, length)
KOE_FILE = "koe.json"
#: files a training run writes that a later run with ``--no-evaluate`` would leave stale
_EVALUATION_FILES = ("metrics.json", "MODEL_CARD.md")


def prepare_model_dir(out: Path, *, overwrite: bool) -> None:
    """Check that training may write a model to ``out``.

    A directory that already holds a model (its ``config.json``) is only replaced with
    ``overwrite``; its metrics and model card are then removed, so that none describe
    the new weights until they are evaluated again.

    Raises:
        ConfigError: ``out`` holds a model and ``overwrite`` is false.
    """
    if not (out / "config.json").exists():
        return
    if not overwrite:
        raise ConfigError(
            f"{out} already holds a model; choose another name or --output, or pass "
            "--overwrite to replace it"
        )
    for name in _EVALUATION_FILES:
        (out / name).unlink(missing_ok=True)


def is_encoder_dir(path: Path) -> bool:
    """Whether a directory holds an encoder comment model (not a linear one)."""
    return (path / KOE_FILE).is_file()


class CommentModel(Protocol):
    """What the pipeline needs from a trained comment model."""

    @property
    def name(self) -> str:
        """Identifies the model in result metadata."""
        ...

    def predict_docs(self, docs: Sequence[Doc]) -> Probabilities:
        """Per head (``sentiment``, ``intent``, ``binary``), one mapping per doc."""
        ...


class EnsembleCommentModel:
    """The weighted mean of several models' probabilities.

    Each head is averaged over the models that have it, binary labels over those all have.
    """

    def __init__(self, models: Sequence[CommentModel], weights: Sequence[float] = ()) -> None:
        self.models = list(models)
        self.weights = list(weights) or [1.0] * len(self.models)
        if len(self.weights) != len(self.models) or sum(self.weights) <= 0:
            raise ConfigError(
                f"{len(self.models)} comment models need as many non-negative weights "
                f"with a positive sum, got {list(weights)}"
            )
        self.name = "+".join(m.name for m in self.models)

    def predict_docs(self, docs: Sequence[Doc]) -> Probabilities:
        """Average each head's probabilities over the models."""
        outputs = [m.predict_docs(docs) for m in self.models]
        if not docs:
            return {head: [] for out in outputs for head in out}
        averaged: Probabilities = {}
        for head in ("sentiment", "intent", "binary"):
            having = [(w, out[head]) for w, out in zip(self.weights, outputs, strict=True)
                      if head in out]  # fmt: skip
            if not having:
                continue
            # A model gives every doc the same labels: average label columns.
            keys = sorted(set.intersection(*(set(probs[0]) for _, probs in having)))
            total = sum(w for w, _ in having) or 1.0
            columns = [np.array([[row[k] for k in keys] for row in probs]) for _, probs in having]
            mean = np.tensordot([w for w, _ in having], columns, axes=1) / total
            averaged[head] = [dict(zip(keys, row.tolist(), strict=True)) for row in mean]
        # A follow-up flag favours recall: the most alarmed model decides.
        for i, row in enumerate(averaged["binary"]):
            if "alert" in row:
                row["alert"] = max(out["binary"][i].get("alert", 0.0) for out in outputs)
        return averaged


def load_comment_model(
    names: str | Sequence[str], *, quantize: bool = False, weights: Sequence[float] = ()
) -> CommentModel:
    """Load one model directory (or name under ``models/``), or the ensemble of several.

    ``quantize`` applies dynamic int8 quantisation to encoder models; ``weights`` weigh
    the ensemble's members (default: equal).
    """
    if not isinstance(names, str):
        models = [load_comment_model(name, quantize=quantize) for name in names]
        return models[0] if len(models) == 1 else EnsembleCommentModel(models, weights)
    directory = resolve_model_dir(names)
    if is_encoder_dir(directory):
        from nlp.encoder import load_encoder  # torch is imported only when needed

        return load_encoder(names, quantize)
    return LinearCommentModel.load(names)
