"""Deployments and flow runs on the Prefect API a test talks to (a temporary server or the stack's)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterDeploymentId, LogFilter
from prefect.client.schemas.objects import FlowRun
from prefect.deployments.runner import RunnerDeployment
from prefect.logging.handlers import APILogWorker


def deploy_stand_in(stand_in: Any, prefix: str) -> str:
    """A fresh deployment of the flow ``stand_in``, as FLOW/NAME: a new name per test, so runs one test
    leaves behind never hold back another."""
    runner_deployment = stand_in.to_deployment(name=f"{prefix}-{uuid.uuid4().hex[:8]}")
    assert isinstance(runner_deployment, RunnerDeployment)
    runner_deployment.apply()
    return f"{stand_in.name}/{runner_deployment.name}"


def runs_of(deployment: str, wait_s: float = 0.0) -> list[FlowRun]:
    """Every flow run of the deployment FLOW/NAME; with ``wait_s``, wait up to that long for the first (a
    trigger's run is created a little after its event)."""
    deadline = time.monotonic() + wait_s
    with get_client(sync_client=True) as client:
        deployment_id = client.read_deployment_by_name(deployment).id
        while True:
            runs = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(deployment_id=FlowRunFilterDeploymentId(any_=[deployment_id]))
            )
            if runs or time.monotonic() >= deadline:
                return runs
            time.sleep(0.5)


def run_logs(
    flow_run_id: UUID, until: Callable[[list[str]], bool] = lambda _: True, wait_s: float = 60.0
) -> list[str]:
    """Every line of the flow run's log, page by page (the API answers at most a page per request). Lines
    this process still holds (a flow run in it sends its log in the background) are sent first. A run in
    another process (a worker's) sends its lines on its own time, so the log is read again, up to
    ``wait_s``, until ``until`` holds for it."""
    APILogWorker.drain_all(timeout=30)
    deadline = time.monotonic() + wait_s
    with get_client(sync_client=True) as client:
        while True:
            lines: list[str] = []
            while page := client.read_logs(LogFilter(flow_run_id={"any_": [flow_run_id]}), offset=len(lines)):
                lines += [log.message for log in page]
            if until(lines) or time.monotonic() >= deadline:
                return lines
            time.sleep(1)
