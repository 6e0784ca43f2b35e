"""Train the encoder comment model: config, data, vocabulary, loop with early stopping.

From scratch by default: a WordPiece vocabulary is built from the training texts over
the MeCab (fugashi + unidic-lite) words of ``BertJapaneseTokenizer`` and a small BERT is
trained. With ``model.base_model`` set to a local Hugging Face checkpoint directory, its
tokenizer and encoder are fine-tuned instead; with ``model.teacher`` set to a koe encoder
directory, a student with fewer of its layers learns its outputs (``nlp.encoder.distil``).
Seeds are fixed; the best epoch on a validation split of the training files (never dev or
tune) is kept.
"""

from __future__ import annotations

import copy
import glob
import json
import logging
import math
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from torch import nn

from nlp.comment_model import KOE_FILE, check_model_name
from nlp.encoder.distil import (
    TeacherOutput,
    augmented_inputs,
    distillation_loss,
    student_of,
    teacher_outputs,
)
from nlp.encoder.model import (
    HEADS_FILE,
    CommentEncoder,
    EncoderCommentModel,
    auto_model,
    clause_texts,
    encode_clauses,
    pad_batch,
)
from nlp.errors import ConfigError
from nlp.evaluation import (
    check_training_labels,
    load_labelled,
    load_polarity_tsv,
    polarity_split,
    text_bucket,
)
from nlp.linear import binary_targets
from nlp.results import INTENTS, SENTIMENTS

__all__ = ["TrainConfig", "train_encoder"]

logger = logging.getLogger(__name__)

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
IGNORE = -100


class DataConfig(BaseModel):
    """Which labelled files to train on (globs relative to the working directory)."""

    model_config = ConfigDict(extra="forbid")

    #: labelled comments (JSONL, schema of data/LABEL_GUIDE.md; CSV via scripts/train.py)
    train_files: list[str] = ["data/train/*.jsonl"]
    #: files matched by ``train_files`` to leave out (globs): by default the twelve "later"
    #: files, the shipped encoder's held-out check (``scripts/cross_domain.py --split later``)
    exclude_files: list[str] = [
        "data/train/emp_bound_*.jsonl", "data/train/cus_bound_*.jsonl",
        "data/train/emp_prompts.jsonl", "data/train/emp_roles.jsonl",
        "data/train/cus_prompts.jsonl", "data/train/cus_implicit.jsonl",
        "data/train/alerts_mixed.jsonl", "data/train/export_noise.jsonl",
    ]  # fmt: skip
    #: extra sentence polarity data, ``sentence<TAB>0|1`` (chABSA format)
    polarity_files: list[str] = ["data/chabsa/chabsa.tsv"]
    #: share of polarity rows held out for evaluation (chosen by a hash of the text)
    polarity_holdout: float = Field(default=0.3, ge=0.0, lt=1.0)
    #: share of the training comments used for early stopping (by hash)
    valid_fraction: float = Field(default=0.1, gt=0.0, lt=1.0)
    #: clause sentiment targets from the one labelled theme a clause carries
    clause_labels: bool = True


class ModelConfig(BaseModel):
    """Encoder shape (from scratch) or the checkpoint to fine-tune."""

    model_config = ConfigDict(extra="forbid")

    #: local Hugging Face checkpoint directory to fine-tune; None trains from scratch
    base_model: str | None = None
    #: a koe encoder directory (or name under models/) to distil into ``num_layers`` of its
    #: layers: its tokenizer, embeddings and heads are kept and its outputs learnt
    teacher: str | None = None
    vocab_size: int = Field(default=8000, ge=1)
    hidden_size: int = Field(default=256, ge=1)
    num_layers: int = Field(default=3, ge=1)
    num_heads: int = Field(default=4, ge=1)
    intermediate_size: int = Field(default=512, ge=1)
    max_length: int = Field(default=128, ge=1)
    dropout: float = 0.1


class OptimConfig(BaseModel):
    """Optimisation and early stopping."""

    model_config = ConfigDict(extra="forbid")

    epochs: int = Field(default=10, ge=1)
    batch_size: int = Field(default=32, ge=1)
    learning_rate: float = 5e-4
    weight_decay: float = 0.01
    warmup_ratio: float = 0.06
    #: stop after this many epochs without a better validation score
    patience: int = Field(default=10, ge=1)
    #: CPU threads for torch (None: torch's default)
    threads: int | None = None
    #: weight of the loss towards the teacher's outputs (``model.teacher`` only)
    distill_weight: float = Field(default=4.0, ge=0.0)
    #: also learn the teacher's outputs on unlabelled clauses and comment pairs
    distill_augment: bool = True


class TrainConfig(BaseModel):
    """Everything that decides a trained model (written as ``train_config.json``)."""

    model_config = ConfigDict(extra="forbid")

    #: the shipped encoder's teacher (``configs/distil.toml`` builds the shipped student)
    name: str = "bert-ja-v3"
    seed: int = 13
    data: DataConfig = Field(default_factory=DataConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    optim: OptimConfig = Field(default_factory=OptimConfig)

    @field_validator("name")
    @classmethod
    def _one_path_component(cls, name: str) -> str:
        try:
            return check_model_name(name)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None

    @model_validator(mode="after")
    def _one_start(self) -> TrainConfig:
        if self.model.base_model and self.model.teacher:
            raise ValueError("model.base_model and model.teacher exclude each other")
        return self


@dataclass(slots=True)
class Example:
    """One training text, its clauses and targets (``IGNORE`` / mask 0 where none)."""

    clauses: tuple[str, ...]
    sentiment: int
    intent: int
    binary: list[float]
    binary_mask: float
    clause_sentiment: list[int]


def _records(config: DataConfig) -> list[dict[str, Any]]:
    excluded = {p for pattern in config.exclude_files for p in glob.glob(pattern)}
    files = sorted({p for pattern in config.train_files for p in glob.glob(pattern)} - excluded)
    if not files:
        raise FileNotFoundError(
            f"no training files match {config.train_files} but not {config.exclude_files}"
        )
    return [r for path in files for r in load_labelled(path)]


def _example(
    text: str, sentiment: str, matchers: dict[str, Any], record: dict[str, Any] | None = None
) -> tuple[tuple[str, ...], list[int]]:
    """The clauses of ``text`` and their sentiment targets.

    A single clause takes the comment's label (unless mixed); of several clauses, one that
    carries exactly one labelled theme (by the pack's cues) takes that theme's polarity;
    the others have no target.
    """
    from nlp.doc import make_doc

    doc = make_doc(text)
    clauses = clause_texts(doc)
    if len(clauses) == 1:
        return clauses, [SENTIMENTS.index(sentiment) if sentiment != "mixed" else IGNORE]
    targets = [IGNORE] * len(clauses)
    gold = (record or {}).get("themes") or {}
    if gold and matchers:
        pack = (record or {}).get("pack") or (record or {}).get("domain") or ""
        matcher = matchers.get(pack, matchers["employee"])
        per_clause: dict[int, set[str]] = {}
        for match in matcher.match(doc.tokens):
            per_clause.setdefault(doc.clause_at(match.start), set()).add(match.theme_id)
        for index, themes in per_clause.items():
            (theme,) = themes if len(themes) == 1 else (None,)
            if gold.get(theme) in ("positive", "negative", "neutral"):
                targets[index] = SENTIMENTS.index(gold[theme])
    return clauses, targets


def _binary_value(record: dict[str, Any], name: str) -> bool:
    """Target of a binary head (``alert`` or ``theme:<id>``) for one record."""
    if name == "alert":
        return bool(record.get("alert"))
    return name.removeprefix("theme:") in (record.get("themes") or {})


def build_examples(
    config: DataConfig, records: Sequence[dict[str, Any]], binary: Sequence[str]
) -> list[Example]:
    """Comments (all heads and clause targets) and held-in polarity sentences."""
    from nlp.themes import ThemeMatcher, available_packs, load_pack

    matchers = (
        {pack: ThemeMatcher(load_pack(pack)) for pack in available_packs()}
        if config.clause_labels
        else {}
    )
    if matchers:  # a pack column may name a pack file of the user's own
        for pack in sorted({str(r["pack"]) for r in records if r.get("pack")} - set(matchers)):
            matchers[pack] = ThemeMatcher(load_pack(pack))
    examples = []
    for r in records:
        clauses, targets = _example(r["text"], r["sentiment"], matchers, r)
        intent = INTENTS.index(r["intent"]) if r.get("intent") in INTENTS else IGNORE
        binary_row = [float(_binary_value(r, name)) for name in binary]
        examples.append(
            Example(clauses, SENTIMENTS.index(r["sentiment"]), intent, binary_row, 1.0, targets)
        )
    zeros = [0.0] * len(binary)
    for path in sorted({p for pattern in config.polarity_files for p in glob.glob(pattern)}):
        for text, label in polarity_split(load_polarity_tsv(path), config.polarity_holdout)[0]:
            clauses, targets = _example(text, label, {})
            examples.append(Example(clauses, SENTIMENTS.index(label), IGNORE, zeros, 0.0, targets))
    return examples


def build_vocab(texts: Sequence[str], size: int, out_dir: Path) -> Any:
    """A WordPiece vocabulary over MeCab words; returns the BertJapaneseTokenizer."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import BertJapaneseTokenizer
    from transformers.models.bert_japanese.tokenization_bert_japanese import MecabTokenizer

    mecab = MecabTokenizer(do_lower_case=False, normalize_text=False, mecab_dic="unidic_lite")
    words = [mecab.tokenize(t) for t in texts]
    # The trainer numbers each "##" + character in the order it meets it in a hash map,
    # which changes from process to process; equal merge counts are broken by those
    # numbers, so the vocabulary changed between runs. Numbered up front (as special
    # tokens, which come first), in character order, every run gives the same vocabulary.
    inner = sorted({c for line in words for word in line for c in word[1:]})
    wordpiece = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    wordpiece.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    trainer = trainers.WordPieceTrainer(
        vocab_size=size,
        special_tokens=SPECIAL_TOKENS + [f"##{c}" for c in inner],
        continuing_subword_prefix="##",
    )
    wordpiece.train_from_iterator((" ".join(line) for line in words), trainer)
    vocab = SPECIAL_TOKENS + sorted(set(wordpiece.get_vocab()) - set(SPECIAL_TOKENS))
    out_dir.mkdir(parents=True, exist_ok=True)
    vocab_file = out_dir / "vocab.txt"
    vocab_file.write_text("".join(f"{token}\n" for token in vocab), encoding="utf-8")
    return BertJapaneseTokenizer(
        str(vocab_file),
        do_lower_case=False,
        word_tokenizer_type="mecab",
        subword_tokenizer_type="wordpiece",
        mecab_kwargs={"mecab_dic": "unidic_lite"},
    )


def _encoder(config: ModelConfig, tokenizer: Any) -> Any:
    from transformers import BertConfig, BertModel

    if config.base_model:
        return auto_model(Path(config.base_model))
    bert = BertConfig(
        vocab_size=len(tokenizer.vocab),
        hidden_size=config.hidden_size,
        num_hidden_layers=config.num_layers,
        num_attention_heads=config.num_heads,
        intermediate_size=config.intermediate_size,
        max_position_embeddings=config.max_length,
        hidden_dropout_prob=config.dropout,
        attention_probs_dropout_prob=config.dropout,
        pad_token_id=tokenizer.pad_token_id,
    )
    return BertModel(bert, add_pooling_layer=False)


def _batches(
    ids: Sequence[tuple[list[int], list[int]]], batch_size: int, rng: random.Random
) -> Iterator[list[int]]:
    """Shuffled batches of similar length (sorted inside pools of 50 batches)."""
    order = list(range(len(ids)))
    rng.shuffle(order)
    pool = 50 * batch_size
    batches = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool], key=lambda i: len(ids[i][0]))
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    yield from batches


def _loss(out: dict[str, torch.Tensor], batch: Sequence[Example]) -> torch.Tensor:
    sentiment = torch.tensor([e.sentiment for e in batch])
    intent = torch.tensor([e.intent for e in batch])
    has_intent = "intent" in out
    binary = torch.tensor([e.binary for e in batch])
    mask = torch.tensor([e.binary_mask for e in batch]).unsqueeze(1)
    width = out["clause_sentiment"].shape[1]
    clause = torch.tensor([(e.clause_sentiment + [IGNORE] * width)[:width] for e in batch])
    loss = torch.zeros(())
    if (sentiment != IGNORE).any():
        loss = loss + nn.functional.cross_entropy(out["sentiment"], sentiment, ignore_index=IGNORE)
    if (clause != IGNORE).any():
        loss = loss + nn.functional.cross_entropy(
            out["clause_sentiment"].flatten(0, 1), clause.flatten(), ignore_index=IGNORE
        )
    if has_intent and (intent != IGNORE).any():
        loss = loss + nn.functional.cross_entropy(out["intent"], intent, ignore_index=IGNORE)
    if mask.sum() > 0 and binary.shape[1]:
        bce = nn.functional.binary_cross_entropy_with_logits(
            out["binary"], binary, reduction="none"
        )
        # Summed over the labels: a mean over ~25 sparse labels learns too slowly.
        loss = loss + (bce * mask).sum() / mask.sum()
    return loss


def _validate(
    model: CommentEncoder,
    ids: Sequence[tuple[list[int], list[int]]],
    examples: Sequence[Example],
    pad: int,
    binary: Sequence[str],
    teacher: Sequence[TeacherOutput] | None = None,
) -> dict[str, float | None]:
    """Comment-level sentiment macro-F1, intent accuracy, theme micro-F1 and alert F1.

    With the ``teacher``'s outputs on the same examples, also ``teacher_loss``: the mean
    :func:`distillation_loss`, how far the model's outputs are from the teacher's.
    """
    model.eval()
    preds: dict[str, list[Any]] = {"sentiment": [], "intent": [], "binary": []}
    distance = 0.0
    with torch.inference_mode():
        for start in range(0, len(ids), 64):
            batch = ids[start : start + 64]
            out = model(*pad_batch(batch, pad))
            preds["sentiment"] += out["sentiment"].argmax(1).tolist()
            if "intent" in out:
                preds["intent"] += out["intent"].argmax(1).tolist()
            preds["binary"] += (out["binary"] > 0).tolist()
            if teacher is not None:
                targets = teacher[start : start + 64]
                distance += len(batch) * distillation_loss(out, targets).item()
    model.train()
    pairs = list(zip(preds["sentiment"], [e.sentiment for e in examples], strict=True))
    f1s = []
    for label in range(len(SENTIMENTS)):
        tp = sum(p == g == label for p, g in pairs)
        wrong = sum((p == label) + (g == label) for p, g in pairs if p != g)
        f1s.append(2 * tp / (2 * tp + wrong) if tp else 0.0)
    themes = [i for i, name in enumerate(binary) if name.startswith("theme:")]
    tp = fp = fn = 0
    for p, e in zip(preds["binary"], examples, strict=True):
        for i in themes:
            tp += p[i] and e.binary[i] == 1.0
            fp += p[i] and e.binary[i] == 0.0
            fn += (not p[i]) and e.binary[i] == 1.0
    # A metric without labels in the validation split is None (null), not 0.0.
    intents = [(p, e.intent) for p, e in zip(preds["intent"], examples, strict=False)
               if e.intent != IGNORE]  # fmt: skip
    intent = sum(p == g for p, g in intents) / len(intents) if intents else None
    any_theme = any(e.binary[i] == 1.0 for e in examples for i in themes)
    scores: dict[str, float | None] = {
        "sentiment_macro_f1": sum(f1s) / len(f1s),
        "intent_accuracy": intent,
        "theme_micro_f1": _f1(tp, fp, fn) if any_theme else None,
    }
    if "alert" in binary:
        i = list(binary).index("alert")
        flags = [(p[i], e.binary[i] == 1.0) for p, e in zip(preds["binary"], examples, strict=True)]
        scores["alert_f1"] = (
            _f1(
                sum(p and g for p, g in flags),
                sum(p and not g for p, g in flags),
                sum(g and not p for p, g in flags),
            )
            if any(g for _, g in flags)
            else None
        )
    if teacher is not None:
        scores["teacher_loss"] = distance / len(ids)
    return scores


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def train_encoder(
    config: TrainConfig,
    out_dir: Path,
    *,
    records: Sequence[dict[str, Any]] | None = None,
    progress: Callable[[str], None] = logger.info,
) -> dict[str, Any]:
    """Train and write a model directory; return the training summary."""
    from safetensors.torch import save_file
    from transformers import AutoTokenizer, get_linear_schedule_with_warmup

    base = config.model.base_model
    if base and not Path(base).is_dir():
        raise ConfigError(f"model.base_model: no such checkpoint directory: {base}")
    started = time.perf_counter()
    random.seed(config.seed)
    np.random.seed(config.seed)
    torch.manual_seed(config.seed)
    if config.optim.threads:
        torch.set_num_threads(config.optim.threads)
    records = list(records) if records is not None else _records(config.data)
    for warning in check_training_labels(records):
        logger.warning(warning)
    in_valid = [text_bucket(r["text"]) < config.data.valid_fraction for r in records]
    valid_records = [r for r, v in zip(records, in_valid, strict=True) if v]
    train_records = [r for r, v in zip(records, in_valid, strict=True) if not v]
    if not valid_records or not train_records:
        raise ValueError(f"{len(records)} labelled comments are too few to train and validate")
    binary = list(binary_targets(records))
    labels: dict[str, list[str]] = {"sentiment": list(SENTIMENTS), "intent": list(INTENTS)}
    if len({r["intent"] for r in records if r.get("intent") in INTENTS}) < 2:
        # An untrained head would give random intents; the pipeline's rules decide instead.
        logger.warning("no intent head: fewer than two intent labels in the data")
        del labels["intent"]
    teacher = EncoderCommentModel.load(config.model.teacher) if config.model.teacher else None
    if teacher is not None:
        if set(teacher.binary) != set(binary) or teacher.labels != labels:
            raise ValueError(f"the teacher's heads are not those of these labels ({binary})")
        binary = teacher.binary  # the student keeps the teacher's heads, in their order
    examples = build_examples(config.data, train_records, binary)
    valid = build_examples(
        config.data.model_copy(update={"polarity_files": [], "clause_labels": False}),
        valid_records,
        binary,
    )
    if teacher is not None:
        tokenizer = teacher.tokenizer
    elif config.model.base_model:
        tokenizer = AutoTokenizer.from_pretrained(config.model.base_model, local_files_only=True)
    else:
        texts = [clause for e in examples for clause in e.clauses]
        tokenizer = build_vocab(texts, config.model.vocab_size, out_dir)
    length = config.model.max_length
    ids = [encode_clauses(tokenizer, e.clauses, length) for e in examples]
    valid_ids = [encode_clauses(tokenizer, e.clauses, length) for e in valid]
    pad = tokenizer.pad_token_id
    if teacher is not None:
        if config.optim.distill_augment:
            comments = [e.clauses for e in examples if e.binary_mask]
            extra = augmented_inputs(comments, config.seed)
            ids += [encode_clauses(tokenizer, clauses, length) for clauses in extra]
            zeros = [0.0] * len(binary)
            examples += [Example(c, IGNORE, IGNORE, zeros, 0.0, [IGNORE] * len(c)) for c in extra]
        model = student_of(teacher.model, config.model.num_layers, config.model.dropout)
        soft = teacher_outputs(teacher.model, ids, pad)
        valid_soft: list[TeacherOutput] | None = teacher_outputs(teacher.model, valid_ids, pad)
    else:
        valid_soft = None
        encoder = _encoder(config.model, tokenizer)
        sizes = {**{head: len(names) for head, names in labels.items()}, "binary": len(binary)}
        model = CommentEncoder(encoder, encoder.config.hidden_size, sizes, config.model.dropout)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.optim.learning_rate, weight_decay=config.optim.weight_decay
    )
    steps = config.optim.epochs * math.ceil(len(ids) / config.optim.batch_size)
    schedule = get_linear_schedule_with_warmup(
        optimizer, int(config.optim.warmup_ratio * steps), steps
    )
    rng = random.Random(config.seed)
    best: tuple[float, int, dict[str, Any], dict[str, float | None]] | None = None
    history = []
    model.train()
    for epoch in range(1, config.optim.epochs + 1):
        total = 0.0
        for batch in _batches(ids, config.optim.batch_size, rng):
            out = model(*pad_batch([ids[i] for i in batch], pad))
            loss = _loss(out, [examples[i] for i in batch])
            if teacher is not None:
                loss = loss + config.optim.distill_weight * distillation_loss(
                    out, [soft[i] for i in batch]
                )
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            total += loss.item() * len(batch)
        scores = _validate(model, valid_ids, valid, pad, binary, valid_soft)
        if valid_soft is not None:
            # A student is as good as it is close to its teacher (alerts above all).
            score = -(scores["teacher_loss"] or 0.0)
        else:
            # The alert head counts too: unwatched, it overfits into false alarms on complaints.
            watched = [v for k, v in scores.items() if k != "intent_accuracy" and v is not None]
            score = sum(watched) / len(watched)
        history.append({"epoch": epoch, "loss": round(total / len(ids), 4),
                        **{k: _rounded(v) for k, v in scores.items()}})  # fmt: skip
        progress(json.dumps(history[-1]))
        if best is None or score > best[0]:
            best = (score, epoch, copy.deepcopy(model.state_dict()), scores)
        elif epoch - best[1] >= config.optim.patience:
            break
    assert best is not None
    model.load_state_dict(best[2])
    out_dir.mkdir(parents=True, exist_ok=True)
    model.encoder.save_pretrained(str(out_dir))
    tokenizer.save_pretrained(str(out_dir))
    heads = {f"heads.{k}": v.contiguous() for k, v in model.heads.state_dict().items()}
    save_file(heads, str(out_dir / HEADS_FILE))
    meta = {"name": config.name, "labels": labels, "binary": binary,
            "max_length": config.model.max_length}  # fmt: skip
    (out_dir / KOE_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")
    (out_dir / "train_config.json").write_text(config.model_dump_json(indent=2), encoding="utf-8")
    return {
        "best_epoch": best[1],
        "valid": {k: _rounded(v) for k, v in best[3].items()},
        "history": history,
        "n_examples": len(examples),
        "n_valid": len(valid),
        "parameters": sum(p.numel() for p in model.parameters()),
        "train_seconds": round(time.perf_counter() - started, 1),
    }
