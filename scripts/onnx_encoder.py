"""Would ONNX Runtime speed up the accurate profile's encoder? Agreement and speed, measured.

Usage: .venv/bin/python scripts/onnx_encoder.py [--model bert-ja-v3] [--repeats 9]
                                               [--output benchmarks/onnx.json]

Needs ``onnx onnxruntime onnxscript`` in the environment (not project dependencies).
The fp32 ``CommentEncoder`` is exported with ``torch.onnx.export(dynamo=True)`` (dynamic
batch and sequence axes; the legacy TorchScript exporter would freeze the number of
clauses, which the model reads with ``.item()``), and quantised with ORT's
``quantize_dynamic`` (int8 weights), in a temporary directory.

On the comments of data/dev.jsonl + data/tune.jsonl, in the padded batches of 64 sorted by
length that ``EncoderCommentModel.run`` makes, it measures:

- agreement with torch fp32: max |Δp| of every head (clause_sentiment over real clauses
  only) and the share of comments whose argmax sentiment differs, for torch int8, ORT fp32
  and ORT int8;
- forward throughput (comments/s, tokenisation excluded; median of the repetitions, the
  backends interleaved) with 2 threads;
- the accurate profile end to end (``Pipeline.analyze_records``) with each backend swapped
  into the shared encoder: time, the share of it spent in the encoder forward (the bound on
  any end-to-end gain), and the share of comments whose labels (sentiment, intent, alert,
  theme polarities) differ from torch fp32.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort  # type: ignore[import-untyped]
import torch
from onnxruntime.quantization import quantize_dynamic  # type: ignore[import-untyped]

from nlp.comment_model import DEFAULT_ENCODER
from nlp.doc import make_doc
from nlp.encoder.model import (
    CommentEncoder,
    clause_texts,
    encode_clauses,
    in_length_order,
    load_encoder,
    pad_batch,
)
from nlp.io import InputRecord
from nlp.pipeline import Pipeline
from nlp.profiles import profile_config
from nlp.results import CommentAnalysis

ROOT = Path(__file__).resolve().parent.parent
THREADS = 2
INPUTS = ("input_ids", "attention_mask", "clause_ids")
HEADS = ("sentiment", "intent", "binary", "clause_sentiment")

Batch = tuple[torch.Tensor, torch.Tensor, torch.Tensor]
Forward = Callable[..., dict[str, torch.Tensor]]


def export(module: CommentEncoder, example: Batch, directory: Path) -> dict[str, Path]:
    """ONNX fp32 and dynamic-int8 files of the encoder module."""
    fp32, int8 = directory / "encoder.onnx", directory / "encoder.int8.onnx"
    positions = module.encoder.config.max_position_embeddings
    batch, seq = torch.export.Dim("batch"), torch.export.Dim("seq", max=positions)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # strict=True: the non-strict tracer (torch.onnx's first try) fails on the
        # ``.item()`` that counts clauses (GuardOnDataDependentSymNode) and prints its graph.
        program = torch.export.export(
            module, example, dynamic_shapes=({0: batch, 1: seq},) * 3, strict=True
        )
        torch.onnx.export(
            program,
            f=str(fp32),
            dynamo=True,
            verbose=False,
            external_data=False,
            input_names=list(INPUTS),
            output_names=list(HEADS),
        )
        quantize_dynamic(fp32, int8)
    return {"ort_fp32": fp32, "ort_int8": int8}


def ort_forward(path: Path) -> Forward:
    """A callable with the torch module's contract, running an ORT session."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = THREADS
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]

    def forward(*batch: torch.Tensor) -> dict[str, torch.Tensor]:
        out = session.run(None, {n: t.numpy() for n, t in zip(INPUTS, batch, strict=True)})
        return {n: torch.from_numpy(a) for n, a in zip(names, out, strict=True)}

    return forward


def torch_forward(module: torch.nn.Module) -> Forward:
    def forward(*batch: torch.Tensor) -> dict[str, torch.Tensor]:
        with torch.inference_mode():
            return module(*batch)  # type: ignore[no-any-return]

    return forward


def probabilities(forward: Forward, batches: Sequence[Batch]) -> dict[str, np.ndarray]:
    """Every head's probabilities over all comments (clause_sentiment: real clauses)."""
    parts: dict[str, list[np.ndarray]] = {h: [] for h in HEADS}
    for batch in batches:
        out = {k: v.float().numpy() for k, v in forward(*batch).items()}
        for head in ("sentiment", "intent"):
            parts[head].append(softmax(out[head]))
        parts["binary"].append(1.0 / (1.0 + np.exp(-out["binary"])))
        clauses = softmax(out["clause_sentiment"])
        ids = batch[2].numpy()
        real = (ids[:, :, None] == np.arange(clauses.shape[1])).any(axis=1)
        parts["clause_sentiment"].append(clauses[real])
    return {h: np.concatenate(p) for h, p in parts.items()}


def softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)  # type: ignore[no-any-return]


def agreement(probs: dict[str, np.ndarray], ref: dict[str, np.ndarray]) -> dict[str, float]:
    result = {f"max_abs_diff_{h}": float(np.abs(probs[h] - ref[h]).max()) for h in HEADS}
    flips = probs["sentiment"].argmax(1) != ref["sentiment"].argmax(1)
    result["sentiment_label_changed"] = float(flips.mean())
    return result


class Timed:
    """Wraps a forward callable and adds up the seconds spent in it."""

    def __init__(self, forward: Forward) -> None:
        self.forward, self.seconds = forward, 0.0

    def __call__(self, *batch: torch.Tensor) -> dict[str, torch.Tensor]:
        started = time.perf_counter()
        try:
            return self.forward(*batch)
        finally:
            self.seconds += time.perf_counter() - started


def labels(result: CommentAnalysis) -> tuple[Any, ...]:
    themes = tuple(sorted((t.id, t.polarity) for t in result.themes))
    return result.sentiment, result.intent, result.alert.flag, themes


def measure(model: str, repeats: int) -> dict[str, Any]:
    torch.set_num_threads(THREADS)
    texts = [
        json.loads(line)["text"]
        for name in ("dev.jsonl", "tune.jsonl")
        for line in (ROOT / "data" / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    encoder = load_encoder(model, False)  # the instance (cache key) the pipeline shares
    fp32_module = encoder.model
    int8_module = load_encoder(model, quantize=True).model
    # As EncoderCommentModel.run: distinct clause tuples in its batch order, batches of 64.
    keys = in_length_order({clause_texts(make_doc(t)) for t in texts})
    rows = [encode_clauses(encoder.tokenizer, k, encoder.max_length) for k in keys]
    size = encoder.batch_size
    batches = [
        pad_batch(rows[i : i + size], encoder.tokenizer.pad_token_id)
        for i in range(0, len(rows), size)
    ]

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        paths = export(fp32_module, batches[-1], Path(tmp))
        export_s = time.perf_counter() - started
        sizes = {k: p.stat().st_size for k, p in paths.items()}
        backends: dict[str, Forward] = {
            "torch_fp32": torch_forward(fp32_module),
            "torch_int8": torch_forward(int8_module),
            **{k: ort_forward(p) for k, p in paths.items()},
        }

    ref = probabilities(backends["torch_fp32"], batches)
    agree = {k: agreement(probabilities(f, batches), ref) for k, f in backends.items()}

    rates: dict[str, list[float]] = {k: [] for k in backends}
    for _ in range(repeats + 1):  # the first round warms up and is dropped
        for name, forward in backends.items():
            started = time.perf_counter()
            for batch in batches:
                forward(*batch)
            rates[name].append(len(keys) / (time.perf_counter() - started))
    forward_rate = {k: summary(v[1:]) for k, v in rates.items()}

    pipe = Pipeline(profile_config("accurate", encoder=model))
    records = [InputRecord(str(i), t, {}) for i, t in enumerate(texts)]
    pipe.analyze(texts[:50])  # warm caches
    runs: dict[str, list[tuple[float, float]]] = {k: [] for k in backends}
    results: dict[str, list[CommentAnalysis]] = {}
    try:
        for _ in range(repeats):
            for name, forward in backends.items():
                timed = Timed(forward)
                encoder.model = timed  # type: ignore[assignment]
                encoder._cache = {}
                started = time.perf_counter()
                results[name] = pipe.analyze_records(records)
                runs[name].append((time.perf_counter() - started, timed.seconds))
    finally:
        encoder.model = fp32_module
    reference = [labels(r) for r in results["torch_fp32"]]
    end_to_end = {}
    for name, pairs in runs.items():
        total = statistics.median(t for t, _ in pairs)
        changed = sum(labels(r) != ref_ for r, ref_ in zip(results[name], reference, strict=True))
        end_to_end[name] = {
            "seconds": round(total, 4),
            "comments_per_s": round(len(texts) / total, 1),
            "encoder_forward_seconds": round(statistics.median(f for _, f in pairs), 4),
            "encoder_forward_share": round(statistics.median(f / t for t, f in pairs), 3),
            "labels_changed": round(changed / len(texts), 4),
            "runs_s": [round(t, 4) for t, _ in pairs],
        }
    return {
        "model": model,
        "n_comments": len(texts),
        "n_distinct": len(keys),
        "n_batches": len(batches),
        "threads": THREADS,
        "repeats": repeats,
        "versions": {"torch": torch.__version__, "onnxruntime": ort.__version__},
        "export": {
            "exporter": "torch.onnx.export(dynamo=True)",
            "seconds": round(export_s, 1),
            "bytes": sizes,
        },
        "agreement_vs_torch_fp32": agree,
        "forward_comments_per_s": forward_rate,
        "end_to_end_accurate": end_to_end,
    }


def summary(values: list[float]) -> dict[str, Any]:
    return {
        "median": round(statistics.median(values), 1),
        "min": round(min(values), 1),
        "max": round(max(values), 1),
    }


def table(result: dict[str, Any]) -> str:
    lines = [
        f"{'backend':<11} {'max|Δp| sent':>12} {'clause':>8} {'flips':>6} "
        f"{'fwd c/s':>8} {'(min–max)':>14} {'e2e c/s':>8} {'enc share':>9} {'Δlabels':>8}"
    ]
    for name, agree in result["agreement_vs_torch_fp32"].items():
        fwd = result["forward_comments_per_s"][name]
        e2e = result["end_to_end_accurate"][name]
        lines.append(
            f"{name:<11} {agree['max_abs_diff_sentiment']:>12.2e} "
            f"{agree['max_abs_diff_clause_sentiment']:>8.1e} "
            f"{agree['sentiment_label_changed']:>6.3f} {fwd['median']:>8.0f} "
            f"{fwd['min']:>6.0f}–{fwd['max']:<7.0f} {e2e['comments_per_s']:>8.0f} "
            f"{e2e['encoder_forward_share']:>9.2f} {e2e['labels_changed']:>8.4f}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=DEFAULT_ENCODER)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "onnx.json")
    args = parser.parse_args()
    load_start = os.getloadavg()
    result = measure(args.model, args.repeats)
    result["loadavg_start"] = [round(x, 2) for x in load_start]
    result["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    args.output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(table(result))
    print(f"loadavg start {result['loadavg_start']}, end {result['loadavg_end']}")


if __name__ == "__main__":
    main()
