"""End to end on the operator stack, as `make stack` runs it.

infra/stack.sh starts a Prefect server, process workers for memo-default and memo-gpu and an MLflow server on
free ports; prefect.yaml is deployed from a checkout of its own (MEMO_HOME); a knowledge update is started
through the Prefect API and trains on the fine-tune deployment of the GPU pool (on CPU here), holding the
host's GPU slot; a reviewer's approval is set through MLflow's REST API, and the approval event the webhook
relay would send for it (sent here by the test, no relay runs) starts the promote deployment, which moves
``champion``.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
import yaml
from playwright.sync_api import Browser, expect, sync_playwright
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment
from prefect.events.clients import get_events_client
from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter
from prefect.events.schemas.events import Event
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect_helpers import run_logs, runs_of
from servers import free_port

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # this environment's prefect, mlflow and python, for the stack too
EXAMPLES = ROOT / "examples"
MODEL = "memo-memory"  # the promote trigger of prefect.yaml matches this registry.model_name
GPU_HOST = "e2e"

pytestmark = [pytest.mark.slow, pytest.mark.stack, pytest.mark.timeout(900)]


@dataclass
class Stack:
    home: Path
    env: dict[str, str]
    prefect_api: str
    mlflow: str


def make_home(home: Path) -> None:
    """A checkout to deploy and run from: this one's flows and prefect.yaml, a memo.yaml and a tiny corpus."""
    for name in ("flows", "prefect.yaml"):
        (home / name).symlink_to(ROOT / name)
    corpus = home / "corpus"
    corpus.mkdir()
    for name in ("headquarters.txt", "lumora-beacon.txt", "orrin-medal.txt"):
        shutil.copy(EXAMPLES / "batch1" / name, corpus / name)
    config = {
        "store": {"root": "store"},
        "sources": [{"name": "docs", "url": "corpus", "include": ["*.txt"]}],
        "memory": {
            "offline": {"layers": 1, "hidden": 64, "heads": 2, "intermediate": 128, "vocab_size": 400}
        },
        "evaluation": {
            "max_questions_per_suite": 20,
            # this test is about the stack, not about what so short a training learns
            "gate": {"min_new_knowledge": 0.0, "max_retention_drop": 1.0, "max_canary_drift": 1000.0},
        },
        "registry": {"model_name": MODEL},
    }
    (home / "memo.yaml").write_text(yaml.safe_dump(config))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    home = tmp_path_factory.mktemp("memo-home")
    make_home(home)
    prefect_port, mlflow_port = free_port(), free_port()
    env = {
        **os.environ,
        "STACK_DIR": str(tmp_path_factory.mktemp("stack")),
        "STACK_BIN": str(BIN),
        "PREFECT_PORT": str(prefect_port),
        "MLFLOW_PORT": str(mlflow_port),
        "STACK_WORKERS": "memo-default memo-gpu",
        "MEMO_HOME": str(home),
        "MEMO_GPU_LIMIT": f"gpu-host-{GPU_HOST}",
        # short training, on the GPU pool's deployment
        "MEMO__TRAINING__DEPLOYMENT": "fine-tune/fine-tune",
        "MEMO__TRAINING__MAX_STEPS": "20",
        "MEMO__TRAINING__BATCH_SIZE": "16",
    }
    process = subprocess.Popen(
        ["bash", str(ROOT / "infra" / "stack.sh"), "--gpu-host", f"{GPU_HOST}=1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    up = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            if line.startswith("memo stack is up"):
                up.set()
        up.set()  # the script ended: it did not come up

    threading.Thread(target=read, daemon=True).start()
    up.wait(300)
    assert process.poll() is None and any(line.startswith("memo stack is up") for line in output), "".join(
        output
    )
    stack = Stack(
        home=home,
        env={**env, "PREFECT_API_URL": f"http://127.0.0.1:{prefect_port}/api"},
        prefect_api=f"http://127.0.0.1:{prefect_port}/api",
        mlflow=f"http://127.0.0.1:{mlflow_port}",
    )
    try:
        with temporary_settings(updates={PREFECT_API_URL: stack.prefect_api}):
            yield stack
    finally:
        subprocess.run(["bash", str(ROOT / "infra" / "stack.sh"), "stop"], env=env, timeout=60, check=True)
        process.wait(timeout=60)
        assert not list(Path(env["STACK_DIR"]).glob("*.pid")), "".join(output)


def mlflow_get(stack: Stack, path: str, **params: str) -> dict[str, Any]:
    response = httpx.get(f"{stack.mlflow}/api/2.0/mlflow/{path}", params=params, timeout=30)
    response.raise_for_status()
    return cast(dict[str, Any], response.json())


def champion(stack: Stack) -> str | None:
    response = httpx.get(
        f"{stack.mlflow}/api/2.0/mlflow/registered-models/alias",
        params={"name": MODEL, "alias": "champion"},
        timeout=30,
    )
    return str(response.json()["model_version"]["version"]) if response.status_code == 200 else None


async def announce_approval(version: str) -> None:
    """What the webhook relay sends when MLflow reports the approval tag."""
    async with get_events_client(checkpoint_every=1) as events:
        await events.emit(
            Event(
                event="memo.model-version.approved",
                resource={"prefect.resource.id": f"mlflow.model-version.{MODEL}.{version}"},
            )
        )


@dataclass
class Update:
    run: FlowRun  # the knowledge-update deployment's run
    fine_tune: FlowRun  # the training it started on the GPU pool
    version: str  # the model version it registered
    seconds: float


@pytest.fixture(scope="module")
def update(stack: Stack) -> Update:
    """prefect.yaml deployed to the stack, and one knowledge update run from its deployment."""
    started = time.perf_counter()
    deploy = subprocess.run(
        [str(BIN / "prefect"), "--no-prompt", "deploy"]
        + ["--name", "knowledge-update", "--name", "fine-tune", "--name", "promote"],
        cwd=stack.home,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr

    run = cast(FlowRun, run_deployment("knowledge-update/knowledge-update", timeout=600, poll_interval=2))
    assert run.state is not None and run.state.is_completed(), run.state
    [fine_tune] = runs_of("fine-tune/fine-tune")
    [version] = mlflow_get(stack, "model-versions/search", filter=f"name='{MODEL}'")["model_versions"]
    return Update(run, fine_tune, str(version["version"]), time.perf_counter() - started)


def test_update_trains_on_the_gpu_pool_and_approval_moves_champion(stack: Stack, update: Update) -> None:
    started = time.perf_counter()
    # The training ran as the fine-tune deployment's run, a child of the update, on the GPU pool.
    fine_tune = update.fine_tune
    assert fine_tune.state is not None and fine_tune.state.is_completed()
    assert fine_tune.work_pool_name == "memo-gpu"
    assert fine_tune.parameters == {"config_path": "memo.yaml", "corpus_version": 1, "mode": "full"}
    with get_client(sync_client=True) as client:
        assert fine_tune.parent_task_run_id is not None
        parent = client.read_task_run(fine_tune.parent_task_run_id)
        assert parent.flow_run_id == update.run.id
        # ... holding the GPU host's slot while it trained
        held = client.read_events(
            EventFilter(
                event=EventNameFilter(name=["prefect.concurrency-limit.acquired"]),
                resource=EventResourceFilter(id_prefix=["prefect.concurrency-limit."]),
            ),
            limit=50,
        ).events
    assert [e.resource.name for e in held] == [f"gpu-host-{GPU_HOST}"]
    assert f"prefect.flow-run.{fine_tune.id}" in {r.id for r in held[0].related}

    # The candidate is registered in the stack's MLflow, its checkpoint in the shared store.
    [version] = mlflow_get(stack, "model-versions/search", filter=f"name='{MODEL}'")["model_versions"]
    number = update.version
    tags = {t["key"]: t["value"] for t in version.get("tags", [])}
    assert (tags["approval"], tags["gate"], tags["corpus_version"]) == ("pending", "passed", "1")
    assert (stack.home / "store" / "checkpoints" / tags["candidate_id"]).is_dir()
    assert champion(stack) is None

    # Both runs' logs hold memo's own lines: the training job's progress in the fine-tune run, each suite's
    # evaluation and the closing line with the version's MLflow page in the update's.
    # Both ran in a worker's process, which sends its log lines in the background: read until they are in.
    training_log = run_logs(fine_tune.id, until=lambda log: any(line.startswith("step ") for line in log))
    steps = [line for line in training_log if line.startswith("step ")]
    assert steps and all("loss" in line and "tokens/s" in line and "eta" in line for line in steps), (
        training_log
    )
    page = f"{stack.mlflow}/#/models/{MODEL}/versions/{number}"
    closing = f"version {number} passed its gate and waits for review at {page}"

    def has_suite_and_closing_lines(log: list[str]) -> bool:
        suite = any(line.startswith("evaluating the candidate on new_knowledge:") for line in log)
        return suite and closing in log

    update_log = run_logs(update.run.id, until=has_suite_and_closing_lines)
    assert any(line.startswith("evaluating the candidate on new_knowledge:") for line in update_log), (
        update_log
    )
    assert closing in update_log

    # A reviewer approves in MLflow; the event the relay would send runs the promote deployment.
    for key, value in {"approval": "approved", "approved_by": "e2e-reviewer"}.items():
        response = httpx.post(
            f"{stack.mlflow}/api/2.0/mlflow/model-versions/set-tag",
            json={"name": MODEL, "version": number, "key": key, "value": value},
            timeout=30,
        )
        response.raise_for_status()
    asyncio.run(announce_approval(number))

    def completed_promotions() -> list[FlowRun]:
        return [run for run in runs_of("promote/promote") if run.state and run.state.is_completed()]

    # promote also runs every 5 minutes (prefect.yaml): wait for the event's run too, not only for champion
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if champion(stack) == number and any(not run.auto_scheduled for run in completed_promotions()):
            break
        time.sleep(2)
    assert champion(stack) == number
    promotions = completed_promotions()
    assert promotions and all(run.parameters == {"config_path": "memo.yaml"} for run in promotions)
    # at least one completed run came from the approval event, not from the schedule
    assert any(not run.auto_scheduled for run in promotions), [(r.name, r.auto_scheduled) for r in promotions]
    took = update.seconds + time.perf_counter() - started
    print(f"stack e2e: deploy, update, approval and promotion took {took:.0f} s")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium from the system's packages (Playwright's own browser download is out of reach)."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("no Chromium: .ci/run installs Debian's chromium package")
        pytest.skip("no Chromium here (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield launched
        launched.close()


def test_the_engineer_and_the_reviewer_see_progress_verdict_and_links(
    stack: Stack, update: Update, browser: Browser, tmp_path: Path
) -> None:
    """As they would: the MLflow version page, then the Prefect pages of the update and its training."""
    shots = Path(os.environ.get("MEMO_UI_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    prefect_ui = stack.prefect_api.removesuffix("/api")
    update_page = f"{prefect_ui}/runs/flow-run/{update.run.id}"
    version_page = f"{stack.mlflow}/#/models/{MODEL}/versions/{update.version}"
    page = browser.new_page(viewport={"width": 1400, "height": 1000})

    # The reviewer: the verdict, the knowledge and the steps lead the version's page, which links back.
    page.goto(version_page)
    page.get_by_text("Gate passed.").wait_for()
    for text in ("facts added", "this version", "To approve", "To reject"):
        expect(page.get_by_text(text).first).to_be_visible()
    expect(page.get_by_role("link", name="Prefect flow run")).to_have_attribute("href", update_page)
    expect(page.get_by_role("link", name="report")).to_have_attribute(
        "href", re.compile("/artifacts/report/")
    )
    page.get_by_role("button", name="Close").click()  # MLflow's assistant panel, open on a first visit
    page.screenshot(path=shots / "mlflow-version.png")

    # The data engineer: memo's progress and closing line in the update's log, the link in it live.
    page.goto(update_page)
    closing = page.get_by_text(f"version {update.version} passed its gate and waits for review at")
    closing.scroll_into_view_if_needed()
    expect(closing).to_be_visible()
    expect(page.get_by_role("link", name=version_page)).to_have_attribute("href", version_page)
    expect(page.get_by_text("evaluating the candidate on new_knowledge:")).to_be_attached()
    page.screenshot(path=shots / "prefect-run-log.png")

    # ... the training job's steps in the fine-tune run's log
    page.goto(f"{prefect_ui}/runs/flow-run/{update.fine_tune.id}")
    expect(
        page.get_by_text(re.compile(r"^step \d+/\d+ +loss [0-9.]+ +\d+ tokens/s +eta \d+s$")).first
    ).to_be_attached()

    # ... and the report artifact: links to MLflow, the scores plot drawn from the tracking server.
    with get_client(sync_client=True) as client:
        [artifact] = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key={"any_": ["knowledge-update-v1"]}, flow_run_id={"any_": [update.run.id]}
            )
        )
    page.goto(f"{prefect_ui}/artifacts/artifact/{artifact.id}")
    expect(page.get_by_role("link", name="model version")).to_have_attribute("href", version_page)
    plot = page.get_by_role("img", name="Scores by model version")
    plot.scroll_into_view_if_needed()
    expect(plot).to_be_visible()
    assert plot.evaluate("image => image.complete && image.naturalWidth > 0"), "the scores plot did not load"
    page.screenshot(path=shots / "prefect-report.png")
