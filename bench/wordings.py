"""What training on several wordings of each fact buys the memory, at an equal budget of optimiser steps.

The sample corpus's batch 1 is distilled by the offline generator with ``generator.offline.wordings`` 1, 2
and 3 (training questions per fact and direction); each set, with the update's share of "I don't know"
examples, trains a fresh offline model through memo's own training job (one process, no launcher) for the
same number of steps. Each model is then asked:
- trained: its own training questions (recall, a sample of 300);
- probes: the fourth wording of each fact, generated with wordings 3 and trained by none of the models;
- held-out: examples/questions.jsonl about batch 1 through the offline executive, by hop count.

Run: .venv/bin/python bench/wordings.py [--steps 800] [--learning-rate 2e-3]
(writes bench/results/wordings.json; about 2.5 minutes a configuration on 2 CPU cores)
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

from memo_core.evaluation.metrics import QAItem, score_suite
from memo_core.executive.offline import OfflineExecutive
from memo_core.memory.config import OfflineModelSpec
from memo_core.memory.model import MemoryModel, build_offline_model, train_tokenizer
from memo_core.reflections.config import GeneratorConfig, OfflineRulesConfig
from memo_core.reflections.generators.offline.generator import OfflineGenerator
from memo_core.reflections.records import Reflection, dedupe
from memo_core.sources.config import SourceConfig
from memo_core.sources.scan import Document, scan_sources
from memo_core.training.abstention import ABSTAIN_ANSWER, abstention_questions, vocabulary
from memo_core.training.config import TrainingConfig
from memo_core.training.examples import Example
from memo_core.training.job import TrainingJob, launch, write_examples

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ask import questions_about  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
RESULTS = ROOT / "bench" / "results" / "wordings.json"
SEED = 0


def reflections(documents: list[Document], wordings: int) -> list[Reflection]:
    generator = OfflineGenerator(GeneratorConfig(offline=OfflineRulesConfig(wordings=wordings)))
    rows = [r for d in documents for r in generator.reflect_document(d, 1)]
    return dedupe(rows + generator.reflect_corpus(documents, 1))


def training_examples(rows: list[Reflection]) -> list[Example]:
    """The training split and "I don't know" examples about invented names, as a full build selects them."""
    train = [r for r in rows if r.split == "train"]
    count = round(TrainingConfig().abstain_ratio * len(train))
    taken = vocabulary(f"{r.question} {r.answer}" for r in rows)
    unknown = abstention_questions([r.question for r in train], count, taken, SEED)
    return [Example(r.question, r.answer) for r in train] + [Example(q, ABSTAIN_ANSWER) for q in unknown]


def train(
    documents: list[Document], examples: list[Example], steps: int, learning_rate: float, work: Path
) -> tuple[Path, Any]:
    """A fresh offline model with a tokenizer fitted to the corpus, trained for ``steps`` by the job."""
    training = TrainingConfig()
    texts = [d.text for d in documents] + [f"{e.question} {e.answer}" for e in examples]
    spec = OfflineModelSpec()
    tokenizer = train_tokenizer(texts, spec.vocab_size)
    base = work / "base"
    build_offline_model(tokenizer, spec, SEED).save_pretrained(base)
    tokenizer.save_pretrained(base)
    job = TrainingJob(
        model_dir=str(base),
        examples_file=str(write_examples(examples, work / "examples.jsonl")),
        output_dir=str(work / "model"),
        checkpoint_dir=str(work / "checkpoints"),
        learning_rate=learning_rate,
        epochs=steps * training.batch_size / len(examples),
        batch_size=training.batch_size,
        warmup_ratio=training.warmup_ratio,
        seed=SEED,
        checkpoint_every=10**9,
        log_every=10**9,
    )
    return Path(job.output_dir), launch(job, 1, "none")


def through_executive(executive: OfflineExecutive) -> Any:
    return lambda questions: [a.answer for a in executive.ask_many(questions)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=800, help="optimiser steps of every configuration")
    parser.add_argument("--wordings", default="1,2,3", help="the configurations, comma-separated")
    parser.add_argument("--learning-rate", type=float, default=TrainingConfig().learning_rate)
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    documents = scan_sources([SourceConfig(name="batch1", url=str(EXAMPLES / "batch1"))]).documents
    probes = [r for r in reflections(documents, 3) if r.split == "probe"]
    heldout = questions_about(documents, EXAMPLES / "questions.jsonl")
    rows = []
    for wordings in [int(w) for w in args.wordings.split(",")]:
        generated = reflections(documents, wordings)
        examples = training_examples(generated)
        trained_questions = {e.question for e in examples}
        unseen = [p for p in probes if p.question not in trained_questions]
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            model_dir, result = train(documents, examples, args.steps, args.learning_rate, Path(tmp))
            memory = MemoryModel.load(model_dir)
            sample = random.Random(SEED).sample(
                [r for r in generated if r.split == "train"], min(300, len(generated))
            )
            recall = score_suite("trained", [QAItem(r.question, (r.answer,)) for r in sample], memory.answer)
            probe = score_suite(
                "probes", [QAItem(p.question, (p.answer,)) for p in unseen[:300]], memory.answer
            )
            asked = score_suite("heldout", heldout, through_executive(OfflineExecutive(memory.answer)))
            rows.append(
                {
                    "wordings": wordings,
                    "training_examples": len(examples),
                    "steps": result.steps,
                    "epochs": round(args.steps * TrainingConfig().batch_size / len(examples), 2),
                    "trained_em": round(recall.exact_match or 0, 3),
                    "probe_em": round(probe.exact_match or 0, 3),
                    "heldout_em": round(asked.exact_match or 0, 3),
                    "heldout_set_f1": round(asked.set_f1 or 0, 3),
                    "heldout_em_by_hop": {k: round(v, 3) for k, v in asked.by_tag.items()},
                    "seconds": round(time.perf_counter() - started, 1),
                }
            )
        print(json.dumps(rows[-1]), flush=True)
    figures = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "steps": args.steps,
        "learning_rate": args.learning_rate,
        "probes": len(probes),
        "heldout_questions": len(heldout),
        "rows": rows,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n")
    print(
        f"{'wordings':>9}{'examples':>10}{'steps':>7}{'epochs':>8}{'trained':>9}{'probes':>8}{'held-out':>10}"
    )
    for r in rows:
        print(
            f"{r['wordings']:>9}{r['training_examples']:>10}{r['steps']:>7}{r['epochs']:>8}"
            f"{r['trained_em']:>9.3f}{r['probe_em']:>8.3f}{r['heldout_em']:>10.3f}"
        )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
