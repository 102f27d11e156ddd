"""Prefect tasks of a knowledge update: thin wrappers over memo_core.update that pass keys, not objects."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.context import TaskRunContext
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
def reflect_document(config: MemoConfig, corpus_version: int, ref: DocumentRef) -> str:
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


@task(name="evaluate-candidate")
def evaluate_candidate(
    config: MemoConfig, plan: UpdatePlan, reflection_key: str, checkpoint: str, parent_dir: str | None
) -> str:
    return update.evaluate_candidate(
        config, plan, reflection_key, checkpoint, Path(parent_dir) if parent_dir else None
    )


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
        "corpus_version": plan.corpus_version,
        "mode": plan.mode,
        "version": version,
        "metrics": metrics or {},
    }
