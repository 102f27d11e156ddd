"""Forgetting benchmark: naive sequential fine-tuning, incremental with replay, and full retraining over
successive knowledge updates; prints a table, writes bench/results/forgetting.json and forgetting.png.

Two data sets. *synthetic*: N fictional facts as question-answer pairs about invented people (names built
from syllables, so no pretrained model could know them), 40% in a base build and the rest split evenly into
``--updates`` successive updates. *corpus*: the sample corpus, batch 1 as the base build and batch 2 (new
documents, one changed, one removed) as one update, reflections from the offline generator.

Every update k is trained three ways, each continuing its own chain of models:
- naive: continue from the strategy's previous model on the update's new facts alone;
- incremental: continue from the previous model on the new facts plus a replay sample of earlier facts;
- full: a fresh model trained on every fact the corpus holds after the update, as the base build was.
Retention is exact match on the earlier facts the corpus still holds, new knowledge exact match on the
update's new facts; training tokens are every token fed (sequence lengths, no padding, summed over every
pass); seconds are the wall time of the training loop (the job's start-up excluded). Every model trains
through memo's own training job (``memo_core.training.job``), one process without a launcher. The gate
(``memo_core.evaluation.apply_gate``, default ``GateConfig``) compares each candidate with its own previous
model on the retention facts.

Incremental replay, ``rotating`` rule: the run makes ``epochs`` passes over the new facts and draws
``replay_ratio`` replayed facts per new fact in every pass, walking through a shuffled list of all the earlier
facts (reshuffled once used up), so rehearsals are spread evenly over all of them rather than repeating one
fixed sample (the ``fixed`` rule, memo's original). The passes are handed to the job as one shuffled pass
over the concatenated list, so the learning-rate schedule spans the whole run.

Usage: python bench/forgetting.py [--quick] [--facts N] [--updates K] [--datasets synthetic,corpus]
       [--replay-ratio R] [--epoch-share S] [--incremental-lr LR] [--sampling rotating|fixed]
The defaults (replay ratio 1.5, incremental epochs 0.4 x the full build's, learning rate 1e-3, rotating
replay) are the settings this benchmark found; the full run takes about 13 minutes on 2 idle CPU cores.
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
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch
import transformers
from transformers.tokenization_utils_base import PreTrainedTokenizerBase

from memo_core.evaluation.config import GateConfig
from memo_core.evaluation.gate import apply_gate
from memo_core.evaluation.metrics import QAItem, exact_match
from memo_core.memory.config import OfflineModelSpec
from memo_core.memory.model import MemoryModel, build_offline_model, train_tokenizer
from memo_core.training.abstention import invented_words
from memo_core.training.config import ReplaySampling
from memo_core.training.examples import Example
from memo_core.training.job import TrainingJob, launch, write_examples
from memo_core.training.replay import incremental_examples

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
RESULTS = ROOT / "bench" / "results"
STRATEGIES = ("naive", "incremental", "full")
RETENTION_GOAL = 0.95  # incremental retention / full retraining retention, at least
TOKEN_GOAL = 0.40  # incremental training tokens / full retraining tokens, at most
FACTS, SYNTHETIC_EPOCHS = 600, 40.0  # random facts, unlike reflections, need about 40 passes to be learnt
QUICK_FACTS, QUICK_EPOCHS, QUICK_BATCH = 200, 40.0, 8  # small batches: enough steps on few facts
QUICK_SPEC = OfflineModelSpec(
    layers=2, hidden=128, heads=4, intermediate=256, vocab_size=600, max_positions=64
)


# --- data ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Update:
    """One knowledge update: the facts it brings, and the earlier facts the corpus still holds."""

    name: str
    new: tuple[Example, ...]
    kept: tuple[Example, ...] = ()

    @property
    def current(self) -> tuple[Example, ...]:
        return self.kept + self.new


_PROFESSIONS = (
    *("baker", "surveyor", "glassblower", "cartographer", "ferryman", "clockmaker", "botanist", "weaver"),
    *("lighthouse keeper", "beekeeper", "stonemason", "archivist", "tanner", "chemist", "harpist"),
    *("shipwright", "astronomer", "cooper", "potter", "locksmith", "fishmonger", "saddler", "engraver"),
    *("apothecary", "miller", "tailor", "bookbinder", "falconer", "brewer", "rope maker"),
)
_COMPANY_KINDS = ("Works", "Company", "Foundry", "Mills", "Guild")


def synthetic_facts(count: int, seed: int) -> list[Example]:
    """``count`` fictional facts in random order: two or three of four attributes (birth city, birth year,
    profession, employer) of each invented person, one question-answer pair per fact."""
    rng = random.Random(seed)
    taken: set[str] = set()
    cities = invented_words(rng, 40, (2, 3), taken)
    companies = [f"{w} {rng.choice(_COMPANY_KINDS)}" for w in invented_words(rng, 60, (2,), taken)]
    facts: list[Example] = []
    while len(facts) < count:
        first, last = invented_words(rng, 1, (2,), taken)[0], invented_words(rng, 1, (2, 3), taken)[0]
        name = f"{first} {last}"
        attributes = [
            Example(f"In which city was {name} born?", rng.choice(cities)),
            Example(f"In which year was {name} born?", str(rng.randint(1820, 2005))),
            Example(f"What is the profession of {name}?", rng.choice(_PROFESSIONS)),
            Example(f"Which company employs {name}?", rng.choice(companies)),
        ]
        facts.extend(rng.sample(attributes, rng.randint(2, 3)))
    facts = facts[:count]
    rng.shuffle(facts)
    return facts


def synthetic_updates(count: int, updates: int, seed: int, base_share: float = 0.4) -> list[Update]:
    """A base build of ``base_share`` of the facts, then ``updates`` updates sharing the rest evenly."""
    facts = synthetic_facts(count, seed)
    base = round(base_share * count)
    cuts = [base + round(i * (count - base) / updates) for i in range(updates + 1)]
    stages = [Update("base", tuple(facts[:base]))]
    for i in range(updates):
        new, kept = tuple(facts[cuts[i] : cuts[i + 1]]), tuple(facts[: cuts[i]])
        stages.append(Update(f"update {i + 1}", new, kept))
    return stages


def corpus_updates() -> tuple[list[Update], list[str]]:
    """The sample corpus as memo's demo sees it: batch 1, then batch 2 with one document changed and one
    removed. New facts are the reflections the batch-1 set did not hold; kept facts the batch-1
    reflections still in the batch-2 set. Also returns the documents' texts, for the tokenizer."""
    from memo_core.reflections.config import GeneratorConfig
    from memo_core.reflections.generators.base import build_generator
    from memo_core.reflections.records import Reflection, dedupe
    from memo_core.sources.config import SourceConfig
    from memo_core.sources.scan import Document, scan_sources

    def documents(batch: str) -> dict[str, Document]:
        scan = scan_sources([SourceConfig(name=batch, url=str(EXAMPLES / batch))])
        return {doc.path.rsplit("/", 1)[-1]: doc for doc in scan.documents}

    generator = build_generator(GeneratorConfig())

    def reflections(docs: Sequence[Document], version: int) -> list[Reflection]:
        found = [r for doc in docs for r in generator.reflect_document(doc, version)]
        found += generator.reflect_corpus(docs, version)
        return [r for r in dedupe(found) if r.split == "train"]

    batch1, batch2 = documents("batch1"), documents("batch2")
    removed = set((EXAMPLES / "batch2-removed.txt").read_text().split())
    after = {name: doc for name, doc in batch1.items() if name not in removed} | batch2
    first, second = reflections(list(batch1.values()), 1), reflections(list(after.values()), 2)
    known = {r.id for r in first}
    kept = tuple(Example(r.question, r.answer) for r in second if r.id in known)
    new = tuple(Example(r.question, r.answer) for r in second if r.id not in known)
    texts = [doc.text for doc in [*batch1.values(), *batch2.values()]]
    base = Update("batch 1", tuple(Example(r.question, r.answer) for r in first))
    return [base, Update("batch 2", new, kept)], texts


# --- training -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """How each strategy trains; naive uses the incremental run's epochs and learning rate."""

    full_epochs: float = 20.0  # memo's TrainingConfig.epochs: the base build and every full retraining
    full_learning_rate: float = 2e-3
    epoch_share: float = 0.4  # incremental (and naive) epochs, as a share of full_epochs
    incremental_learning_rate: float = 1e-3
    replay_ratio: float = 1.5
    sampling: ReplaySampling = "rotating"
    batch_size: int = 32
    warmup_ratio: float = 0.1
    seed: int = 0
    spec: OfflineModelSpec = field(default_factory=OfflineModelSpec)

    @property
    def incremental_epochs(self) -> float:
        return self.epoch_share * self.full_epochs


@dataclass
class Trained:
    model_dir: Path  # the trained model and its tokenizer
    tokens: int
    seconds: float
    examples: int  # distinct examples trained on
    steps: int


def fit(
    start_dir: Path,
    examples: Sequence[Example],
    settings: Settings,
    learning_rate: float,
    epochs: float,
    seed: int,
    work: Path,
) -> Trained:
    """Train the model in ``start_dir`` as an update does: a training job, here one process without a
    launcher, in a folder of its own under ``work``."""
    work.mkdir(parents=True)
    job = TrainingJob(
        model_dir=str(start_dir),
        examples_file=str(write_examples(list(examples), work / "examples.jsonl")),
        output_dir=str(work / "model"),
        checkpoint_dir=str(work / "checkpoints"),
        learning_rate=learning_rate,
        epochs=epochs,
        batch_size=settings.batch_size,
        warmup_ratio=settings.warmup_ratio,
        seed=seed,
        checkpoint_every=10**9,  # short runs: nothing to resume
        log_every=10**9,
    )
    result = launch(job, 1, "none")
    return Trained(Path(job.output_dir), result.tokens, result.seconds, len(set(examples)), result.steps)


def train_strategy(
    strategy: str, parent: Path | None, update: Update, fresh: Path, settings: Settings, seed: int, work: Path
) -> Trained:
    """One candidate: from the fresh model ``fresh`` for full retraining (and the base build), else from the
    strategy's previous model ``parent``."""
    if strategy == "full" or parent is None:
        lr, epochs = settings.full_learning_rate, settings.full_epochs
        return fit(fresh, update.current, settings, lr, epochs, seed, work)
    lr = settings.incremental_learning_rate
    if strategy == "naive":
        return fit(parent, update.new, settings, lr, settings.incremental_epochs, seed, work)
    # The examples of an incremental run and the epochs to pass over them, by memo's own replay rule.
    examples, epochs = incremental_examples(
        update.new, update.kept, settings.replay_ratio, settings.incremental_epochs, settings.sampling, seed
    )
    return fit(parent, examples, settings, lr, epochs, seed, work)


# --- evaluation ---------------------------------------------------------------------------------------------


def correct_answers(model_dir: Path, facts: Sequence[Example]) -> dict[Example, float]:
    """Exact match of the saved model's answer to every fact's question."""
    items = [QAItem(f.question, (f.answer,)) for f in facts]
    answers = MemoryModel.load(model_dir).answer([item.question for item in items], batch_size=128)
    return {f: exact_match(a, item.answers) for f, a, item in zip(facts, answers, items, strict=True)}


def mean_over(scores: dict[Example, float], facts: Sequence[Example]) -> float | None:
    return sum(scores[f] for f in facts) / len(facts) if facts else None


def run_dataset(
    name: str, updates: list[Update], texts: Sequence[str], settings: Settings, log: bool = True
) -> dict[str, Any]:
    """Base build, then every update three ways; the figures of every update and strategy."""
    with tempfile.TemporaryDirectory(prefix=f"forgetting-{name}-") as work:
        return _run_dataset(name, updates, texts, settings, Path(work), log)


def _run_dataset(
    name: str, updates: list[Update], texts: Sequence[str], settings: Settings, work: Path, log: bool
) -> dict[str, Any]:
    started = time.perf_counter()
    corpus = [f"{f.question} {f.answer}" for u in updates for f in u.new]
    tokenizer = train_tokenizer([*texts, *corpus], settings.spec.vocab_size)
    fresh = save_fresh_model(tokenizer, settings, work / "fresh")
    base = train_strategy("full", None, updates[0], fresh, settings, settings.seed, work / "base")
    base_scores = correct_answers(base.model_dir, updates[0].new)
    rows: list[dict[str, Any]] = [
        {
            "update": 0,
            "name": updates[0].name,
            "strategy": "base",
            "new_facts": len(updates[0].new),
            "kept_facts": 0,
            "training_examples": base.examples,
            "steps": base.steps,
            "new_knowledge": mean_over(base_scores, updates[0].new),
            "retention": None,
            "tokens": base.tokens,
            "train_seconds": round(base.seconds, 2),
        }
    ]
    if log:
        print(
            f"[{name}] base: {len(updates[0].new)} facts, recall {rows[0]['new_knowledge']:.3f}", flush=True
        )
    parents = {strategy: (base.model_dir, base_scores) for strategy in STRATEGIES}
    introduced = {f: u.name for u in updates for f in u.new}  # which update brought each fact
    gate = GateConfig()
    for k, update in enumerate(updates[1:], start=1):
        for strategy in STRATEGIES:
            parent, parent_scores = parents[strategy]
            run = work / f"update-{k}-{strategy}"
            trained = train_strategy(strategy, parent, update, fresh, settings, settings.seed + k, run)
            tick = time.perf_counter()
            scores = correct_answers(trained.model_dir, update.current)
            eval_seconds = time.perf_counter() - tick
            new, retention = mean_over(scores, update.new), mean_over(scores, update.kept)
            parent_retention = mean_over(parent_scores, update.kept)
            verdict = apply_gate(gate, new, retention, parent_retention)
            rows.append(
                {
                    "update": k,
                    "name": update.name,
                    "strategy": strategy,
                    "new_facts": len(update.new),
                    "kept_facts": len(update.kept),
                    "training_examples": trained.examples,
                    "steps": trained.steps,
                    "new_knowledge": new,
                    "retention": retention,
                    "parent_retention": parent_retention,
                    "retention_by_update": by_update(scores, update.kept, introduced),
                    "tokens": trained.tokens,
                    "train_seconds": round(trained.seconds, 2),
                    "eval_seconds": round(eval_seconds, 2),
                    "gate_passed": verdict.passed,
                    "gate_failures": verdict.failures,
                }
            )
            parents[strategy] = (trained.model_dir, scores)
            if log:
                print(f"[{name}] {format_row(rows[-1])}", flush=True)
    return {
        "name": name,
        "updates": [{"name": u.name, "new_facts": len(u.new), "kept_facts": len(u.kept)} for u in updates],
        "rows": rows,
        "goal": goal_figures(rows),
        "seconds": round(time.perf_counter() - started, 1),
    }


def save_fresh_model(tokenizer: PreTrainedTokenizerBase, settings: Settings, path: Path) -> Path:
    """The untrained model every full build starts from, saved with its tokenizer for the training job."""
    build_offline_model(tokenizer, settings.spec, settings.seed).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def by_update(scores: dict[Example, float], facts: Sequence[Example], introduced: dict[Example, str]) -> dict:
    """Exact match on ``facts`` grouped by the update that brought them, oldest first."""
    groups: dict[str, list[float]] = {}
    for fact in facts:
        groups.setdefault(introduced[fact], []).append(scores[fact])
    return {name: round(sum(values) / len(values), 4) for name, values in groups.items()}


def goal_figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per update, incremental against full retraining (retention, tokens), and the gate's verdicts."""
    by = {(r["update"], r["strategy"]): r for r in rows}
    per_update = []
    for k in sorted({r["update"] for r in rows if r["update"] > 0}):
        inc, full, naive = by[(k, "incremental")], by[(k, "full")], by[(k, "naive")]
        retention_ratio = inc["retention"] / full["retention"] if full["retention"] else float("nan")
        per_update.append(
            {
                "update": k,
                "retention_ratio": round(retention_ratio, 4),
                "token_ratio": round(inc["tokens"] / full["tokens"], 4),
                "naive_rejected": not naive["gate_passed"],
                "incremental_passed": inc["gate_passed"],
            }
        )
    return {
        "per_update": per_update,
        "retention_goal": RETENTION_GOAL,
        "token_goal": TOKEN_GOAL,
        "met": all(
            u["retention_ratio"] >= RETENTION_GOAL and u["token_ratio"] <= TOKEN_GOAL for u in per_update
        ),
        "naive_rejected": all(u["naive_rejected"] for u in per_update),
        "incremental_passed": all(u["incremental_passed"] for u in per_update),
    }


# --- output -------------------------------------------------------------------------------------------------


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def format_row(row: dict[str, Any]) -> str:
    gate = "" if "gate_passed" not in row else ("pass" if row["gate_passed"] else "REJECT")
    return (
        f"{row['name']:<9} {row['strategy']:<12} retention {_fmt(row['retention'])}  "
        f"new {_fmt(row['new_knowledge'])}  tokens {row['tokens']:>9,}  "
        f"{row['train_seconds']:>7.1f} s  {gate}"
    )


def table(dataset: dict[str, Any]) -> str:
    header = ("update", "strategy", "retention", "new", "examples", "steps", "tokens", "train s", "gate")
    lines = [[*header]]
    for r in dataset["rows"]:
        gate = "-" if "gate_passed" not in r else ("pass" if r["gate_passed"] else "reject")
        lines.append(
            [
                r["name"],
                r["strategy"],
                _fmt(r["retention"]),
                _fmt(r["new_knowledge"]),
                f"{r['training_examples']:,}",
                f"{r['steps']:,}",
                f"{r['tokens']:,}",
                f"{r['train_seconds']:.1f}",
                gate,
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = [
        "  ".join(
            c.rjust(w) if i >= 2 else c.ljust(w) for i, (c, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in lines
    ]
    out.insert(1, "  ".join("-" * w for w in widths))
    goal = dataset["goal"]
    for u in goal["per_update"]:
        out.append(
            f"update {u['update']}: incremental/full retention {u['retention_ratio']:.3f} (goal >= "
            f"{RETENTION_GOAL}), tokens {u['token_ratio']:.3f} (goal <= {TOKEN_GOAL}); naive "
            f"{'rejected' if u['naive_rejected'] else 'PASSED'} by the gate, incremental "
            f"{'passed' if u['incremental_passed'] else 'rejected'}"
        )
    out.append(f"goal met: {goal['met']}  ({dataset['seconds']:.0f} s for the data set)")
    return "\n".join(out)


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    datasets = results["datasets"]
    fig, axes = plt.subplots(len(datasets), 3, figsize=(13, 3.6 * len(datasets)), squeeze=False)
    colours = {"naive": "tab:red", "incremental": "tab:blue", "full": "tab:green"}
    for row_axes, dataset in zip(axes, datasets, strict=True):
        rows = dataset["rows"]
        names = [u["name"] for u in dataset["updates"]]
        for ax, metric in zip(row_axes[:2], ("retention", "new_knowledge"), strict=True):
            base = [(0, r["new_knowledge"]) for r in rows if r["strategy"] == "base"]  # its own recall
            for strategy in STRATEGIES:
                points = base + [(r["update"], r[metric]) for r in rows if r["strategy"] == strategy]
                ax.plot(*zip(*points, strict=True), marker="o", label=strategy, color=colours[strategy])
            ax.set_title(f"{dataset['name']}: {metric.replace('_', ' ')} (exact match)")
            ax.set_ylim(-0.02, 1.02)
            ax.set_xticks(range(len(names)), names)
            ax.grid(alpha=0.3)
        ax = row_axes[2]
        width = 0.27
        for i, strategy in enumerate(STRATEGIES):
            points = [(r["update"], r["tokens"]) for r in rows if r["strategy"] == strategy]
            xs, ys = zip(*points, strict=True)
            ax.bar([x + (i - 1) * width for x in xs], ys, width, label=strategy, color=colours[strategy])
        ax.set_title(f"{dataset['name']}: training tokens per update")
        ax.set_xticks(range(1, len(names)), names[1:])
        ax.grid(alpha=0.3, axis="y")
        row_axes[0].legend(loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --- command line -------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: small model, few facts, synthetic only"
    )
    parser.add_argument(
        "--facts", type=int, help=f"synthetic facts in all (default {FACTS}; quick {QUICK_FACTS})"
    )
    parser.add_argument("--updates", type=int, default=3, help="synthetic updates after the base build")
    parser.add_argument(
        "--datasets", help="comma-separated, of synthetic,corpus (default both; quick synthetic)"
    )
    parser.add_argument(
        "--synthetic-epochs",
        type=float,
        help=f"full-build epochs on synthetic facts (default {SYNTHETIC_EPOCHS})",
    )
    parser.add_argument("--replay-ratio", type=float, default=Settings.replay_ratio)
    parser.add_argument("--epoch-share", type=float, default=Settings.epoch_share)
    parser.add_argument("--incremental-lr", type=float, default=Settings.incremental_learning_rate)
    parser.add_argument("--sampling", choices=["rotating", "fixed"], default=Settings.sampling)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS / "forgetting.json")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    transformers.utils.logging.disable_progress_bar()  # every evaluation loads a saved model

    settings = Settings(
        replay_ratio=args.replay_ratio,
        epoch_share=args.epoch_share,
        incremental_learning_rate=args.incremental_lr,
        sampling=args.sampling,
        seed=args.seed,
        spec=QUICK_SPEC if args.quick else OfflineModelSpec(),
        batch_size=QUICK_BATCH if args.quick else Settings.batch_size,
    )
    facts = args.facts or (QUICK_FACTS if args.quick else FACTS)
    synthetic_epochs = args.synthetic_epochs or (QUICK_EPOCHS if args.quick else SYNTHETIC_EPOCHS)
    names = (args.datasets or ("synthetic" if args.quick else "synthetic,corpus")).split(",")
    started = time.perf_counter()
    datasets: list[dict[str, Any]] = []
    used: dict[str, dict[str, Any]] = {}
    texts: list[str] = []
    for name in names:
        if name == "synthetic":
            updates, texts = synthetic_updates(facts, args.updates, args.seed), []
            chosen = replace(settings, full_epochs=synthetic_epochs)
        elif name == "corpus":
            (updates, texts), chosen = corpus_updates(), settings
        else:
            raise SystemExit(f"unknown data set {name!r}: synthetic or corpus")
        datasets.append(run_dataset(name, updates, texts, chosen))
        used[name] = {**asdict(chosen), "incremental_epochs": chosen.incremental_epochs}
    results = {
        "benchmark": "bench/forgetting.py",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python bench/forgetting.py", *(sys.argv[1:] if argv is None else argv)]),
        "machine": {
            "cpus": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "python": platform.python_version(),
        },
        "settings": {
            "synthetic_facts": facts,
            "synthetic_updates": args.updates,
            "gate": GateConfig().model_dump(),
            "by_dataset": used,
        },
        "datasets": datasets,
        "seconds": round(time.perf_counter() - started, 1),
    }
    for dataset in datasets:
        print(f"\n== {dataset['name']} ==")
        print(table(dataset))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, default=_json_default) + "\n")
    plot(results, args.out.with_suffix(".png"))
    print(f"\nwrote {args.out} and {args.out.with_suffix('.png')} ({results['seconds']:.0f} s in all)")
    return results


def _json_default(value: object) -> Any:
    if isinstance(value, OfflineModelSpec):
        return value.model_dump()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


if __name__ == "__main__":
    main()
