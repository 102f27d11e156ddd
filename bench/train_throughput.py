"""Training throughput of the MEMORY training job: tokens per second, peak memory and, on GPUs, model FLOPs
utilisation. Prints a table and writes bench/results/train_throughput.json (or ``--out``).

Every figure comes from the real job (``memo_core.memory.job.launch``: the DeepSpeed launcher, the worker,
ZeRO-2 from infra/deepspeed/zero2.json), not from a separate loop.

- ``cpu``: the offline default model (``OfflineModelSpec()``, about 4M parameters), its tokenizer fitted to
  the sample corpus, on the offline generator's reflections of examples/batch1; one process, then two (gloo).
- ``gpu``: a randomly initialised model of Qwen2-0.5B's shape (24 layers, hidden 896, 14 heads, 2 key-value
  heads, vocabulary 151,936, tied embeddings), bf16, ZeRO-2, every example exactly ``--seq-len`` tokens
  (512), one process per GPU.

Throughput is steady state: tokens between the first and the last logged step over the time between them,
so start-up (allocation, kernel selection) is left out; the launch's wall time is reported beside it. Peak
memory is rank 0's: torch's peak allocation on a GPU, the peak resident set on CPU. Model FLOPs per token
are 6N + 12·L·d·s (N parameters with the tied embedding counted once, as the output layer's matrix product;
L layers, d hidden size, s sequence length: the attention scores and values), the usual convention; MFU is
FLOPs per second over the GPUs' dense bf16 peak.

Usage: python bench/train_throughput.py [--device auto|cpu|gpu] [--steps N] [--batch-size B]
       [--seq-len S] [--peak-tflops T] [--out PATH]
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

from memo_core.memory.job import JobResult, TrainingJob, launch, resolve_deepspeed_config, write_examples  # noqa: E402
from memo_core.memory.model import OfflineModelSpec, build_offline_model, train_tokenizer  # noqa: E402
from memo_core.memory.training import Example, encode  # noqa: E402

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
        rope_theta=1_000_000.0,
        tie_word_embeddings=True,
    )


def flops_per_token(parameters: int, layers: int, hidden: int, seq_len: int) -> float:
    return 6 * parameters + 12 * layers * hidden * seq_len


def run_job(model_dir: Path, examples: list[Example], work: Path, processes: int, args: Any) -> JobResult:
    examples_file = write_examples(examples, work / "examples.jsonl")
    job = TrainingJob(
        model_dir=str(model_dir),
        examples_file=str(examples_file),
        output_dir=str(work / f"out-{processes}"),
        checkpoint_dir=str(work / f"steps-{processes}"),
        learning_rate=args.learning_rate,
        epochs=1,
        max_steps=args.steps,
        batch_size=args.batch_size,
        micro_batch_size=args.micro_batch_size,
        compile=args.compile,
        checkpoint_every=10**9,  # no checkpoints: this measures training alone
        log_every=max(1, args.steps // 10),
        deepspeed_config=resolve_deepspeed_config(None),
    )
    return launch(job, num_processes=processes)


def cpu_runs(args: Any, work: Path) -> list[dict[str, Any]]:
    from memo_core.generation import GeneratorConfig, build_generator
    from memo_core.sources import SourceConfig, scan_sources

    scan = scan_sources([SourceConfig(name="docs", url=str(ROOT / "examples" / "batch1"))])
    generator = build_generator(GeneratorConfig())
    reflections = [r for d in scan.documents for r in generator.reflect_document(d, corpus_version=1)]
    train = [Example(r.question, r.answer) for r in reflections if r.split == "train"]
    spec = OfflineModelSpec()
    texts = [d.text for d in scan.documents] + [f"{e.question} {e.answer}" for e in train]
    tokenizer = train_tokenizer(texts, spec.vocab_size)
    model = build_offline_model(tokenizer, spec, seed=0)
    model_dir = work / "offline-model"
    model.save_pretrained(model_dir)
    tokenizer.save_pretrained(model_dir)
    parameters = sum(p.numel() for p in model.parameters())
    lengths = [len(encode(tokenizer, e)[0]) for e in train]

    rows = []
    for processes in args.processes:
        result = run_job(model_dir, train, work / f"cpu-{processes}", processes, args)
        rows.append(
            {
                "device": "cpu",
                "model": f"offline default ({parameters / 1e6:.1f}M parameters)",
                "parameters": parameters,
                "processes": processes,
                "precision": "fp32",
                "batch_size": args.batch_size,
                "micro_batch_size": args.micro_batch_size,
                "compile": args.compile,
                "mean_sequence_tokens": round(sum(lengths) / len(lengths), 1),
                "steps": result.steps,
                "tokens_per_second": round(result.steady_tokens_per_second, 1),
                "peak_memory_mb": result.peak_memory_mb,
                "launch_seconds": round(result.wall_seconds, 1),
                "final_loss": round(result.final_loss, 4),
            }
        )
    return rows


def fixed_length_examples(
    tokenizer: Any, words: Sequence[str], count: int, seq_len: int, seed: int
) -> list[Example]:
    """``count`` examples of exactly ``seq_len`` tokens (prompt, answer and end token) of random words."""
    rng = random.Random(seed)
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
    return examples


def gpu_runs(args: Any, work: Path) -> list[dict[str, Any]]:
    gpus = torch.cuda.device_count()
    name = torch.cuda.get_device_name(0)
    peak = args.peak_tflops or next((v for k, v in PEAK_BF16_TFLOPS.items() if k in name), None)
    if peak is None:
        raise SystemExit(f"no dense bf16 peak known for {name!r}; pass --peak-tflops")
    words = [f"w{i}" for i in range(400)]
    tokenizer = train_tokenizer([" ".join(random.Random(0).choices(words, k=50_000))], vocab_size=2000)
    config = qwen2_05b_config()
    config.pad_token_id, config.eos_token_id, config.bos_token_id = (
        tokenizer.pad_token_id,
        tokenizer.eos_token_id,
        None,
    )
    torch.manual_seed(0)
    model = transformers.Qwen2ForCausalLM(config)
    parameters = sum(p.numel() for p in model.parameters())
    model_dir = work / "qwen2-0.5b-shape"
    model.save_pretrained(model_dir)
    tokenizer.save_pretrained(model_dir)
    del model
    examples = fixed_length_examples(tokenizer, words, args.steps * args.batch_size, args.seq_len, seed=0)

    result = run_job(model_dir, examples, work / "gpu", gpus, args)
    per_token = flops_per_token(parameters, config.num_hidden_layers, config.hidden_size, args.seq_len)
    achieved = per_token * result.steady_tokens_per_second
    return [
        {
            "device": f"{gpus}x {name}",
            "model": f"Qwen2-0.5B shape, random init ({parameters / 1e6:.0f}M parameters)",
            "parameters": parameters,
            "processes": gpus,
            "precision": "bf16",
            "batch_size": args.batch_size,
            "micro_batch_size": args.micro_batch_size,
            "compile": args.compile,
            "mean_sequence_tokens": args.seq_len,
            "steps": result.steps,
            "tokens_per_second": round(result.steady_tokens_per_second, 1),
            "peak_memory_mb": result.peak_memory_mb,
            "launch_seconds": round(result.wall_seconds, 1),
            "final_loss": round(result.final_loss, 4),
            "model_tflops_per_second": round(achieved / 1e12, 1),
            "peak_tflops_per_gpu": peak,
            "mfu": round(achieved / (peak * 1e12 * gpus), 4),
        }
    ]


def table(rows: Sequence[dict[str, Any]]) -> str:
    header = ("device", "processes", "precision", "tokens/s", "peak MiB", "MFU", "launch s", "model")
    lines = ["  ".join(f"{h:>10}" for h in header)]
    for r in rows:
        mfu = f"{r['mfu']:.1%}" if "mfu" in r else "-"
        values = (
            r["device"],
            r["processes"],
            r["precision"],
            f"{r['tokens_per_second']:,.0f}",
            f"{r['peak_memory_mb']:,.0f}",
            mfu,
            f"{r['launch_seconds']:.0f}",
            r["model"],
        )
        lines.append("  ".join(f"{v!s:>10}" for v in values))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", choices=("auto", "cpu", "gpu"), default="auto")
    parser.add_argument("--steps", type=int, default=None, help="optimiser steps per run (cpu 60, gpu 60)")
    parser.add_argument("--batch-size", type=int, default=32, help="global batch, examples per step")
    parser.add_argument(
        "--micro-batch-size", type=int, default=None, help="examples per forward pass (gpu default 8)"
    )
    parser.add_argument("--compile", action="store_true", help="torch.compile the model (DeepSpeed)")
    parser.add_argument("--seq-len", type=int, default=512, help="tokens per example on GPU")
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
    args.steps = args.steps or 60
    if device == "gpu" and args.micro_batch_size is None:
        args.micro_batch_size = 8  # 32 x 512 tokens at once: the float32 logits alone would need 10 GB

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="memo-throughput-") as tmp:
        rows = gpu_runs(args, Path(tmp)) if device == "gpu" else cpu_runs(args, Path(tmp))
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
    results[device] = {
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
