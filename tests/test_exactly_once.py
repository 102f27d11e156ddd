"""Exactly-once registration: real ``memo update`` processes started together on one store register one
version, and so do two re-runs of an update killed after its training finished."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from mlflow import MlflowClient

from memo_core.config import load_config
from memo_core.runtime import open_registry

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
pytestmark = pytest.mark.slow


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in sorted(p.name for p in (EXAMPLES / "batch1").iterdir())[:3]:
        shutil.copy(EXAMPLES / "batch1" / name, corpus / name)
    config = {
        "store": {"root": "store"},
        "sources": [{"name": "docs", "url": "corpus", "include": ["*.md", "*.txt"]}],
        "memory": {
            "offline": {"layers": 1, "hidden": 64, "heads": 2, "intermediate": 128, "vocab_size": 600}
        },
        "training": {"epochs": 2, "batch_size": 16, "max_steps": 30, "checkpoint_every": 10},
        "evaluation": {"max_questions_per_suite": 20, "gate": {"min_new_knowledge": 0.0}},
        "registry": {"model_name": "memo-once"},
    }
    (tmp_path / "memo.yaml").write_text(yaml.safe_dump(config))
    return tmp_path


def start_update(workspace: Path, name: str) -> subprocess.Popen[bytes]:
    """``memo update`` as its own process (and process group), its output in ``<name>.log``."""
    env = {**os.environ, "PREFECT_HOME": str(workspace / "prefect")}
    with (workspace / f"{name}.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "flows.cli", "update", "--config", str(workspace / "memo.yaml")],
            cwd=workspace,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def finish(workspace: Path, *names: str, processes: list[subprocess.Popen[bytes]]) -> list[str]:
    """Wait for every process; their outputs, each asserted to have exited 0."""
    outputs = []
    for name, process in zip(names, processes, strict=True):
        process.wait(timeout=480)
        output = (workspace / f"{name}.log").read_text()
        assert process.returncode == 0, output[-4000:]
        outputs.append(output)
    return outputs


def assert_one_version(workspace: Path, outputs: list[str]) -> None:
    registry = open_registry(load_config(workspace / "memo.yaml"))
    [version] = registry.versions()
    registered = [o for o in outputs if f"Registered candidate version {version.version}" in o]
    found = [o for o in outputs if f"is already version {version.version} of memo-once" in o]
    assert len(registered) + len(found) == len(outputs), [o[-2000:] for o in outputs]
    assert found, "one of the updates should have found the other's version"
    # The training run the candidate shares ends with the status of the job that trained it.
    client = MlflowClient(tracking_uri=registry.tracking_uri)
    experiment = client.get_experiment_by_name("memo")
    assert experiment is not None
    [training] = client.search_runs([experiment.experiment_id], "tags.kind = 'training'")
    assert training.info.status == "FINISHED"


def test_two_updates_at_once_register_one_version(workspace: Path) -> None:
    processes = [start_update(workspace, "first"), start_update(workspace, "second")]
    outputs = finish(workspace, "first", "second", processes=processes)
    assert_one_version(workspace, outputs)


def test_two_reruns_of_an_update_killed_after_training_register_one_version(workspace: Path) -> None:
    killed = start_update(workspace, "killed")
    checkpoints = workspace / "store" / "checkpoints"
    deadline = time.monotonic() + 300
    while not any(p.is_dir() and "." not in p.name for p in checkpoints.glob("*")):
        assert killed.poll() is None, (workspace / "killed.log").read_text()[-4000:]
        assert time.monotonic() < deadline, "the update never completed a checkpoint"
        time.sleep(0.2)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait(30)
    assert not open_registry(load_config(workspace / "memo.yaml")).versions()

    processes = [start_update(workspace, "first"), start_update(workspace, "second")]
    outputs = finish(workspace, "first", "second", processes=processes)
    assert_one_version(workspace, outputs)
    assert any("already complete; reusing it" in o for o in outputs)
