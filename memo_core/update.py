"""One knowledge update, as plain functions the orchestration layer calls step by step.

plan (what changed since the parent model's corpus) -> reflection set (cached per document hash) ->
training examples (new reflections plus a replay sample) -> candidate checkpoint -> evaluation and gate.
Every step returns store keys or small records, and every output is keyed so a re-run reuses it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import posixpath
import random
import shutil
import socket
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from memo_core.abstention import ABSTAIN_ANSWER, abstention_questions, vocabulary
from memo_core.canary import CanaryResult, measure_canary
from memo_core.config import MemoConfig
from memo_core.conflicts import Conflict, conflicts_markdown, find_conflicts
from memo_core.evaluation import GateResult, QAItem, SuiteResult, apply_gate, exact_match, score_suite
from memo_core.executive import OfflineExecutive
from memo_core.generation import Generator, build_generator
from memo_core.judge import build_judge
from memo_core.manifest import CorpusManifest, ManifestStore, compute_delta
from memo_core.memory.base_model import resolve_base_model
from memo_core.memory.job import (
    TrainingJob,
    TrainingJobBusy,
    launch,
    resolve_deepspeed_config,
    write_examples,
    write_job_spec,
)
from memo_core.memory.model import MemoryModel, build_offline_model, train_tokenizer
from memo_core.memory.training import Example
from memo_core.reflections import (
    Reflection,
    ReflectionCache,
    dedupe,
    load_reflections,
    normalise_text,
    save_reflections,
)
from memo_core.registry import CHAMPION, MemoRegistry, bound_requests
from memo_core.replay import incremental_examples
from memo_core.reports import save_scores_plot, score_history
from memo_core.sources import Document, read_documents
from memo_core.store import ArtifactStore
from memo_core.validation import check_threshold, quarantine_jsonl, validate_reflections

log = logging.getLogger(__name__)


def open_store(config: MemoConfig) -> ArtifactStore:
    return ArtifactStore(config.store.root, config.store.storage_options)


def open_registry(config: MemoConfig) -> MemoRegistry:
    bound_requests(config.registry.request_retries, config.registry.request_timeout_s)
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
        # what the champion learnt: a document its update could not read counts as new when it returns
        parent = manifests.without_vanished(manifests.get(int(champion.tags["corpus_version"])))
        parent_version = str(champion.version)
    else:
        mode = "full"
    delta = compute_delta(parent, current)
    settings = {
        "corpus": corpus_version,
        "parent": parent_version,
        # How often to log or checkpoint, which launcher or deployment runs the job and what environment it
        # sees do not change the model.
        "training": config.training.model_dump(
            exclude={"log_every", "checkpoint_every", "launcher", "deployment", "pass_env"}
        ),
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


_CHANGED_AFTER_SCAN = "changed after the scan; the next run picks up the new text"


def _read_as_scanned(
    config: MemoConfig, corpus_version: int, content_hashes: dict[str, str]
) -> tuple[list[Document], dict[str, str]]:
    """The documents with these ids (id -> content hash at the scan) whose text is still the scanned one,
    and why each other one is left out. A document gone or changed between the scan and this read is left
    out of the run rather than failing it (a busy folder would fail it night after night); the next scan
    records the removal or the new text."""
    read, left_out = read_documents(config.sources, content_hashes)
    documents = [d for d in read if d.content_hash == content_hashes[d.id]]
    left_out.update((d.id, _CHANGED_AFTER_SCAN) for d in read if d.content_hash != content_hashes[d.id])
    for document_id, reason in sorted(left_out.items()):
        log.warning("%s is left out of corpus v%d's update: %s", document_id, corpus_version, reason)
    return documents, left_out


def _corpus_documents(config: MemoConfig, store: ArtifactStore, manifest: CorpusManifest) -> list[Document]:
    """The documents the corpus version's reflection set was built from, as they still are."""
    learnt = ManifestStore(store).without_vanished(manifest)
    hashes = {doc_id: entry.content_hash for doc_id, entry in learnt.documents.items()}
    return _read_as_scanned(config, manifest.version, hashes)[0]


def _reflections_of(
    store: ArtifactStore, generator: Generator, document: Document, corpus_version: int
) -> list[Reflection]:
    """The document's reflections from the cache, generated and cached on a miss (each text once)."""
    cache = ReflectionCache(store, generator.settings_hash())
    found = cache.get(document)
    if found is None:
        found = generator.reflect_document(document, corpus_version)
        cache.put(document, found)
        log.info("reflected %s", document.id)
    return found


def reflect_document(config: MemoConfig, corpus_version: int, ref: DocumentRef) -> str | None:
    """The reflections of one document, generated into the store unless already there; returns their key,
    or None when the document is gone or changed since the scan (build_reflection_set records why)."""
    store = open_store(config)
    if store.exists(ref.reflections_key):
        return ref.reflections_key
    documents, _ = _read_as_scanned(config, corpus_version, {ref.document_id: ref.content_hash})
    if not documents:
        return None
    _reflections_of(store, build_generator(config.generator), documents[0], corpus_version)
    return ref.reflections_key


def build_reflection_set(config: MemoConfig, corpus_version: int) -> str:
    """Every document's reflections (generated where missing), cross-document ones, validated: failing rows
    are quarantined with reasons beside the set, and the set is written only when the quarantined share is
    within ``validation.max_quarantine_share``. Documents gone or changed since the scan are left out, and
    listed with the reason beside the manifest (``ManifestStore.vanished``)."""
    store = open_store(config)
    key = reflection_set_key(corpus_version)
    if store.exists(key):
        return key
    manifests = ManifestStore(store)
    hashes = {doc_id: entry.content_hash for doc_id, entry in manifests.get(corpus_version).documents.items()}
    documents, left_out = _read_as_scanned(config, corpus_version, hashes)
    manifests.record_vanished(corpus_version, left_out)
    generator = build_generator(config.generator)
    introduced = _introduction_versions(store, corpus_version)
    reflections: list[Reflection] = []
    for document in documents:
        found = _reflections_of(store, generator, document, corpus_version)
        reflections.extend(r.with_version(introduced.get(r.id, corpus_version)) for r in found)
    reflections.extend(generator.reflect_corpus(documents, corpus_version))
    _record_conflicts(store, corpus_version, reflections)  # before dedupe, which keeps one answer
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


def conflicts_key(corpus_version: int) -> str:
    return f"reflections/v{corpus_version:04d}.conflicts.json"


def _record_conflicts(store: ArtifactStore, corpus_version: int, reflections: Sequence[Reflection]) -> None:
    """Facts documents disagree on, beside the set for the report: trained as stated, never silently."""
    conflicts = find_conflicts(reflections)
    store.write_json(conflicts_key(corpus_version), [c.to_json() for c in conflicts])
    if conflicts:
        log.warning(
            "%d facts are stated differently by different documents (listed in the report), e.g. %r: %s",
            len(conflicts),
            conflicts[0].question,
            " / ".join(f"{answer} ({', '.join(docs)})" for answer, docs in conflicts[0].values),
        )


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
    new: list[Reflection]  # distinct reflections of new and changed documents (every one, for a full build)
    replay: list[Reflection]  # distinct earlier reflections rehearsed
    epochs: float  # passes over ``examples``
    abstentions: list[Example] = field(default_factory=list)
    examples: list[Example] = field(default_factory=list)


def select_training_set(
    config: MemoConfig, plan: UpdatePlan, reflections: Sequence[Reflection]
) -> TrainingSet:
    """Every training reflection for a full build; when continuing, the new ones with replay of earlier
    ones (``memo_core.replay``). Then ``training.abstain_ratio`` as many again of "I don't know" examples
    about invented names."""
    training = config.training
    train_split = [r for r in reflections if r.split == "train"]
    if plan.mode == "full":
        trained, epochs = train_split, training.epochs
        chosen = TrainingSet(new=train_split, replay=[], epochs=epochs)
    else:
        fresh = set(plan.new_documents)
        new = [r for r in train_split if fresh.intersection(r.document_ids)]
        old = [r for r in train_split if not fresh.intersection(r.document_ids)]
        trained, epochs = incremental_examples(
            new,
            old,
            training.replay_ratio,
            training.incremental_epochs,
            training.replay_sampling,
            config.seed,
        )
        replayed = {r.id for r in trained} - {r.id for r in new}
        chosen = TrainingSet(new=new, replay=[r for r in old if r.id in replayed], epochs=epochs)
    count = round(training.abstain_ratio * len(trained))
    taken = vocabulary(f"{r.question} {r.answer}" for r in reflections)
    unknown = abstention_questions([r.question for r in trained], count, taken, config.seed)
    chosen.abstentions = [Example(q, ABSTAIN_ANSWER) for q in unknown]
    chosen.examples = [Example(r.question, r.answer) for r in trained] + chosen.abstentions
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
        _finish_training_run(config, store.local_path(key))  # its caller may have died before doing so
        shutil.rmtree(work, ignore_errors=True)
        return key
    reflections = read_reflection_set(store, reflection_key)
    training_set = select_training_set(config, plan, reflections)
    log.info(
        'training %s: %d new examples, %d replayed, %d "I don\'t know"',
        plan.mode,
        len(training_set.new),
        len(training_set.replay),
        len(training_set.abstentions),
    )
    epochs = training_set.epochs
    if plan.mode == "incremental" and parent_dir is not None:
        model_dir, lr = parent_dir, config.training.incremental_learning_rate
    elif config.memory.base == "offline":
        model_dir = _offline_base_model(config, plan, store, reflections, work / "init")
        lr = config.training.learning_rate
    else:
        model_dir, lr = base_model_dir(config), config.training.learning_rate
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
                micro_batch_size=training.micro_batch_size,
                compile=training.compile,
                lora=training.lora,
                warmup_ratio=training.warmup_ratio,
                weight_decay=training.weight_decay,
                seed=config.seed,
                checkpoint_every=training.checkpoint_every,
                log_every=training.log_every,
                deepspeed_config=resolve_deepspeed_config(training.deepspeed_config),
                mlflow_tracking_uri=config.tracking_uri,
                mlflow_run_id=run_id,
            )
            result = launch(
                job,
                training.num_processes,
                training.launcher,
                training.hostfile,
                pass_env=tuple(training.pass_env),
            )
            summary = {
                "steps": result.steps,
                "examples": result.examples,
                "new_examples": len(training_set.new),
                "replay_examples": len(training_set.replay),
                "abstention_examples": len(training_set.abstentions),
                "final_loss": result.final_loss,
                "tokens": result.tokens,
                "seconds": round(result.seconds, 2),
                "tokens_per_second": round(result.tokens_per_second, 1),
                "learning_rate": lr,
                "epochs": epochs,
                "processes": result.processes,
                "resumed_from_step": result.resumed_from_step,
                "launch_seconds": round(result.wall_seconds, 2),
                "peak_memory_mb": result.peak_memory_mb,
                "trainable_parameters": result.trainable_parameters,
                "adapter": result.adapter,
                "mlflow_training_run": run_id,
            }
            (out / "training.json").write_text(json.dumps(summary, indent=2))
            final = job.model_copy(update={"output_dir": str(store.local_path(key))})
            write_job_spec(final, out / "training-job.json")
    except TrainingJobBusy:
        raise  # the job that holds the folder owns the run and its status
    except BaseException:
        with contextlib.suppress(Exception):  # never hide the job's own error behind MLflow's
            client.set_terminated(run_id, status="FAILED")
        raise
    client.set_terminated(run_id, status="FINISHED")
    shutil.rmtree(work, ignore_errors=True)
    return key


def _finish_training_run(config: MemoConfig, checkpoint: Path) -> None:
    """Mark a complete checkpoint's MLflow training run finished, if it is not already."""
    run_id = json.loads((checkpoint / "training.json").read_text()).get("mlflow_training_run")
    if not run_id:
        return
    client = MlflowClient(tracking_uri=config.tracking_uri)
    if client.get_run(run_id).info.status != "FINISHED":
        client.set_terminated(run_id, status="FINISHED")


def base_model_dir(config: MemoConfig) -> Path:
    """The pretrained base model (``memory.base`` other than ``offline``) as a local folder: a URL's copy
    is cached in the store, so every update and every host of a job reads the same files."""
    memory = config.memory
    cache = open_store(config).local_path("cache/base-models")
    return resolve_base_model(memory.base, cache, memory.storage_options, memory.revision)


def _offline_base_model(
    config: MemoConfig, plan: UpdatePlan, store: ArtifactStore, reflections: Sequence[Reflection], path: Path
) -> Path:
    """The locally initialised base model with a tokenizer fitted to the corpus, saved once to ``path`` so
    a resumed job starts from the very same tokenizer."""
    if path.exists():
        return path
    documents = _corpus_documents(config, store, ManifestStore(store).get(plan.corpus_version))
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


def _stratified(items: list[QAItem], limit: int, seed: int) -> list[QAItem]:
    """An equal share of ``limit`` per tag (the corpus version that introduced the fact), so a version with
    few facts is still measured and one with many does not crowd the others out."""
    groups: dict[str, list[QAItem]] = {}
    for item in items:
        groups.setdefault(item.tag, []).append(item)
    share = max(1, limit // len(groups)) if groups else 0
    return [chosen for tag in sorted(groups) for chosen in _sample(groups[tag], share, seed)]


def build_suites(
    config: MemoConfig,
    plan: UpdatePlan,
    reflections: Sequence[Reflection],
    parent_reflections: Sequence[Reflection] = (),
) -> dict[str, list[QAItem]]:
    """Evaluation suites: new knowledge (trained pairs and held-out probes of new and changed documents);
    when continuing from the champion, also retention of every earlier version, facts whose answer changed
    and facts whose only documents were removed, the last two found in ``parent_reflections`` (the
    champion's reflection set)."""
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
    # Probe wordings about invented names (other names than training's): does the memory abstain?
    taken = vocabulary(f"{r.question} {r.answer}" for r in reflections)
    unknown = abstention_questions([r.question for r in probes], min(limit, 100), taken, seed + 1)
    if unknown:
        suites["abstention"] = [QAItem(q, (ABSTAIN_ANSWER,)) for q in unknown]
    if plan.mode == "incremental":
        suites["retention"] = _stratified(items([r for r in train_refs if not is_new(r)]), limit, seed)
        changed = _changed_facts(reflections, parent_reflections, fresh)
        removed = _removed_facts(reflections, parent_reflections, set(plan.removed_documents))
        for name, found in (("changed_facts", changed), ("removed_documents", removed)):
            if found:
                suites[name] = _sample(found, limit, seed)
    return suites


def _changed_facts(
    reflections: Sequence[Reflection], parent_reflections: Sequence[Reflection], fresh: set[str]
) -> list[QAItem]:
    """Questions of new or changed documents that the champion's set also asked, with another answer: the
    candidate should give the new answer and no longer the old one. Tagged by split (train or probe)."""
    before = {normalise_text(p.question): p.answer for p in parent_reflections}
    found = []
    for r in reflections:
        old = before.get(normalise_text(r.question))
        if old is not None and fresh.intersection(r.document_ids) and not exact_match(old, [r.answer]):
            found.append(QAItem(r.question, (r.answer,), tag=r.split, old_answers=(old,)))
    return found


def _removed_facts(
    reflections: Sequence[Reflection], parent_reflections: Sequence[Reflection], removed: set[str]
) -> list[QAItem]:
    """The champion's questions whose every source document was removed and that no current document
    asks any more: nothing is true for them now, the suite measures how often the old answer remains."""
    current = {normalise_text(r.question) for r in reflections}
    return [
        QAItem(p.question, (), old_answers=(p.answer,))
        for p in parent_reflections
        if removed.issuperset(p.document_ids) and normalise_text(p.question) not in current
    ]


def heldout_questions(config: MemoConfig, manifest: CorpusManifest) -> list[QAItem]:
    """Held-out questions whose answer the current corpus still states in the documents they cite."""
    if not config.evaluation.questions_file:
        return []
    by_path = {d.path: d.text for d in _corpus_documents(config, open_store(config), manifest)}
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
    canary: CanaryResult
    gate: GateResult
    training: dict[str, Any]
    data: dict[str, Any] = field(default_factory=dict)  # conflicts, documents left out, skipped files

    def metrics(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for prefix, suites in (("", self.suites), ("champion_", self.champion_suites)):
            for name, suite in suites.items():
                if suite.exact_match is not None:
                    out[f"{prefix}{name}_em"] = round(suite.exact_match, 4)
                    for tag, value in suite.by_tag.items():
                        out[f"{prefix}{name}_em_{tag.replace('-', '_')}"] = round(value, 4)
                if prefix:
                    continue
                if suite.f1 is not None:
                    out[f"{name}_f1"] = round(suite.f1, 4)
                if suite.old_answer_rate is not None:
                    out[f"{name}_old_answer_rate"] = round(suite.old_answer_rate, 4)
                if suite.judged_correct is not None:
                    out[f"{name}_judge"] = round(suite.judged_correct, 4)
        out["canary_perplexity"] = round(self.canary.perplexity, 4)
        if self.canary.reference_perplexity is not None and self.canary.drift is not None:
            out[f"{self.canary.reference}_canary_perplexity"] = round(self.canary.reference_perplexity, 4)
            out["canary_drift"] = round(self.canary.drift, 4)
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "candidate_id": self.candidate_id,
            "gate": {
                "passed": self.gate.passed,
                "failures": self.gate.failures,
                "checks": [asdict(check) for check in self.gate.checks],
            },
            "metrics": self.metrics(),
            "suites": {k: asdict(v) for k, v in self.suites.items()},
            "champion_suites": {k: asdict(v) for k, v in self.champion_suites.items()},
            "canary": asdict(self.canary),
            "training": self.training,
            "data": self.data,
        }


def scores_plot_key(report: str) -> str:
    """The plot of scores across versions, stored beside the report it was drawn with."""
    return report.removesuffix(".json") + ".png"


def evaluate_candidate(
    config: MemoConfig, plan: UpdatePlan, reflection_key: str, checkpoint: str, parent_dir: Path | None
) -> str:
    """Score the candidate on every suite (and the champion on the same retention suite), measure the
    canary against the champion (or the base model), and apply the gate."""
    store = open_store(config)
    key = f"reports/{plan.candidate_id}.json"
    if store.exists(key):
        return key
    reflections = read_reflection_set(store, reflection_key)
    parent_key = (
        None if plan.parent_corpus_version is None else reflection_set_key(plan.parent_corpus_version)
    )
    parent_reflections = read_reflection_set(store, parent_key) if parent_key else []
    suites = build_suites(config, plan, reflections, parent_reflections)
    heldout = heldout_questions(config, ManifestStore(store).get(plan.corpus_version))
    judge = build_judge(config.evaluation.judge)
    judge_fn = judge.judge if judge is not None else None

    max_new_tokens = config.memory.max_new_tokens
    candidate = MemoryModel.load(store.local_path(checkpoint), max_new_tokens)
    results = {name: score_suite(name, items, candidate.answer, judge_fn) for name, items in suites.items()}
    if heldout:
        executive = OfflineExecutive(candidate.answer, config.executive)
        results["heldout"] = score_suite(
            "heldout", heldout, lambda qs: [a.answer for a in executive.ask_many(qs)], judge_fn
        )
    champion = MemoryModel.load(parent_dir, max_new_tokens) if parent_dir is not None else None
    champion_results: dict[str, SuiteResult] = {}
    if champion is not None and "retention" in suites:
        champion_results["retention"] = score_suite("retention", suites["retention"], champion.answer)
    max_tokens = config.evaluation.canary_max_tokens
    if champion is not None:
        canary = measure_canary(candidate, max_tokens, champion, "champion")
    elif config.memory.base != "offline":  # a pretrained base: its general ability is worth keeping
        canary = measure_canary(candidate, max_tokens, MemoryModel.load(base_model_dir(config)), "base")
    else:  # the offline base is random weights: nothing to compare with
        canary = measure_canary(candidate, max_tokens)

    retention = results["retention"].exact_match if "retention" in results else None
    champion_retention = champion_results["retention"].exact_match if champion_results else None
    gate = apply_gate(
        config.evaluation.gate,
        results["new_knowledge"].exact_match,
        retention,
        champion_retention,
        canary.drift,
    )
    training = json.loads((store.local_path(checkpoint) / "training.json").read_text())
    report = EvaluationReport(
        plan.candidate_id, results, champion_results, canary, gate, training, _data_notes(store, plan)
    )
    store.write_json(key, report.to_json())
    return key


def _data_notes(store: ArtifactStore, plan: UpdatePlan) -> dict[str, Any]:
    """What the reviewer should know about the corpus itself: facts its documents disagree on, documents
    this run could not read any more, and files the scan skipped."""
    manifests = ManifestStore(store)
    key = conflicts_key(plan.corpus_version)
    return {
        "conflicts": store.read_json(key) if store.exists(key) else [],
        "left_out": manifests.vanished(plan.corpus_version),
        "skipped": [asdict(s) for s in manifests.get(plan.corpus_version).skipped],
    }


def _score(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def render_report(plan: UpdatePlan, report: dict[str, Any], version: str | None = None) -> str:
    """The candidate's report in markdown, for the Prefect artifact and the MLflow run."""
    gate = report["gate"]
    suites, champion_suites = report["suites"], report["champion_suites"]
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
        + "".join(
            f"\n  - {c['name']}: {c['value']:.3f} (limit {c['limit']:.3f}) "
            + ("passed" if c["passed"] else "**failed**")
            for c in gate.get("checks", [])
        ),
        "",
    ]
    judged = any(s.get("judged_correct") is not None for s in suites.values())
    lines += [
        "| suite | questions | exact match | F1 | old answer given | champion EM |"
        + (" judge |" if judged else ""),
        "| --- | ---: | ---: | ---: | ---: | ---: |" + (" ---: |" if judged else ""),
    ]
    for name, suite in suites.items():
        champion = champion_suites.get(name, {})
        row = (
            f"| {name} | {suite['count']} | {_score(suite['exact_match'])} | {_score(suite['f1'])} | "
            f"{_score(suite.get('old_answer_rate'))} | {_score(champion.get('exact_match'))} |"
        )
        lines.append(row + (f" {_score(suite.get('judged_correct'))} |" if judged else ""))
    if any(s.get("old_answer_rate") is not None for s in suites.values()):
        lines += [
            "",
            "*old answer given*: share of questions whose answer changed (changed_facts) or whose only "
            "documents were removed (removed_documents) still answered with the old answer.",
        ]
    by_version = suites.get("retention", {}).get("by_tag", {})
    if by_version:
        champion_by_version = champion_suites.get("retention", {}).get("by_tag", {})
        lines += ["", "Retention by the corpus version that introduced the fact:", ""]
        lines += ["| corpus version | exact match | champion EM |", "| --- | ---: | ---: |"]
        lines += [
            f"| {tag} | {value:.3f} | {_score(champion_by_version.get(tag))} |"
            for tag, value in by_version.items()
        ]
    canary = report.get("canary")
    if canary:
        compared = (
            f"; {canary['reference']} {canary['reference_perplexity']:.2f}, drift {canary['drift']:+.1%}"
            if canary["drift"] is not None
            else "; no pretrained model to compare with"
        )
        lines += [
            "",
            f"General-text canary: perplexity {canary['perplexity']:.2f} over {canary['tokens']} tokens"
            + compared
            + ".",
        ]
    training = report["training"]
    lines += [
        "",
        f"Training: {training['steps']} steps on {training['examples']} examples "
        f"({training['new_examples']} new, {training['replay_examples']} replayed, "
        f'{training.get("abstention_examples", 0)} "I don\'t know"), final loss '
        f"{training['final_loss']:.4f}, {training['tokens_per_second']:.0f} tokens/s, "
        f"{training['seconds']:.0f} s"
        + (
            f", LoRA adapter of {training['trainable_parameters']:,} weights"
            if training.get("adapter")
            else ""
        )
        + ".",
    ]
    lines += _data_lines(report.get("data", {}))
    for name, title in (("changed_facts", "Changed facts"), ("heldout", "Held-out")):
        samples = suites.get(name, {}).get("samples", [])
        if samples:
            old = name == "changed_facts"
            lines += ["", f"{title} samples:", ""]
            lines += [
                "| question | expected | answer |" + (" old answer |" if old else ""),
                "| --- | --- | --- |" + (" --- |" if old else ""),
            ]
            lines += [
                f"| {s['question']} | {s['expected']} | {s['answer']} |"
                + (f" {s.get('old_answer', '')} |" if old else "")
                for s in samples
            ]
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def candidate_lock(config: MemoConfig, plan: UpdatePlan) -> Iterator[None]:
    """Hold the candidate for one update at a time, from training to registration.

    Two updates of the same plan (a nightly run and one started by hand, or two re-runs after a crash)
    would otherwise both train, evaluate and register it. The second waits here and then finds the first
    one's version. The lock is a file lock in the store, so it holds across the hosts that share it and
    is released by the kernel when its holder dies.
    """
    path = open_store(config).local_path(f"locks/candidate-{plan.candidate_id}.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            log.info(
                "candidate %s is held by another update (%s); waiting for it to finish",
                plan.candidate_id,
                lock.read().strip() or "holder unknown",
            )
            fcntl.flock(lock, fcntl.LOCK_EX)
        lock.truncate(0)
        lock.write(f"pid {os.getpid()} on {socket.gethostname()}\n")
        lock.flush()
        yield


def registered_version(config: MemoConfig, plan: UpdatePlan) -> str | None:
    """The version already registered for this plan's candidate, if any."""
    for existing in open_registry(config).versions():
        if existing.tags.get("candidate_id") == plan.candidate_id:
            return str(existing.version)
    return None


def _data_lines(data: dict[str, Any], limit: int = 20) -> list[str]:
    """The report's sections on the corpus: conflicting facts, documents left out, skipped files."""
    lines: list[str] = []
    conflicts = [
        Conflict(c["question"], tuple((v["answer"], tuple(v["document_ids"])) for v in c["values"]))
        for c in data.get("conflicts", [])
    ]
    if conflicts:
        lines += ["", conflicts_markdown(conflicts, limit).rstrip("\n")]
    for title, rows in (
        ("Documents left out of this run (gone or changed after the scan)", data.get("left_out", {}).items()),
        (
            "Files the scan skipped",
            [(f"{s['source']}/{s['path']}", s["reason"]) for s in data.get("skipped", [])],
        ),
    ):
        rows = list(rows)
        if rows:
            lines += ["", f"{title}: {len(rows)}", "", "| file | reason |", "| --- | --- |"]
            lines += [f"| {name} | {reason} |" for name, reason in rows[:limit]]
            if len(rows) > limit:
                lines += ["", f"and {len(rows) - limit} more"]
    return lines


def register_candidate(
    config: MemoConfig, plan: UpdatePlan, reflection_key: str, checkpoint: str, report_key: str
) -> str:
    """Register the candidate with its lineage; a plan already registered returns its existing version."""
    store = open_store(config)
    registry = open_registry(config)
    existing = registered_version(config, plan)
    if existing is not None:
        log.info("candidate %s is already version %s", plan.candidate_id, existing)
        return existing
    report = store.read_json(report_key)
    manifest_bytes = store.read_bytes(f"manifests/v{plan.corpus_version:04d}.json")
    tags = {
        "candidate_id": plan.candidate_id,
        "corpus_version": str(plan.corpus_version),
        "manifest_sha256": hashlib.sha256(manifest_bytes).hexdigest(),
        "reflection_set": store.uri(reflection_key),
        "parent_version": plan.parent_version or "",
        "mode": plan.mode,
        "conflicting_facts": str(len(report.get("data", {}).get("conflicts", []))),
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
        gate_failures=report["gate"]["failures"],
        reflections=read_reflection_set(store, reflection_key),
    )
    _log_scores_plot(store, registry, report_key, str(version.run_id))
    return str(version.version)


def _log_scores_plot(store: ArtifactStore, registry: MemoRegistry, report_key: str, run_id: str) -> None:
    """New-knowledge and retention scores of every registered version, this one included, drawn beside the
    report in the store and on the version's run (``report/scores.png``)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = save_scores_plot(score_history(registry), Path(tmp) / "scores.png")
        store.write_bytes(scores_plot_key(report_key), path.read_bytes())
        registry.client.log_artifact(run_id, str(path), "report")


def report_markdown(config: MemoConfig, plan: UpdatePlan, report_key: str | None, version: str | None) -> str:
    if report_key is None:
        what = "nothing changed since the champion's corpus" if plan.is_empty else "dry run: nothing trained"
        return (
            f"# memo knowledge update: corpus v{plan.corpus_version}\n\n{what}.\n\n"
            f"- mode: {plan.mode}\n- new or changed: {plan.new_documents}\n"
            f"- removed: {plan.removed_documents}\n"
            f"- moved: {plan.moved_documents}\n"
        )
    store = open_store(config)
    markdown = render_report(plan, store.read_json(report_key), version)
    plot = scores_plot_key(report_key)
    if store.exists(plot):
        markdown += f"\nScores across versions: `{store.uri(plot)}`\n"
    return markdown
