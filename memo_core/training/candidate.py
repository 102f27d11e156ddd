"""The training step of an update: the candidate's examples, its starting model (the champion, a pretrained
base or the offline model built here) and the job that trains it, with its MLflow training run.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
from collections.abc import Sequence
from pathlib import Path

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from memo_core.config import MemoConfig
from memo_core.memory.base_model import resolve_base_model
from memo_core.memory.model import build_offline_model, train_tokenizer
from memo_core.plan.planner import UpdatePlan
from memo_core.reflections.build import _corpus_documents, read_reflection_set
from memo_core.reflections.records import Reflection
from memo_core.runtime import open_store
from memo_core.sources.manifest import ManifestStore
from memo_core.store import ArtifactStore, checkpoint_key, training_work_key
from memo_core.training.examples import select_training_set
from memo_core.training.job import (
    TrainingJob,
    TrainingJobBusy,
    launch,
    resolve_deepspeed_config,
    write_examples,
    write_job_spec,
)

log = logging.getLogger(__name__)


def train_candidate(
    config: MemoConfig, plan: UpdatePlan, reflection_key: str, parent_dir: Path | None
) -> str:
    """Train the candidate as a training job of its own (``memo_core.training.job``) and save it.

    An existing complete checkpoint of the same plan is reused; a job killed part-way resumes from its
    last checkpoint in the store when the update runs again.
    """
    store = open_store(config)
    key = checkpoint_key(plan.candidate_id)
    work = store.local_path(training_work_key(plan.candidate_id))
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
