"""Training throughput of the MEMORY training job: tokens per second, peak memory and, on GPUs, model FLOPs
utilisation. Prints a table and writes bench/results/train_throughput.json (or ``--out``).

Every figure comes from the real job (``memo_core.training.job.launch``: the DeepSpeed launcher, the worker,
ZeRO-2 from infra/deepspeed/zero2.json), not from a separate loop.

- ``--device cpu`` (by default): the offline default model (``OfflineModelSpec()``, about 4M parameters) on
  the offline generator's reflections of examples/batch1 (``--data corpus``), with a tokenizer fitted to
  them; one process, then two (gloo); fp32.
- ``--device gpu`` (by default): a randomly initialised model of Qwen2-0.5B's shape (``--model qwen2-0.5b``:
  24 layers, hidden 896, 14 heads, 2 key-value heads, vocabulary 151,936, tied embeddings) on examples of
  exactly ``--seq-len`` tokens (``--data fixed``, 512), bf16, ZeRO-2, one process per GPU.
- Any other pairing runs too (the Qwen2 shape on CPU, or on the corpus's reflections) and is written under
  its own key, such as ``cpu-qwen2-0.5b-corpus``; ``--full-logits`` and ``--compile`` add their names to it.

Throughput is steady state: tokens between the first and the last logged step over the time between them,
so start-up (allocation, kernel selection) is left out; the launch's wall time is reported beside it. Peak
memory is rank 0's: torch's peak allocation on a GPU, the peak resident set on CPU. Model FLOPs per token
are 6N + 12·L·d·s (N parameters with the tied embedding counted once, as the output layer's matrix product;
L layers, d hidden size, s sequence length: the attention scores and values), the usual convention, with
one change: where the job's fused loss runs the output layer on answer positions alone, its 6·V·d is
counted for those positions only, so skipped work never counts as work done. MFU is FLOPs per second over
the GPUs' dense bf16 peak.

Each micro-batch size given (``--micro-batch-size 8,16,32``) is a launch of its own and a row of the table;
``--full-logits`` turns the fused loss off, for comparison.

Usage: python bench/train_throughput.py [--device auto|cpu|gpu] [--model auto|offline|qwen2-0.5b]
       [--data auto|corpus|fixed] [--steps N] [--batch-size B] [--micro-batch-size M[,M...]] [--compile]
       [--full-logits] [--seq-len S] [--processes P[,P...]] [--peak-tflops T] [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch
import transformers

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from any folder

from memo_core.memory.config import OfflineModelSpec  # noqa: E402
from memo_core.memory.model import build_offline_model, train_tokenizer  # noqa: E402
from memo_core.training.examples import IGNORE, Example, encode  # noqa: E402
from memo_core.training.job import (  # noqa: E402
    JobResult,
    TrainingJob,
    TrainingJobFailed,
    launch,
    resolve_deepspeed_config,
    write_examples,
)

RESULTS = ROOT / "bench" / "results"
# Dense bf16 peak of one GPU, TFLOP/s, by a word of its name (vendor data sheets, SXM parts).
PEAK_BF16_TFLOPS = {"H100": 989.4, "H200": 989.4, "A100": 312.0, "L40S": 362.1}
MFU_GOAL = 0.40


def qwen2_05b_config(vocab_size: int = 151_936, max_positions: int = 4096) -> transformers.Qwen2Config:
    """Qwen2-0.5B's shape, for random initialisation (no weights are fetched)."""
    return transformers.Qwen2Config(
        vocab_size=vocab_size,
        hidden_size=896,
        intermediate_size=4864,
        num_hidden_layers=24,
        num_attention_heads=14,
        num_key_value_heads=2,
        max_position_embeddings=max_positions,
        rope_parameters={"rope_type": "default", "rope_theta": 1_000_000.0},
        tie_word_embeddings=True,
    )


def flops_per_token(
    parameters: int, layers: int, hidden: int, seq_len: float, output_params: int, output_share: float
) -> float:
    """Model FLOPs of one token, training: forward and backward through every weight, the output layer's
    ``output_params`` only on the ``output_share`` of positions it runs on, plus attention."""
    return 6 * (parameters - output_params * (1 - output_share)) + 12 * layers * hidden * seq_len


def run_job(
    model_dir: Path, examples_file: Path, work: Path, processes: int, micro: int | None, args: Any
) -> JobResult:
    name = f"{processes}-{micro or 'auto'}"
    job = TrainingJob(
        model_dir=str(model_dir),
        examples_file=str(examples_file),
        output_dir=str(work / f"out-{name}"),
        checkpoint_dir=str(work / f"steps-{name}"),
        learning_rate=args.learning_rate,
        epochs=1,
        max_steps=args.steps,
        batch_size=args.batch_size,
        micro_batch_size=micro,
        compile=args.compile,
        fused_loss=not args.full_logits,
        checkpoint_every=10**9,  # no checkpoints: this measures training alone
        log_every=max(1, args.steps // 10),
        deepspeed_config=resolve_deepspeed_config(None),
    )
    return launch(job, num_processes=processes)


def run_row(
    model_dir: Path, examples_file: Path, work: Path, processes: int, micro: int | None, args: Any
) -> dict[str, Any]:
    """One launch of the job as a row of figures; a launch that fails (out of memory, say) is a row that
    says why, so one setting too large does not lose the others' figures."""
    row: dict[str, Any] = {
        "processes": processes,
        "batch_size": args.batch_size,
        "micro_batch_size": micro,
        "compile": args.compile,
    }
    try:
        result = run_job(model_dir, examples_file, work, processes, micro, args)
    except TrainingJobFailed as exc:
        lines = [line for line in str(exc).splitlines() if "Error" in line or "error" in line]
        return row | {"error": (lines[-1] if lines else str(exc).splitlines()[0])[:300]}
    return row | {
        "fused_loss": result.fused_loss,
        "steps": result.steps,
        "tokens_per_second": round(result.steady_tokens_per_second, 1),
        "peak_memory_mb": result.peak_memory_mb,
        "launch_seconds": round(result.wall_seconds, 1),
        "final_loss": round(result.final_loss, 4),
    }


def corpus_data() -> tuple[list[Example], Any]:
    """The offline generator's training reflections of examples/batch1 (the memory's real workload) and a
    tokenizer fitted to them, as a full build does."""
    from memo_core.reflections.config import GeneratorConfig
    from memo_core.reflections.generators.base import build_generator
    from memo_core.sources.config import SourceConfig
    from memo_core.sources.scan import scan_sources

    scan = scan_sources([SourceConfig(name="docs", url=str(ROOT / "examples" / "batch1"))])
    generator = build_generator(GeneratorConfig())
    reflections = [r for d in scan.documents for r in generator.reflect_document(d, corpus_version=1)]
    train = [Example(r.question, r.answer) for r in reflections if r.split == "train"]
    texts = [d.text for d in scan.documents] + [f"{e.question} {e.answer}" for e in train]
    return train, train_tokenizer(texts, OfflineModelSpec().vocab_size)


def fixed_length_data(count: int, seq_len: int) -> tuple[list[Example], Any]:
    """``count`` examples of exactly ``seq_len`` tokens (prompt, answer and end token) of random words, and
    their tokenizer: every batch the same shape, as throughput figures are usually taken."""
    words = [f"w{i}" for i in range(400)]
    tokenizer = train_tokenizer([" ".join(random.Random(0).choices(words, k=50_000))], vocab_size=2000)
    rng = random.Random(0)
    examples: list[Example] = []
    while len(examples) < count:
        question = " ".join(rng.choices(words, k=6)) + "?"
        answer_words = rng.choices(words, k=seq_len)
        low, high = 1, len(answer_words)  # the longest prefix that fits: lengths grow with the words taken
        while low < high:
            mid = (low + high + 1) // 2
            n = len(encode(tokenizer, Example(question, " ".join(answer_words[:mid])))[0])
            low, high = (mid, high) if n <= seq_len else (low, mid - 1)
        example = Example(question, " ".join(answer_words[:low]))
        if len(encode(tokenizer, example)[0]) == seq_len:
            examples.append(example)
    return examples, tokenizer


def runs(device: str, model_name: str, args: Any, work: Path) -> list[dict[str, Any]]:
    """One launch per process count (CPU) and micro-batch size; on GPUs, with MFU."""
    if args.data == "corpus":
        examples, tokenizer = corpus_data()
    else:
        examples, tokenizer = fixed_length_data(args.steps * args.batch_size, args.seq_len)
    examples_file = write_examples(examples, work / "examples.jsonl")
    model: transformers.PreTrainedModel
    if model_name == "offline":
        model = build_offline_model(tokenizer, OfflineModelSpec(), seed=0)
        described = "offline default"
    else:
        config = qwen2_05b_config()
        config.pad_token_id, config.eos_token_id, config.bos_token_id = (
            tokenizer.pad_token_id,
            tokenizer.eos_token_id,
            None,
        )
        torch.manual_seed(0)
        model = transformers.Qwen2ForCausalLM(config)
        described = "Qwen2-0.5B shape, random init"
    parameters = sum(p.numel() for p in model.parameters())
    model_dir = work / model_name
    model.save_pretrained(model_dir)
    tokenizer.save_pretrained(model_dir)
    output_params = model.get_output_embeddings().weight.numel()
    shape = model.config
    del model

    peak, processes = None, args.processes
    if device == "gpu":
        processes, name = [torch.cuda.device_count()], torch.cuda.get_device_name(0)
        peak = args.peak_tflops or next((v for k, v in PEAK_BF16_TFLOPS.items() if k in name), None)
        if peak is None:
            raise SystemExit(f"no dense bf16 peak known for {name!r}; pass --peak-tflops")
    encoded = [encode(tokenizer, e) for e in examples]
    mean_length = sum(len(ids) for ids, _ in encoded) / len(encoded)
    # The share of tokens that are trained (answer tokens): the positions the fused loss computes.
    share = sum(label != IGNORE for _, labels in encoded for label in labels) / (mean_length * len(encoded))
    common = {
        "device": f"{processes[0]}x {name}" if device == "gpu" else "cpu",
        "model": f"{described} ({parameters / 1e6:.1f}M parameters)",
        "parameters": parameters,
        "precision": "bf16" if device == "gpu" else "fp32",
        "data": args.data,
        "mean_sequence_tokens": round(mean_length, 1),
        "answer_token_share": round(share, 3),
    }
    rows = []
    for count in processes:
        for micro in args.micro_batch_sizes:
            row = common | run_row(model_dir, examples_file, work / f"{count}-{micro}", count, micro, args)
            if peak is not None and "error" not in row:
                per_token = flops_per_token(
                    parameters,
                    shape.num_hidden_layers,
                    shape.hidden_size,
                    mean_length,
                    output_params=output_params,
                    output_share=share if row["fused_loss"] else 1.0,
                )
                achieved = per_token * row["tokens_per_second"]
                row |= {
                    "model_tflops_per_second": round(achieved / 1e12, 1),
                    "peak_tflops_per_gpu": peak,
                    "mfu": round(achieved / (peak * 1e12 * count), 4),
                }
            rows.append(row)
    return rows


def table(rows: Sequence[dict[str, Any]]) -> str:
    header = ("device", "processes", "micro", "loss", "tokens/s", "peak MiB", "MFU", "launch s", "model")
    lines = ["  ".join(f"{h:>10}" for h in header)]
    for r in rows:
        if "error" in r:
            figures: tuple[Any, ...] = ("failed", "", "", "", r["error"])
        else:
            figures = (
                "fused" if r["fused_loss"] else "full",
                f"{r['tokens_per_second']:,.0f}",
                f"{r['peak_memory_mb']:,.0f}",
                f"{r['mfu']:.1%}" if "mfu" in r else "-",
                f"{r['launch_seconds']:.0f}",
            )
        values = (r["device"], r["processes"], r["micro_batch_size"] or "auto", *figures, r["model"])
        lines.append("  ".join(f"{v!s:>10}" for v in values))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", choices=("auto", "cpu", "gpu"), default="auto")
    parser.add_argument("--steps", type=int, default=60, help="optimiser steps per run")
    parser.add_argument("--batch-size", type=int, default=32, help="global batch, examples per step")
    parser.add_argument(
        "--model",
        choices=("auto", "offline", "qwen2-0.5b"),
        default="auto",
        help="the offline default model (auto on CPU) or the Qwen2-0.5B shape (auto on GPU)",
    )
    parser.add_argument(
        "--micro-batch-size",
        default=None,
        help="examples per forward pass, comma-separated for one launch each (default: offline model "
        "the whole batch, Qwen2 shape 16)",
    )
    parser.add_argument("--compile", action="store_true", help="torch.compile the model (DeepSpeed)")
    parser.add_argument("--full-logits", action="store_true", help="turn the fused loss off")
    parser.add_argument(
        "--data",
        choices=("auto", "corpus", "fixed"),
        default="auto",
        help="the sample corpus's reflections (auto for the offline model) or examples of --seq-len tokens",
    )
    parser.add_argument("--seq-len", type=int, default=512, help="tokens per example of the Qwen2 shape")
    parser.add_argument("--processes", default="1,2", help="CPU runs: processes per run, comma-separated")
    parser.add_argument("--learning-rate", type=float, default=2e-4)
    parser.add_argument("--peak-tflops", type=float, default=None, help="dense bf16 peak of one GPU")
    parser.add_argument("--out", type=Path, default=RESULTS / "train_throughput.json")
    args = parser.parse_args(argv)
    transformers.utils.logging.disable_progress_bar()
    args.processes = [int(p) for p in str(args.processes).split(",")]
    device = ("gpu" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
    if device == "gpu" and not torch.cuda.is_available():
        raise SystemExit("--device gpu: no CUDA device is visible")
    model = ("qwen2-0.5b" if device == "gpu" else "offline") if args.model == "auto" else args.model
    if device == "gpu" and model == "offline":
        raise SystemExit("--device gpu measures the Qwen2-0.5B shape; the offline model is a CPU figure")
    if args.micro_batch_size is None:
        args.micro_batch_sizes = [16] if model == "qwen2-0.5b" else [None]
    else:
        args.micro_batch_sizes = [int(m) for m in str(args.micro_batch_size).split(",")]

    if args.data == "auto":
        args.data = "corpus" if model == "offline" else "fixed"

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="memo-throughput-") as tmp:
        rows = runs(device, model, args, Path(tmp))
    results: dict[str, Any] = {}
    if args.out.exists():  # CPU and GPU figures come from different machines: keep the other's
        results = json.loads(args.out.read_text())
    results.update(
        {
            "benchmark": "bench/train_throughput.py",
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "mfu_goal": MFU_GOAL,
        }
    )
    standard = (device, model, args.data) in {("cpu", "offline", "corpus"), ("gpu", "qwen2-0.5b", "fixed")}
    key = device if standard else f"{device}-{model}-{args.data}"
    key += ("-full-logits" if args.full_logits else "") + ("-compile" if args.compile else "")
    results[key] = {
        "command": " ".join(["python bench/train_throughput.py", *(sys.argv[1:] if argv is None else argv)]),
        "created_at": results["created_at"],
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "transformers": transformers.__version__,
        },
        "runs": rows,
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(table(rows))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {args.out}")
    return results


if __name__ == "__main__":
    main()
