"""Prefect tasks of the training stage (``memo_core.training``): the job in this run, or on a deployment."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from prefect import task
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound
from prefect.states import State

from memo_core.config import MemoConfig
from memo_core.plan.planner import UpdatePlan
from memo_core.runtime import open_store
from memo_core.store import checkpoint_key
from memo_core.training import candidate
from memo_core.training.examples import TrainingDiverged


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
    return candidate.train_candidate(config, plan, reflection_key, Path(parent_dir) if parent_dir else None)


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
    key = checkpoint_key(plan.candidate_id)
    if not open_store(config).exists(key):
        raise RuntimeError(
            f"training run {run.name!r} of {deployment} completed, but checkpoint {key} of candidate "
            f"{plan.candidate_id} is not in the store {config.store.root}: the training host must share "
            "the store and load the same config (memo.yaml and MEMO__ variables)"
        )
    return key
