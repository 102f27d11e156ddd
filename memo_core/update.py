"""One knowledge update, as plain functions the orchestration layer calls step by step.

plan (what changed since the parent model's corpus) -> reflection set (cached per document hash) ->
training examples (new reflections plus a replay sample) -> candidate checkpoint -> evaluation and gate.
Every step returns store keys or small records, and every output is keyed so a re-run reuses it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import posixpath
import random
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from memo_core.config import MemoConfig
from memo_core.evaluation import QAItem, SuiteResult, apply_gate, score_suite
from memo_core.executive import OfflineExecutive
from memo_core.generation import build_generator
from memo_core.manifest import CorpusManifest, ManifestStore, compute_delta
from memo_core.memory.job import TrainingJob, launch, resolve_deepspeed_config, write_examples, write_job_spec
from memo_core.memory.model import MemoryModel, build_offline_model, train_tokenizer
from memo_core.memory.training import Example
from memo_core.reflections import Reflection, ReflectionCache, dedupe, load_reflections, save_reflections
from memo_core.registry import CHAMPION, MemoRegistry
from memo_core.sources import Document, read_documents
from memo_core.store import ArtifactStore
from memo_core.validation import check_threshold, quarantine_jsonl, validate_reflections

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
        # How often to log or checkpoint, and which launcher starts the job, do not change the model.
        "training": config.training.model_dump(exclude={"log_every", "checkpoint_every", "launcher"}),
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


@dataclass(frozen=True)
class DocumentRef:
    """A document of a corpus version, and the store key its reflections live at once generated (keyed by
    its content and the generator's settings, so an unchanged document is never distilled twice)."""

    document_id: str
    content_hash: str
    reflections_key: str
    stored: bool


def document_refs(config: MemoConfig, corpus_version: int) -> list[DocumentRef]:
    store = open_store(config)
    manifest = ManifestStore(store).get(corpus_version)
    cache = ReflectionCache(store, build_generator(config.generator).settings_hash())
    refs = []
    for document_id, entry in manifest.documents.items():
        key = cache.key_for(entry.content_hash)
        refs.append(DocumentRef(document_id, entry.content_hash, key, store.exists(key)))
    return refs


def reflect_document(config: MemoConfig, corpus_version: int, ref: DocumentRef) -> str:
    """The reflections of one document, generated into the store unless already there; returns their key."""
    store = open_store(config)
    if store.exists(ref.reflections_key):
        return ref.reflections_key
    [document] = read_documents(config.sources, [ref.document_id])
    if document.content_hash != ref.content_hash:
        raise RuntimeError(
            f"{ref.document_id} changed after corpus v{corpus_version} was scanned; the next run will "
            "pick up the new text"
        )
    generator = build_generator(config.generator)
    ReflectionCache(store, generator.settings_hash()).put(
        document, generator.reflect_document(document, corpus_version)
    )
    log.info("reflected %s", ref.document_id)
    return ref.reflections_key


def build_reflection_set(config: MemoConfig, corpus_version: int) -> str:
    """Every document's reflections (generated where missing), cross-document ones, validated: failing rows
    are quarantined with reasons beside the set, and the set is written only when the quarantined share is
    within ``validation.max_quarantine_share``."""
    store = open_store(config)
    key = reflection_set_key(corpus_version)
    if store.exists(key):
        return key
    refs = document_refs(config, corpus_version)
    for ref in refs:
        reflect_document(config, corpus_version, ref)
    generator = build_generator(config.generator)
    cache = ReflectionCache(store, generator.settings_hash())
    documents = read_documents(config.sources, [ref.document_id for ref in refs])
    introduced = _introduction_versions(store, corpus_version)
    reflections: list[Reflection] = []
    for document in documents:
        found = cache.get(document) or []
        reflections.extend(r.with_version(introduced.get(r.id, corpus_version)) for r in found)
    reflections.extend(generator.reflect_corpus(documents, corpus_version))
    unique = dedupe(reflections)  # the same question asked from two documents is kept once
    log.info(
        "reflections for %d documents: %d, %d after removing repeated questions",
        len(documents),
        len(reflections),
        len(unique),
    )
    reflections = unique
    kept = _validate(config, store, key, reflections, {d.id: d for d in documents})
    _write_reflections(store, key, kept)
    return key


def _validate(
    config: MemoConfig,
    store: ArtifactStore,
    key: str,
    reflections: Sequence[Reflection],
    documents: dict[str, Document],
) -> list[Reflection]:
    """Great Expectations checks on the set; the quarantine, the summary and the data docs are written
    beside it before the threshold is applied, so a failed run leaves its evidence."""
    stem = key.removesuffix(".parquet")
    with tempfile.TemporaryDirectory() as tmp:
        docs_dir = Path(tmp) / "data-docs"
        result = validate_reflections(reflections, documents, config.validation, docs_dir)
        if result.data_docs_index is not None:
            for path in sorted(docs_dir.rglob("*")):
                if path.is_file():
                    relative = path.relative_to(docs_dir).as_posix()
                    store.write_bytes(f"{stem}.data-docs/{relative}", path.read_bytes())
            index = f"{stem}.data-docs/{result.data_docs_index.relative_to(docs_dir).as_posix()}"
            result.data_docs_index = store.local_path(index) if store.is_local else None
    store.write_bytes(f"{stem}.quarantine.jsonl", quarantine_jsonl(result))
    store.write_json(f"{stem}.validation.json", result.to_json())
    log.info(
        "validation: %d of %d reflections quarantined (%s)",
        len(result.quarantined),
        result.total,
        ", ".join(f"{reason} {count}" for reason, count in result.reason_counts.items()) or "none",
    )
    check_threshold(result, config.validation, store.path(f"{stem}.quarantine.jsonl"))
    return result.kept


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


def training_work_key(plan: UpdatePlan) -> str:
    """Where a candidate's training job keeps its spec, examples, starting model and resumable checkpoints:
    beside the candidate's checkpoint, removed once that is complete."""
    return f"{checkpoint_key(plan)}.training"


def train_candidate(
    config: MemoConfig, plan: UpdatePlan, reflection_key: str, parent_dir: Path | None
) -> str:
    """Train the candidate as a training job of its own (``memo_core.memory.job``) and save it.

    An existing complete checkpoint of the same plan is reused; a job killed part-way resumes from its
    last checkpoint in the store when the update runs again.
    """
    store = open_store(config)
    key = checkpoint_key(plan)
    work = store.local_path(training_work_key(plan))
    if store.exists(key):
        log.info("checkpoint %s already complete; reusing it", key)
        shutil.rmtree(work, ignore_errors=True)
        return key
    reflections = read_reflection_set(store, reflection_key)
    training_set = select_training_set(config, plan, reflections)
    log.info(
        "training %s: %d new examples, %d replayed",
        plan.mode,
        len(training_set.new),
        len(training_set.replay),
    )
    if plan.mode == "incremental" and parent_dir is not None:
        model_dir = parent_dir
        lr, epochs = config.training.incremental_learning_rate, config.training.incremental_epochs
    elif config.memory.base == "offline":
        model_dir = _offline_base_model(config, plan, store, reflections, work / "init")
        lr, epochs = config.training.learning_rate, config.training.epochs
    else:
        model_dir = Path(config.memory.base)
        lr, epochs = config.training.learning_rate, config.training.epochs
    examples = work / "examples.jsonl"
    if not examples.exists():  # the same plan selects the same examples: a resumed job keeps its batches
        write_examples(training_set.examples, work / ".examples.jsonl.tmp").replace(examples)

    training = config.training
    run_id = _training_run(config, plan, work)
    client = MlflowClient(tracking_uri=config.tracking_uri)
    try:
        with store.staged_dir(key) as out:
            job = TrainingJob(
                model_dir=str(model_dir),
                examples_file=str(examples),
                output_dir=str(out),
                checkpoint_dir=str(work / "steps"),
                learning_rate=lr,
                epochs=epochs,
                max_steps=training.max_steps,
                batch_size=training.batch_size,
                warmup_ratio=training.warmup_ratio,
                weight_decay=training.weight_decay,
                seed=config.seed,
                checkpoint_every=training.checkpoint_every,
                log_every=training.log_every,
                deepspeed_config=resolve_deepspeed_config(training.deepspeed_config),
                mlflow_tracking_uri=config.tracking_uri,
                mlflow_run_id=run_id,
            )
            result = launch(job, training.num_processes, training.launcher, training.hostfile)
            summary = {
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
                "processes": result.processes,
                "resumed_from_step": result.resumed_from_step,
                "launch_seconds": round(result.wall_seconds, 2),
                "mlflow_training_run": run_id,
            }
            (out / "training.json").write_text(json.dumps(summary, indent=2))
            final = job.model_copy(update={"output_dir": str(store.local_path(key))})
            write_job_spec(final, out / "training-job.json")
    except BaseException:
        with contextlib.suppress(Exception):  # never hide the job's own error behind MLflow's
            client.set_terminated(run_id, status="FAILED")
        raise
    client.set_terminated(run_id, status="FINISHED")
    shutil.rmtree(work, ignore_errors=True)
    return key


def _offline_base_model(
    config: MemoConfig, plan: UpdatePlan, store: ArtifactStore, reflections: Sequence[Reflection], path: Path
) -> Path:
    """The locally initialised base model with a tokenizer fitted to the corpus, saved once to ``path`` so
    a resumed job starts from the very same tokenizer."""
    if path.exists():
        return path
    documents = read_documents(config.sources, ManifestStore(store).get(plan.corpus_version).documents)
    texts = [d.text for d in documents] + [f"{r.question} {r.answer}" for r in reflections]
    tokenizer = train_tokenizer(texts, config.memory.offline.vocab_size)
    model = build_offline_model(tokenizer, config.memory.offline, config.seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".tmp-{path.name}")
    shutil.rmtree(staging, ignore_errors=True)
    model.save_pretrained(staging)
    tokenizer.save_pretrained(staging)
    staging.replace(path)
    return path


def _training_run(config: MemoConfig, plan: UpdatePlan, work: Path) -> str:
    """The MLflow run that receives the job's progress metrics: created once per candidate, and taken up
    again by a resumed job so its curves continue where they stopped."""
    client = MlflowClient(tracking_uri=config.tracking_uri)
    saved = work / "mlflow_run_id"
    if saved.exists():
        run_id = saved.read_text().strip()
        try:
            client.update_run(run_id, status="RUNNING")
            return run_id
        except MlflowException:
            log.warning("MLflow run %s of the interrupted job is gone; starting a new one", run_id)
    experiment = client.get_experiment_by_name(config.registry.experiment)
    if experiment is None:
        artifacts = config.registry.artifact_root or open_store(config).path("mlartifacts")
        experiment_id = client.create_experiment(config.registry.experiment, artifact_location=artifacts)
    else:
        experiment_id = experiment.experiment_id
    run = client.create_run(
        experiment_id,
        run_name=f"train-{plan.candidate_id}",
        tags={
            "candidate_id": plan.candidate_id,
            "corpus_version": str(plan.corpus_version),
            "kind": "training",
        },
    )
    work.mkdir(parents=True, exist_ok=True)
    saved.write_text(run.info.run_id)
    return str(run.info.run_id)


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
