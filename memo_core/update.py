"""One knowledge update, as plain functions the orchestration layer calls step by step.

plan (what changed since the parent model's corpus) -> reflection set (cached per document hash) ->
training examples (new reflections plus a replay sample) -> candidate checkpoint -> evaluation and gate.
Every step returns store keys or small records, and every output is keyed so a re-run reuses it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import posixpath
import random
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from memo_core.config import MemoConfig
from memo_core.evaluation import QAItem, SuiteResult, apply_gate, score_suite
from memo_core.executive import OfflineExecutive
from memo_core.generation import build_generator
from memo_core.manifest import CorpusManifest, ManifestStore, compute_delta
from memo_core.memory.model import MemoryModel, build_offline_model, load_pretrained, train_tokenizer
from memo_core.memory.training import Example, log_progress, train
from memo_core.reflections import Reflection, ReflectionCache, load_reflections, save_reflections
from memo_core.registry import CHAMPION, MemoRegistry
from memo_core.sources import read_documents
from memo_core.store import ArtifactStore

log = logging.getLogger(__name__)


def open_store(config: MemoConfig) -> ArtifactStore:
    return ArtifactStore(config.store.root, config.store.storage_options)


def open_registry(config: MemoConfig) -> MemoRegistry:
    store = open_store(config)
    cache = store.local_path("cache/models") if store.is_local else Path(".memo-cache/models")
    return MemoRegistry(
        config.tracking_uri,
        config.registry.model_name,
        config.registry.experiment,
        cache_dir=cache,
        artifact_root=config.registry.artifact_root or store.path("mlartifacts"),
    )


@dataclass(frozen=True)
class UpdatePlan:
    """What one update will do: which corpus version, from which parent, and which documents are new to it."""

    corpus_version: int
    mode: str  # "full" | "incremental"
    parent_version: str | None  # registry version the candidate continues from
    parent_corpus_version: int | None
    new_documents: list[str]
    removed_documents: list[str]
    moved_documents: list[tuple[str, str]]
    candidate_id: str

    @property
    def is_empty(self) -> bool:
        return self.mode == "incremental" and not self.new_documents and not self.removed_documents

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def plan_update(config: MemoConfig, corpus_version: int, mode: str | None = None) -> UpdatePlan:
    """Compare the corpus with what the champion was trained on; with no champion, plan a full build."""
    manifests = ManifestStore(open_store(config))
    current = manifests.get(corpus_version)
    mode = mode or config.training.mode
    champion = open_registry(config).find(CHAMPION)
    parent: CorpusManifest | None = None
    parent_version: str | None = None
    if mode == "incremental" and champion is not None:
        parent = manifests.get(int(champion.tags["corpus_version"]))
        parent_version = str(champion.version)
    else:
        mode = "full"
    delta = compute_delta(parent, current)
    settings = {
        "corpus": corpus_version,
        "parent": parent_version,
        "training": config.training.model_dump(),
        "memory": config.memory.model_dump(),
        "generator": build_generator(config.generator).settings_hash(),
        "seed": config.seed,
    }
    candidate_id = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
    return UpdatePlan(
        corpus_version=corpus_version,
        mode=mode,
        parent_version=parent_version,
        parent_corpus_version=parent.version if parent else None,
        new_documents=sorted(delta.added + delta.changed),
        removed_documents=sorted(delta.removed),
        moved_documents=delta.moved,
        candidate_id=candidate_id,
    )


def reflection_set_key(corpus_version: int) -> str:
    return f"reflections/v{corpus_version:04d}.parquet"


def build_reflection_set(config: MemoConfig, corpus_version: int) -> str:
    """Reflections for every document of the corpus version; only documents never seen are generated."""
    store = open_store(config)
    key = reflection_set_key(corpus_version)
    if store.exists(key):
        return key
    manifest = ManifestStore(store).get(corpus_version)
    generator = build_generator(config.generator)
    cache = ReflectionCache(store, generator.settings_hash())
    documents = read_documents(config.sources, manifest.documents)
    introduced = _introduction_versions(store, corpus_version)
    reflections: list[Reflection] = []
    generated = 0
    for document in documents:
        found = cache.get(document)
        if found is None:
            found = generator.reflect_document(document, corpus_version)
            cache.put(document, found)
            generated += 1
        reflections.extend(r.with_version(introduced.get(r.id, corpus_version)) for r in found)
    reflections.extend(generator.reflect_corpus(documents, corpus_version))
    log.info(
        "reflections for %d documents (%d generated, rest cached): %d",
        len(documents),
        generated,
        len(reflections),
    )
    _write_reflections(store, key, reflections)
    return key


def _introduction_versions(store: ArtifactStore, corpus_version: int) -> dict[str, int]:
    """Reflection id -> the corpus version that first held it, so retention can be stratified by version."""
    earlier = [
        k
        for k in store.list("reflections")
        if k.endswith(".parquet") and k < reflection_set_key(corpus_version)
    ]
    if not earlier:
        return {}
    return {r.id: r.corpus_version for r in read_reflection_set(store, earlier[-1])}


def _write_reflections(store: ArtifactStore, key: str, reflections: Sequence[Reflection]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(tmp) / posixpath.basename(key)
        save_reflections(reflections, local)
        store.write_bytes(key, local.read_bytes())


def read_reflection_set(store: ArtifactStore, key: str) -> list[Reflection]:
    if store.is_local:
        return load_reflections(store.local_path(key))
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(tmp) / posixpath.basename(key)
        local.write_bytes(store.read_bytes(key))
        return load_reflections(local)


@dataclass
class TrainingSet:
    new: list[Reflection]
    replay: list[Reflection]
    examples: list[Example] = field(default_factory=list)


def select_training_set(
    config: MemoConfig, plan: UpdatePlan, reflections: Sequence[Reflection]
) -> TrainingSet:
    """Every training reflection for a full build; when continuing, the new ones plus a replay sample."""
    train_split = [r for r in reflections if r.split == "train"]
    if plan.mode == "full":
        chosen = TrainingSet(new=train_split, replay=[])
    else:
        fresh = set(plan.new_documents)
        new = [r for r in train_split if fresh.intersection(r.document_ids)]
        old = [r for r in train_split if not fresh.intersection(r.document_ids)]
        size = min(len(old), round(config.training.replay_ratio * len(new)))
        chosen = TrainingSet(new=new, replay=random.Random(config.seed).sample(old, size))
    chosen.examples = [Example(r.question, r.answer) for r in chosen.new + chosen.replay]
    return chosen


def checkpoint_key(plan: UpdatePlan) -> str:
    return f"checkpoints/{plan.candidate_id}"


def train_candidate(
    config: MemoConfig, plan: UpdatePlan, reflection_key: str, parent_dir: Path | None
) -> str:
    """Train the candidate and save it; an existing complete checkpoint of the same plan is reused."""
    store = open_store(config)
    key = checkpoint_key(plan)
    if store.exists(key):
        log.info("checkpoint %s already complete; reusing it", key)
        return key
    torch.set_num_threads(os.cpu_count() or 1)
    reflections = read_reflection_set(store, reflection_key)
    training_set = select_training_set(config, plan, reflections)
    log.info(
        "training %s: %d new examples, %d replayed",
        plan.mode,
        len(training_set.new),
        len(training_set.replay),
    )
    if plan.mode == "incremental" and parent_dir is not None:
        model, tokenizer = load_pretrained(parent_dir)
        lr, epochs = config.training.incremental_learning_rate, config.training.incremental_epochs
    elif config.memory.base == "offline":
        documents = read_documents(config.sources, ManifestStore(store).get(plan.corpus_version).documents)
        texts = [d.text for d in documents] + [f"{r.question} {r.answer}" for r in reflections]
        tokenizer = train_tokenizer(texts, config.memory.offline.vocab_size)
        model = build_offline_model(tokenizer, config.memory.offline, config.seed)
        lr, epochs = config.training.learning_rate, config.training.epochs
    else:
        model, tokenizer = load_pretrained(config.memory.base)
        lr, epochs = config.training.learning_rate, config.training.epochs
    result = train(
        model, tokenizer, training_set.examples, config.training, lr, epochs, config.seed, log_progress
    )
    with store.staged_dir(key) as out:
        model.save_pretrained(out)
        tokenizer.save_pretrained(out)
        (out / "training.json").write_text(
            json.dumps(
                {
                    "steps": result.steps,
                    "examples": result.examples,
                    "new_examples": len(training_set.new),
                    "replay_examples": len(training_set.replay),
                    "final_loss": result.final_loss,
                    "tokens": result.tokens,
                    "seconds": round(result.seconds, 2),
                    "tokens_per_second": round(result.tokens_per_second, 1),
                    "learning_rate": lr,
                    "epochs": epochs,
                },
                indent=2,
            )
        )
    return key


def _sample(items: list[QAItem], limit: int, seed: int) -> list[QAItem]:
    return items if len(items) <= limit else random.Random(seed).sample(items, limit)


def build_suites(
    config: MemoConfig, plan: UpdatePlan, reflections: Sequence[Reflection]
) -> dict[str, list[QAItem]]:
    """Evaluation suites: recall of what was trained, new knowledge, retention of earlier versions."""
    limit, seed = config.evaluation.max_questions_per_suite, config.seed
    fresh = set(plan.new_documents)
    train_refs = [r for r in reflections if r.split == "train"]
    probes = [r for r in reflections if r.split == "probe"]

    def items(refs: Sequence[Reflection]) -> list[QAItem]:
        return [QAItem(r.question, (r.answer,), tag=f"v{r.corpus_version}") for r in refs]

    is_new = (lambda r: True) if plan.mode == "full" else (lambda r: bool(fresh.intersection(r.document_ids)))
    suites = {
        "new_knowledge": _sample(items([r for r in train_refs if is_new(r)]), limit, seed),
        "new_knowledge_probes": _sample(items([r for r in probes if is_new(r)]), limit, seed),
    }
    if plan.mode == "incremental":
        suites["retention"] = _sample(items([r for r in train_refs if not is_new(r)]), limit, seed)
    return suites


def heldout_questions(config: MemoConfig, manifest: CorpusManifest) -> list[QAItem]:
    """Held-out questions whose answer the current corpus still states in the documents they cite."""
    if not config.evaluation.questions_file:
        return []
    by_path = {d.path: d.text for d in read_documents(config.sources, manifest.documents)}
    selected = []
    for line in Path(config.evaluation.questions_file).read_text().splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        texts = [by_path.get(p) for p in row["documents"]]
        answers = (row["answer"], *row.get("aliases", []))
        if all(t is not None for t in texts) and any(a in t for a in answers for t in texts if t):
            selected.append(QAItem(row["question"], answers, tag=f"{row.get('hops', 1)}-hop"))
    return selected


@dataclass
class EvaluationReport:
    candidate_id: str
    suites: dict[str, SuiteResult]
    champion_suites: dict[str, SuiteResult]
    gate_passed: bool
    gate_failures: list[str]
    training: dict[str, Any]

    def metrics(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for name, suite in self.suites.items():
            if suite.count:
                out[f"{name}_em"] = round(suite.exact_match, 4)
                out[f"{name}_f1"] = round(suite.f1, 4)
                for tag, value in suite.by_tag.items():
                    out[f"{name}_em_{tag.replace('-', '_')}"] = round(value, 4)
        for name, suite in self.champion_suites.items():
            if suite.count:
                out[f"champion_{name}_em"] = round(suite.exact_match, 4)
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "candidate_id": self.candidate_id,
            "gate": {"passed": self.gate_passed, "failures": self.gate_failures},
            "metrics": self.metrics(),
            "suites": {k: asdict(v) for k, v in self.suites.items()},
            "champion_suites": {k: asdict(v) for k, v in self.champion_suites.items()},
            "training": self.training,
        }


def evaluate_candidate(
    config: MemoConfig, plan: UpdatePlan, reflection_key: str, checkpoint: str, parent_dir: Path | None
) -> str:
    """Score the candidate (and the champion on the same retention suite) and apply the gate."""
    store = open_store(config)
    key = f"reports/{plan.candidate_id}.json"
    if store.exists(key):
        return key
    reflections = read_reflection_set(store, reflection_key)
    suites = build_suites(config, plan, reflections)
    heldout = heldout_questions(config, ManifestStore(store).get(plan.corpus_version))

    candidate = MemoryModel.load(store.local_path(checkpoint), config.memory.max_new_tokens)
    results = {name: score_suite(name, items, candidate.answer) for name, items in suites.items()}
    if heldout:
        executive = OfflineExecutive(candidate.answer, config.executive)
        results["heldout"] = score_suite(
            "heldout", heldout, lambda qs: [a.answer for a in executive.ask_many(qs)]
        )
    champion_results: dict[str, SuiteResult] = {}
    if parent_dir is not None and "retention" in suites:
        champion = MemoryModel.load(parent_dir, config.memory.max_new_tokens)
        champion_results["retention"] = score_suite("retention", suites["retention"], champion.answer)

    new = results["new_knowledge"].exact_match if results["new_knowledge"].count else None
    retention = results["retention"].exact_match if "retention" in results else None
    champion_retention = champion_results["retention"].exact_match if champion_results else None
    gate = apply_gate(config.evaluation.gate, new, retention, champion_retention)
    training = json.loads((store.local_path(checkpoint) / "training.json").read_text())
    report = EvaluationReport(
        plan.candidate_id, results, champion_results, gate.passed, gate.failures, training
    )
    store.write_json(key, report.to_json())
    return key


def render_report(plan: UpdatePlan, report: dict[str, Any], version: str | None = None) -> str:
    """The candidate's report in markdown, for the Prefect artifact and the MLflow run."""
    gate = report["gate"]
    lines = [
        f"# memo knowledge update: corpus v{plan.corpus_version}",
        "",
        f"- candidate: `{plan.candidate_id}`" + (f", registered as version **{version}**" if version else ""),
        f"- mode: **{plan.mode}**"
        + (
            f" from version {plan.parent_version} (corpus v{plan.parent_corpus_version})"
            if plan.parent_version
            else ""
        ),
        f"- documents new or changed: {len(plan.new_documents)}, removed: {len(plan.removed_documents)}, "
        f"moved: {len(plan.moved_documents)}",
        f"- gate: **{'passed' if gate['passed'] else 'FAILED'}**"
        + ("".join(f"\n  - {f}" for f in gate["failures"])),
        "",
        "| suite | questions | exact match | F1 | champion EM |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, suite in report["suites"].items():
        champion = report["champion_suites"].get(name)
        lines.append(
            f"| {name} | {suite['count']} | {suite['exact_match']:.3f} | {suite['f1']:.3f} | "
            f"{champion['exact_match']:.3f} |"
            if champion
            else f"| {name} | {suite['count']} | {suite['exact_match']:.3f} | {suite['f1']:.3f} | – |"
        )
    training = report["training"]
    lines += [
        "",
        f"Training: {training['steps']} steps on {training['examples']} examples "
        f"({training['new_examples']} new, {training['replay_examples']} replayed), final loss "
        f"{training['final_loss']:.4f}, {training['tokens_per_second']:.0f} tokens/s, "
        f"{training['seconds']:.0f} s.",
    ]
    samples = report["suites"].get("heldout", {}).get("samples", [])
    if samples:
        lines += ["", "Held-out samples:", "", "| question | expected | answer |", "| --- | --- | --- |"]
        lines += [f"| {s['question']} | {s['expected']} | {s['answer']} |" for s in samples]
    return "\n".join(lines) + "\n"


def register_candidate(
    config: MemoConfig, plan: UpdatePlan, reflection_key: str, checkpoint: str, report_key: str
) -> str:
    """Register the candidate with its lineage; a plan already registered returns its existing version."""
    store = open_store(config)
    registry = open_registry(config)
    for existing in registry.versions():
        if existing.tags.get("candidate_id") == plan.candidate_id:
            log.info("candidate %s is already version %s", plan.candidate_id, existing.version)
            return str(existing.version)
    report = store.read_json(report_key)
    manifest_bytes = store.read_bytes(f"manifests/v{plan.corpus_version:04d}.json")
    tags = {
        "candidate_id": plan.candidate_id,
        "corpus_version": str(plan.corpus_version),
        "manifest_sha256": hashlib.sha256(manifest_bytes).hexdigest(),
        "reflection_set": store.path(reflection_key),
        "parent_version": plan.parent_version or "",
        "mode": plan.mode,
        "gate": "passed" if report["gate"]["passed"] else "failed",
        "gate_failures": "; ".join(report["gate"]["failures"]),
    }
    params = {
        "mode": plan.mode,
        "base": config.memory.base,
        "generator": config.generator.backend,
        "seed": config.seed,
        **{f"training.{k}": v for k, v in config.training.model_dump().items()},
        **{f"training.{k}": v for k, v in report["training"].items()},
    }
    version = registry.register_candidate(
        checkpoint_dir=store.local_path(checkpoint),
        params=params,
        metrics=report["metrics"],
        tags=tags,
        reports={"report.md": render_report(plan, report), "report.json": json.dumps(report, indent=2)},
        sample_questions=[s["question"] for s in report["suites"]["new_knowledge"]["samples"]],
    )
    return str(version.version)


def report_markdown(config: MemoConfig, plan: UpdatePlan, report_key: str | None, version: str | None) -> str:
    if report_key is None:
        what = "nothing changed since the champion's corpus" if plan.is_empty else "dry run: nothing trained"
        return (
            f"# memo knowledge update: corpus v{plan.corpus_version}\n\n{what}.\n\n"
            f"- mode: {plan.mode}\n- new or changed: {plan.new_documents}\n"
            f"- removed: {plan.removed_documents}\n"
            f"- moved: {plan.moved_documents}\n"
        )
    return render_report(plan, open_store(config).read_json(report_key), version)
