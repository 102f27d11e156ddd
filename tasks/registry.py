"""Prefect tasks of the registry stage (``memo_core.registry``): the champion's weights, and registration."""

from __future__ import annotations

from prefect import task
from prefect.runtime import flow_run
from prefect.utilities.urls import url_for

from memo_core.config import MemoConfig
from memo_core.plan.planner import UpdatePlan
from memo_core.registry import register
from memo_core.runtime import open_registry


@task(name="fetch-parent-model", retries=2, retry_delay_seconds=5)
def fetch_parent_model(config: MemoConfig, plan: UpdatePlan) -> str | None:
    if plan.parent_version is None:
        return None
    return str(open_registry(config).memory_dir(plan.parent_version))


@task(name="find-registered-version")
def find_registered_version(config: MemoConfig, plan: UpdatePlan) -> str | None:
    return register.registered_version(config, plan)


@task(name="register-candidate", retries=2, retry_delay_seconds=5)
def register_candidate(
    config: MemoConfig, plan: UpdatePlan, reflection_key: str, checkpoint: str, report_key: str
) -> str:
    run_id = flow_run.get_id()
    flow_run_url = url_for("flow-run", obj_id=run_id) if run_id else None
    return register.register_candidate(config, plan, reflection_key, checkpoint, report_key, flow_run_url)


@task(name="review-links")
def review_links(config: MemoConfig, version: str) -> dict[str, str]:
    return register.review_links(config, version)
