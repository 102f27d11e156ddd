"""Prefect tasks of a knowledge update: thin wrappers over memo_core.update that pass keys, not objects."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, cast

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.client.schemas.objects import FlowRun
from prefect.context import TaskRunContext
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound
from prefect.states import State

from memo_core import update
from memo_core.config import MemoConfig
from memo_core.memory.training import TrainingDiverged
from memo_core.update import DocumentRef, UpdatePlan


@task(name="plan-update")
def plan_update(config: MemoConfig, corpus_version: int, mode: str | None) -> UpdatePlan:
    return update.plan_update(config, corpus_version, mode)


@task(name="list-documents")
def list_documents(config: MemoConfig, corpus_version: int) -> list[DocumentRef]:
    return update.document_refs(config, corpus_version)


def _document_cache_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    """Same store, same generator settings, same text: the same reflections (the key names all three)."""
    config: MemoConfig = parameters["config"]
    ref: DocumentRef = parameters["ref"]
    root = config.store.root if "://" in config.store.root else os.path.abspath(config.store.root)
    where = hashlib.sha256(root.encode()).hexdigest()[:12]
    return f"memo-reflections-{where}-{ref.reflections_key.replace('/', '-')}"


@task(
    name="reflect-document",
    task_run_name="reflect {ref.document_id}",
    cache_key_fn=_document_cache_key,
    persist_result=True,
    retries=2,
    retry_delay_seconds=10,
)
def reflect_document(config: MemoConfig, corpus_version: int, ref: DocumentRef) -> str | None:
    return update.reflect_document(config, corpus_version, ref)


@task(name="build-reflection-set", retries=1)
def build_reflection_set(config: MemoConfig, corpus_version: int) -> str:
    return update.build_reflection_set(config, corpus_version)


@task(name="fetch-parent-model", retries=2, retry_delay_seconds=5)
def fetch_parent_model(config: MemoConfig, plan: UpdatePlan) -> str | None:
    if plan.parent_version is None:
        return None
    return str(update.open_registry(config).memory_dir(plan.parent_version))


def _resumable(task: Any, task_run: Any, state: State) -> bool:
    """Retry (which resumes from the last checkpoint) unless the loss diverged: that would diverge again."""
    try:
        state.result()
    except TrainingDiverged:
        return False
    except Exception:
        return True
    return True


@task(name="train-candidate", retries=1, retry_delay_seconds=30, retry_condition_fn=_resumable)
def train_candidate(config: MemoConfig, plan: UpdatePlan, reflection_key: str, parent_dir: str | None) -> str:
    return update.train_candidate(config, plan, reflection_key, Path(parent_dir) if parent_dir else None)


@task(name="train-candidate-on-deployment")
def train_candidate_on_deployment(
    deployment: str, config: MemoConfig, config_path: str, plan: UpdatePlan
) -> str:
    """Train on ``deployment`` (the fine-tune flow on the GPU pool) and wait for it to finish.

    The checkpoint comes back through the shared artifact store, under the key this plan gives it; a host
    that planned another candidate (another config or MEMO__ overrides, or a champion that moved in
    between) leaves nothing under that key, which fails the update rather than evaluate the wrong model.
    """
    parameters = {"config_path": config_path, "corpus_version": plan.corpus_version, "mode": plan.mode}
    try:
        run = cast(FlowRun, run_deployment(deployment, parameters=parameters, timeout=None))
    except ObjectNotFound:
        raise ValueError(
            f"training.deployment {deployment!r} is not deployed on the Prefect API; deploy it "
            "(prefect deploy --name fine-tune) or unset training.deployment to train in the update's own run"
        ) from None
    if run.state is None or not run.state.is_completed():
        ended = f"{run.state.name}: {run.state.message or 'see its logs'}" if run.state else "without a state"
        raise RuntimeError(f"training run {run.name!r} of {deployment} ended {ended}")
    key = update.checkpoint_key(plan)
    if not update.open_store(config).exists(key):
        raise RuntimeError(
            f"training run {run.name!r} of {deployment} completed, but checkpoint {key} of candidate "
            f"{plan.candidate_id} is not in the store {config.store.root}: the training host must share "
            "the store and load the same config (memo.yaml and MEMO__ variables)"
        )
    return key


@task(name="evaluate-candidate")
def evaluate_candidate(
    config: MemoConfig, plan: UpdatePlan, reflection_key: str, checkpoint: str, parent_dir: str | None
) -> str:
    return update.evaluate_candidate(
        config, plan, reflection_key, checkpoint, Path(parent_dir) if parent_dir else None
    )


@task(name="find-registered-version")
def find_registered_version(config: MemoConfig, plan: UpdatePlan) -> str | None:
    return update.registered_version(config, plan)


@task(name="register-candidate", retries=2, retry_delay_seconds=5)
def register_candidate(
    config: MemoConfig, plan: UpdatePlan, reflection_key: str, checkpoint: str, report_key: str
) -> str:
    return update.register_candidate(config, plan, reflection_key, checkpoint, report_key)


@task(name="publish-report")
def publish_report(config: MemoConfig, plan: UpdatePlan, report_key: str | None, version: str | None) -> str:
    markdown = update.report_markdown(config, plan, report_key, version)
    create_markdown_artifact(
        markdown=markdown,
        key=f"knowledge-update-v{plan.corpus_version}",
        description=f"memo update of corpus v{plan.corpus_version}",
    )
    return markdown


def summary(
    plan: UpdatePlan, status: str, version: str | None = None, metrics: dict[str, Any] | None = None
) -> dict:
    return {
        "status": status,
        "candidate_id": plan.candidate_id,
        "corpus_version": plan.corpus_version,
        "mode": plan.mode,
        "version": version,
        "metrics": metrics or {},
    }
