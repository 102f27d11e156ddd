"""Prefect tasks of a knowledge update: thin wrappers over memo_core.update that pass keys, not objects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import task
from prefect.artifacts import create_markdown_artifact

from memo_core import update
from memo_core.config import MemoConfig
from memo_core.update import UpdatePlan


@task(name="plan-update")
def plan_update(config: MemoConfig, corpus_version: int, mode: str | None) -> UpdatePlan:
    return update.plan_update(config, corpus_version, mode)


@task(name="generate-reflections", retries=1)
def generate_reflections(config: MemoConfig, corpus_version: int) -> str:
    return update.build_reflection_set(config, corpus_version)


@task(name="fetch-parent-model", retries=2, retry_delay_seconds=5)
def fetch_parent_model(config: MemoConfig, plan: UpdatePlan) -> str | None:
    if plan.parent_version is None:
        return None
    return str(update.open_registry(config).memory_dir(plan.parent_version))


@task(name="train-candidate")
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
