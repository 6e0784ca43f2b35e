"""Distillation: a smaller encoder that starts from a trained one and learns its outputs.

The student keeps the teacher's tokenizer, embeddings, heads and some of its layers
(evenly spaced, first and last included) and is trained on the teacher's logits — every
head, every clause, the chABSA sentences too — next to the labels. Fewer layers make the
forward pass, most of the accurate profile's time, cheaper; learning the teacher's
outputs rather than the labels alone keeps its behaviour (alerts above all), which a
model trained anew from the labels did not.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import torch
from torch import nn

from nlp.encoder.model import CommentEncoder, pad_batch
from nlp.errors import ConfigError

__all__ = [
    "TeacherOutput",
    "augmented_inputs",
    "distillation_loss",
    "kept_layers",
    "student_of",
    "teacher_outputs",
]


def kept_layers(total: int, keep: int) -> list[int]:
    """Evenly spaced layer indices, first and last included: ``(3, 2)`` → ``[0, 2]``."""
    if not 1 <= keep <= total:
        raise ConfigError(f"a student keeps 1 to {total} of the teacher's layers, not {keep}")
    if keep == 1:
        return [total - 1]
    return [round(i * (total - 1) / (keep - 1)) for i in range(keep)]


def student_of(teacher: CommentEncoder, keep: int, dropout: float) -> CommentEncoder:
    """A copy of ``teacher`` with ``keep`` of its layers (BERT-like encoders)."""
    encoder = copy.deepcopy(teacher.encoder)
    layers = getattr(getattr(encoder, "encoder", None), "layer", None)
    if not isinstance(layers, nn.ModuleList):
        raise ConfigError("distillation needs a BERT-like teacher (layers at encoder.layer)")
    encoder.encoder.layer = nn.ModuleList(layers[i] for i in kept_layers(len(layers), keep))
    encoder.config.num_hidden_layers = keep
    sizes = {name: cast(nn.Linear, head).out_features for name, head in teacher.heads.items()}
    student = CommentEncoder(encoder, encoder.config.hidden_size, sizes, dropout)
    student.heads.load_state_dict(teacher.heads.state_dict())
    return student


@dataclass(frozen=True, slots=True)
class TeacherOutput:
    """The teacher's logits for one example: per head, and per clause it saw."""

    heads: dict[str, torch.Tensor]
    clause_sentiment: torch.Tensor  # clauses × sentiment labels


def teacher_outputs(
    teacher: CommentEncoder, ids: Sequence[tuple[list[int], list[int]]], pad: int
) -> list[TeacherOutput]:
    """The teacher's logits for each encoded example (in order), computed once."""
    teacher.eval()
    outputs = []
    with torch.inference_mode():
        for start in range(0, len(ids), 64):
            rows = ids[start : start + 64]
            out = teacher(*pad_batch(rows, pad))
            for i, (_, owners) in enumerate(rows):
                heads = {k: v[i].clone() for k, v in out.items() if k != "clause_sentiment"}
                clauses = out["clause_sentiment"][i, : max(owners) + 1].clone()
                outputs.append(TeacherOutput(heads, clauses))
    return outputs


def distillation_loss(
    out: dict[str, torch.Tensor], targets: Sequence[TeacherOutput]
) -> torch.Tensor:
    """Cross-entropy to the teacher's distributions (comment, clauses, intent) + binary BCE.

    Weighted as the label loss is (each softmax head a mean over its rows, the binary
    heads summed over labels), so the two losses have the same scale.
    """
    loss = torch.zeros(())
    for head in targets[0].heads:
        teacher = torch.stack([t.heads[head] for t in targets])
        if head == "binary":
            bce = nn.functional.binary_cross_entropy_with_logits(
                out[head], torch.sigmoid(teacher), reduction="none"
            )
            loss = loss + bce.sum(1).mean()
        else:
            loss = loss + nn.functional.cross_entropy(out[head], teacher.softmax(-1))
    student = out["clause_sentiment"]
    rows = [(i, c) for i, t in enumerate(targets) for c in range(len(t.clause_sentiment))]
    if rows:
        soft = torch.cat([t.clause_sentiment for t in targets]).softmax(-1)
        picked = student[[i for i, _ in rows], [c for _, c in rows]]
        loss = loss + nn.functional.cross_entropy(picked, soft)
    return loss


def augmented_inputs(comments: Sequence[tuple[str, ...]], seed: int) -> list[tuple[str, ...]]:
    """Unlabelled inputs for the teacher to rate: clauses alone, and comment pairs.

    Each clause of a longer comment alone, and each comment followed by another one
    (drawn at random). On its own training comments the teacher's outputs are nearly
    the labels; on these it shows how it generalises, which the student should learn.
    """
    rng = random.Random(seed)
    alone = [(clause,) for clauses in comments if len(clauses) > 1 for clause in clauses]
    pairs = [clauses + rng.choice(comments) for clauses in comments]
    return alone + pairs
