"""Flow ``watch-sources``: scan the sources on an interval and start a knowledge update when they changed.

One flow run is one look: the interval comes from the deployment's schedule (prefect.yaml), or from
``python -m flows.watch_sources SECONDS``, which serves it locally. The watcher only reads: it compares a
fresh scan with the latest manifest and never records one, because the knowledge update records the
manifest it actually trained on. So a change stays "pending" until an update has run; to avoid starting
the same update again on every tick, the watcher does not trigger while a run of the deployment is
pending, running, paused, or scheduled to start soon (a nightly run about to begin will see the change).
A failed update leaves the change pending, so the next tick starts a fresh one.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from prefect import flow, get_run_logger
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterDeploymentId,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound
from pydantic import BaseModel

from flows import load_run_config
from memo_core.sources.config import SourceConfig
from memo_core.sources.manifest import ManifestStore, pending_changes
from memo_core.store import ArtifactStore

DEFAULT_DEPLOYMENT = "knowledge-update/knowledge-update"
# A scheduled run starting within this window counts as in flight: it will scan after the change anyway.
STARTS_SOON = timedelta(minutes=10)
_IN_FLIGHT = [
    StateType.SCHEDULED,
    StateType.PENDING,
    StateType.RUNNING,
    StateType.PAUSED,
    StateType.CANCELLING,
]


class WatchResult(BaseModel):
    """One look at the sources: what is pending, and whether (and why not) an update was started."""

    latest_version: int | None
    pending: dict[str, int]
    triggered: bool
    flow_run_id: str | None = None
    reason: str


def check_sources(
    sources: Sequence[SourceConfig],
    store: ArtifactStore,
    deployment: str = DEFAULT_DEPLOYMENT,
    parameters: dict[str, Any] | None = None,
) -> WatchResult:
    """Scan, compare with the latest manifest; start ``deployment`` if something changed and no run is due."""
    pending = pending_changes(sources, ManifestStore(store))
    latest = pending.latest.version if pending.latest else None
    summary = pending.delta.summary()
    if pending.delta.is_empty():
        return WatchResult(latest_version=latest, pending=summary, triggered=False, reason="no changes")
    in_flight = runs_in_flight(deployment)
    if in_flight:
        run = in_flight[0]
        reason = f"changes pending, but run {run.name!r} of {deployment} is already {run.state_name}"
        return WatchResult(latest_version=latest, pending=summary, triggered=False, reason=reason)
    # timeout=0: create the run and return at once; the update runs on its own worker
    started = cast(
        FlowRun, run_deployment(deployment, parameters=parameters or {}, timeout=0, tags=["watch-sources"])
    )
    return WatchResult(
        latest_version=latest,
        pending=summary,
        triggered=True,
        flow_run_id=str(started.id),
        reason=f"changes pending; started run {started.name!r} of {deployment}",
    )


def runs_in_flight(deployment: str) -> list[FlowRun]:
    """Runs of ``deployment`` that will (re)scan the sources soon: pending, running, or scheduled shortly."""
    with get_client(sync_client=True) as client:
        try:
            deployment_id = client.read_deployment_by_name(deployment).id
        except ObjectNotFound:
            raise ValueError(
                f"deployment {deployment!r} not found on the Prefect API; deploy it (prefect deploy) "
                "or pass the right name as `deployment`"
            ) from None
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                deployment_id=FlowRunFilterDeploymentId(any_=[deployment_id]),
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=_IN_FLIGHT)),
            )
        )
    soon = datetime.now(UTC) + STARTS_SOON
    return [run for run in runs if run.state_type != StateType.SCHEDULED or _starts_before(run, soon)]


def _starts_before(run: FlowRun, moment: datetime) -> bool:
    return run.expected_start_time is not None and run.expected_start_time <= moment


@flow(name="watch-sources")
def watch_sources(config_path: str = "memo.yaml", deployment: str = DEFAULT_DEPLOYMENT) -> WatchResult:
    """Look at the sources once; start ``deployment`` (a knowledge update) when they changed.

    Args:
        config_path: memo.yaml, relative to the worker's checkout.
        deployment: the knowledge update to start, as flow/deployment.
    """
    config = load_run_config(config_path)
    store = ArtifactStore(config.store.root, config.store.storage_options)
    result = check_sources(config.sources, store, deployment, {"config_path": config_path})
    get_run_logger().info("%s (pending: %s)", result.reason, result.pending)
    return result


if __name__ == "__main__":
    seconds = int(sys.argv[1]) if sys.argv[1:] else 300
    watch_sources.serve(name="watch-sources", interval=timedelta(seconds=seconds))
