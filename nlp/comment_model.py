"""Trained comment models behind one interface, and their ensemble.

A comment model gives, per comment, sentiment and intent probabilities and binary
probabilities (``alert``, ``theme:<id>``). Two kinds ship: the linear model
(``nlp.linear``, fast) and the transformers encoder (``nlp.encoder``, accurate).
Several models are averaged: the ensemble of both is the ``accurate`` profile.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
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
    "check_model_name",
    "discard_model_dir",
    "is_encoder_dir",
    "load_comment_model",
    "prepare_model_dir",
    "publish_model_dir",
    "staged_model_dir",
    "staging_dir",
]

Probabilities = dict[str, list[dict[str, float]]]

#: the shipped models under ``models/`` (the one place to bump when they are retrained)
DEFAULT_LINEAR = "linear-ja-v12"
DEFAULT_ENCODER = "bert-ja-v3-l2"

#: the file that marks an encoder model directory (head labels, binary names, length)
KOE_FILE = "koe.json"


def check_model_name(name: str) -> str:
    """A model name is one directory name (it is the default ``models/<name>``).

    Raises:
        ConfigError: ``name`` is empty, ``.`` or ``..``, or has a path separator.
    """
    if not name.strip() or name in (".", "..") or "/" in name or "\\" in name:
        raise ConfigError(
            f"model name {name!r} must be one directory name (not empty, no '/', not '..')"
        )
    return name


def staging_dir(out: Path) -> Path:
    """The hidden sibling ``.NAME.partial`` a training run writes before it is published."""
    return out.parent / f".{out.name}.partial"


def prepare_model_dir(out: Path, *, overwrite: bool) -> Path:
    """Check that training may write a model to ``out``; return an empty staging directory.

    Training writes into the staging directory (:func:`staging_dir`) and
    :func:`publish_model_dir` swaps it in for ``out`` only when the run succeeded, so a
    failed or interrupted run leaves ``out`` as it was. A directory that already holds a
    model (its ``config.json``) is only replaced with ``overwrite``; one that holds other
    files is never replaced.

    Raises:
        ConfigError: ``out`` holds a model and ``overwrite`` is false, or holds other files.
    """
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out} is a file, not a model directory; choose another --output")
    if (out / "config.json").exists():
        if not overwrite:
            raise ConfigError(
                f"{out} already holds a model; choose another name or --output, or pass "
                "--overwrite to replace it"
            )
    elif out.is_dir() and any(out.iterdir()):
        raise ConfigError(
            f"{out} holds files but no model (no config.json); choose a new or empty "
            "directory as --output"
        )
    staging = staging_dir(out)
    discard_model_dir(staging)  # a leftover of a run that was killed
    staging.mkdir(parents=True)
    return staging


def publish_model_dir(staging: Path, out: Path) -> None:
    """Replace ``out`` (if any) by the finished ``staging`` directory, then drop the old one."""
    old = out.parent / f".{out.name}.old"
    discard_model_dir(old)
    if out.exists():
        os.replace(out, old)
    os.replace(staging, out)
    discard_model_dir(old)


def discard_model_dir(staging: Path) -> None:
    """Remove a staging directory of a run that failed (nothing if there is none)."""
    if staging.is_dir():
        shutil.rmtree(staging)


@contextmanager
def staged_model_dir(out: Path, *, overwrite: bool) -> Iterator[Path]:
    """Write a model into the yielded staging directory; publish it as ``out`` on success.

    On any exception (Ctrl-C included) the staging directory is removed and ``out`` is
    left untouched. A second run for the same ``out`` while one is writing fails at once
    (a hidden ``.NAME.lock`` file beside it, locked until the first run ends or dies)
    instead of deleting the first run's staging directory.

    Raises:
        ConfigError: another run is writing ``out``, or :func:`prepare_model_dir` refuses.
    """
    from filelock import FileLock, Timeout

    out.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(out.parent / f".{out.name}.lock", timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise ConfigError(
            f"another training run is writing {out}; wait for it to finish or choose "
            "another name or --output"
        ) from None
    try:
        staging = prepare_model_dir(out, overwrite=overwrite)
        try:
            yield staging
        except BaseException:
            discard_model_dir(staging)
            raise
        publish_model_dir(staging, out)
    finally:
        # The empty lock file stays: deleting it would let two runs lock different files
        # of the same name.
        lock.release()


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

    ``sentiment`` and ``intent`` are averaged over the models that have the head (over
    the labels they all have: each is a distribution). Each binary label (``alert``,
    ``theme:<id>``) is averaged over the models that have it, their weights renormalised,
    so a model without an alert head or with other themes takes none away; ``alert`` is
    the highest probability of the models that have it.
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
        for head in ("sentiment", "intent"):
            having = [(w, out[head]) for w, out in zip(self.weights, outputs, strict=True)
                      if head in out]  # fmt: skip
            if having:
                # A model gives every doc the same labels: average label columns.
                keys = sorted(set.intersection(*(set(probs[0]) for _, probs in having)))
                averaged[head] = _weighted_mean(having, keys, len(docs))
        binary = [(w, out["binary"]) for w, out in zip(self.weights, outputs, strict=True)
                  if "binary" in out]  # fmt: skip
        if binary:
            averaged["binary"] = _binary_union(binary, len(docs))
        return averaged


def _weighted_mean(
    having: Sequence[tuple[float, list[dict[str, float]]]], keys: Sequence[str], n: int
) -> list[dict[str, float]]:
    """Per doc, the weighted mean of the ``keys`` columns over the models in ``having``."""
    if not keys:
        return [{} for _ in range(n)]
    total = sum(w for w, _ in having) or 1.0
    columns = [np.array([[row[k] for k in keys] for row in probs]) for _, probs in having]
    mean = np.tensordot([w for w, _ in having], columns, axes=1) / total
    return [dict(zip(keys, row.tolist(), strict=True)) for row in mean]


def _binary_union(
    having: Sequence[tuple[float, list[dict[str, float]]]], n: int
) -> list[dict[str, float]]:
    """Every binary label of any model, averaged over the models that have it."""
    owners: dict[str, tuple[int, ...]] = {}
    for key in sorted({k for _, probs in having for k in probs[0]}):
        owners[key] = tuple(i for i, (_, probs) in enumerate(having) if key in probs[0])
    rows: list[dict[str, float]] = [{} for _ in range(n)]
    for group in sorted(set(owners.values())):  # labels that the same models have
        keys = [k for k, who in owners.items() if who == group]
        for row, part in zip(rows, _weighted_mean([having[i] for i in group], keys, n),
                             strict=True):  # fmt: skip
            row.update(part)
    for i, row in enumerate(rows):
        if "alert" in row:  # a follow-up flag favours recall: the most alarmed model decides
            row["alert"] = max(probs[i]["alert"] for _, probs in having if "alert" in probs[i])
    return [dict(sorted(row.items())) for row in rows]


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
