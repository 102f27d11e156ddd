"""Training on the fine-tune deployment, against a real (temporary) Prefect server: the GPU host's slots the
flow holds, and how a knowledge update takes the outcome of the deployment's run. The whole path, with a
worker on the GPU pool training for real, runs in tests/test_stack_e2e.py."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.concurrency.asyncio import ConcurrencySlotAcquisitionError
from prefect.states import Completed, Failed, State
from prefect.testing.utilities import prefect_test_harness
from prefect_helpers import deploy_stand_in, runs_of

from flows.fine_tune import GPU_LIMIT_ENV, gpu_slots
from memo_core.config import MemoConfig
from memo_core.plan.planner import UpdatePlan
from memo_core.store import StoreConfig, checkpoint_key
from tasks.training import train_candidate_on_deployment


@pytest.fixture(scope="module")
def prefect_api() -> Iterator[None]:
    with prefect_test_harness(server_startup_timeout=120):
        with get_client(sync_client=True) as client:
            client.upsert_global_concurrency_limit_by_name("gpu-host-a", 4)
            client.upsert_global_concurrency_limit_by_name("gpu-host-b", 4)
        yield


def active_slots(name: str) -> int:
    with get_client(sync_client=True) as client:
        return client.read_global_concurrency_limit_by_name(name).active_slots


@flow
def train_holding(occupy: int) -> dict[str, int]:
    """Stands in for training: what the limits show while the slots are held."""
    with gpu_slots(occupy):
        return {name: active_slots(name) for name in ("gpu-host-a", "gpu-host-b")}


def test_training_holds_its_gpus_on_every_named_host_until_done(
    prefect_api: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(GPU_LIMIT_ENV, "gpu-host-a, gpu-host-b")
    assert train_holding(3) == {"gpu-host-a": 3, "gpu-host-b": 3}
    assert active_slots("gpu-host-a") == active_slots("gpu-host-b") == 0


def test_without_a_limit_named_nothing_is_held(prefect_api: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(GPU_LIMIT_ENV, raising=False)
    assert train_holding(2) == {"gpu-host-a": 0, "gpu-host-b": 0}


def test_a_limit_that_does_not_exist_fails_rather_than_train_unguarded(
    prefect_api: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(GPU_LIMIT_ENV, "gpu-host-nowhere")
    with pytest.raises(ConcurrencySlotAcquisitionError, match="gpu-host-nowhere"):
        train_holding(1)


@flow(name="fine-tune")
def stand_in_fine_tune(config_path: str, corpus_version: int, mode: str | None = None) -> str:
    """Stands in for the fine-tune flow: these tests settle its runs' states themselves."""
    return config_path


@pytest.fixture
def deployment(prefect_api: None) -> str:
    return deploy_stand_in(stand_in_fine_tune, "gpu")


@pytest.fixture
def config(tmp_path: Path) -> MemoConfig:
    return MemoConfig(store=StoreConfig(root=str(tmp_path / "store")))


PLAN = UpdatePlan(
    corpus_version=3,
    mode="incremental",
    parent_version="2",
    parent_corpus_version=2,
    new_documents=["docs/a.md"],
    removed_documents=[],
    moved_documents=[],
    candidate_id="0123456789ab",
)


def settle_the_run(deployment: str, state: State) -> None:
    """Play the GPU worker: when the update has started its run, give the run its final ``state``."""

    def settle() -> None:
        while not (runs := runs_of(deployment)):
            time.sleep(0.2)
        with get_client(sync_client=True) as client:
            client.set_flow_run_state(runs[0].id, state, force=True)

    threading.Thread(target=settle, daemon=True).start()


def test_a_completed_training_run_hands_over_its_checkpoint(deployment: str, config: MemoConfig) -> None:
    key = checkpoint_key(PLAN.candidate_id)
    (Path(config.store.root) / key).mkdir(parents=True)  # what the run left in the shared store
    settle_the_run(deployment, Completed())
    assert train_candidate_on_deployment(deployment, config, "memo.yaml", PLAN) == key
    [run] = runs_of(deployment)  # the plan's corpus version and resolved mode, so the host plans the same
    assert run.parameters == {"config_path": "memo.yaml", "corpus_version": 3, "mode": "incremental"}


def test_a_failed_training_run_fails_the_update_naming_it(deployment: str, config: MemoConfig) -> None:
    settle_the_run(deployment, Failed(message="CUDA out of memory"))
    ended = f"training run '.+' of {deployment} ended Failed: CUDA out of memory"
    with pytest.raises(RuntimeError, match=ended):
        train_candidate_on_deployment(deployment, config, "memo.yaml", PLAN)


def test_a_run_that_left_no_checkpoint_for_this_plan_fails_the_update(
    deployment: str, config: MemoConfig
) -> None:
    settle_the_run(deployment, Completed())  # e.g. the GPU host loaded another config: another candidate
    with pytest.raises(RuntimeError, match="checkpoint checkpoints/0123456789ab of candidate .* is not in"):
        train_candidate_on_deployment(deployment, config, "memo.yaml", PLAN)


def test_a_deployment_that_is_not_there_is_named_with_the_fix(prefect_api: None, config: MemoConfig) -> None:
    with pytest.raises(ValueError, match="training.deployment 'fine-tune/nowhere' is not deployed"):
        train_candidate_on_deployment("fine-tune/nowhere", config, "memo.yaml", PLAN)
