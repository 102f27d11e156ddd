"""End to end: the knowledge-update flow on a real (temporary) Prefect API, twice, with approval between."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from uuid import UUID

import pytest
import yaml
from click.testing import CliRunner
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, FlowRunFilter, FlowRunFilterId
from prefect.testing.utilities import prefect_test_harness
from prefect_helpers import run_logs

from flows.cli import main
from flows.knowledge_update import knowledge_update
from memo_core.config import load_config
from memo_core.plan import planner
from memo_core.runtime import open_registry, open_store
from memo_core.sources.manifest import ManifestStore

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def prefect_api():
    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in sorted(p.name for p in (EXAMPLES / "batch1").iterdir())[:6]:
        shutil.copy(EXAMPLES / "batch1" / name, corpus / name)
    config = {
        "store": {"root": "store"},
        "sources": [{"name": "docs", "url": "corpus", "include": ["*.md", "*.txt"]}],
        "memory": {
            "offline": {"layers": 2, "hidden": 128, "heads": 2, "intermediate": 256, "vocab_size": 800}
        },
        "training": {"epochs": 20, "batch_size": 32},
        "evaluation": {
            "questions_file": str(EXAMPLES / "questions.jsonl"),
            "max_questions_per_suite": 60,
            "gate": {
                "min_new_knowledge": 0.3,
                "max_retention_drop": 1.0,
            },  # this test is not about thresholds
        },
        "registry": {"model_name": "memo-e2e"},
    }
    (tmp_path / "memo.yaml").write_text(yaml.safe_dump(config))
    return tmp_path


def test_update_approve_ask_then_incremental_update(prefect_api, workspace: Path):
    config_path = str(workspace / "memo.yaml")
    first = knowledge_update(config_path=config_path)
    assert first["status"] == "registered"
    assert first["mode"] == "full"
    assert first["metrics"]["new_knowledge_em"] > 0.3  # it learnt a real share of its reflections

    # Nothing changed: the flow stops after planning and registers nothing.
    config = load_config(config_path)
    registry = open_registry(config)
    assert [str(v.version) for v in registry.versions()] == [first["version"]]

    runner = CliRunner()
    result = runner.invoke(main, ["approve", "candidate", "--config", config_path, "--reviewer", "tester"])
    assert result.exit_code == 0, result.output
    assert str(registry.get("champion").version) == first["version"]

    unchanged = knowledge_update(config_path=config_path)
    assert unchanged["status"] == "no-change"

    ask = runner.invoke(main, ["ask", "--config", config_path, "--json", "Who designed Quenlow House?"])
    assert ask.exit_code == 0, ask.output
    assert '"trace"' in ask.output

    # A new document and a removed one: an incremental candidate trained from the champion with replay.
    corpus = workspace / "corpus"
    shutil.copy(EXAMPLES / "batch2" / "petrel-drift-sensor.md", corpus / "petrel-drift-sensor.md")
    removed = sorted(corpus.iterdir())[0]
    removed.unlink()
    state = knowledge_update(config_path=config_path, return_state=True)
    second = state.result()
    assert second["status"] == "registered"
    # Only the new document was distilled; every unchanged one came from the Prefect cache.
    reflected = _task_run_states(state.state_details.flow_run_id, "reflect ")
    assert reflected.pop("reflect docs/petrel-drift-sensor.md") == "Completed"
    assert reflected and set(reflected.values()) == {"Cached"}, reflected
    assert second["mode"] == "incremental"
    assert second["corpus_version"] == first["corpus_version"] + 1
    assert "retention_em" in second["metrics"]
    version = registry.get(second["version"])
    assert version.tags["parent_version"] == first["version"]
    assert "candidate" in version.aliases

    store = workspace / "store" / "reflections"
    validation = json.loads((store / "v0002.validation.json").read_text())
    assert validation["total"] > 0 and validation["quarantined_share"] <= 0.05
    assert (store / "v0002.quarantine.jsonl").exists()
    assert (store / "v0002.data-docs" / "index.html").exists()

    status = runner.invoke(main, ["status", "--config", config_path, "--json"])
    assert status.exit_code == 0, status.output
    assert '"champion"' in status.output and '"candidate"' in status.output

    # The reviewer's view: what the version adds and removes, by document, on its page and from a shell.
    removed_id = f"docs/{removed.name}"
    description = version.description
    assert description.startswith("**Gate passed.**"), description
    assert "| docs/petrel-drift-sensor.md |" in description and f"| {removed_id} |" in description
    assert f"champion (version {first['version']})" in description
    assert "`approval` = `approved`" in description and f"memo reject {second['version']}" in description
    detail = runner.invoke(main, ["status", second["version"], "--config", config_path, "--json"])
    [row] = json.loads(detail.output)
    changelog = row["changelog"]
    assert changelog["by_document"]["docs/petrel-drift-sensor.md"]["added"] > 0
    assert changelog["by_document"][removed_id]["removed"] > 0
    # (a cross-document fact also names the earlier document it joins)
    assert all("docs/petrel-drift-sensor.md" in fact["documents"] for fact in changelog["added"])
    assert all(removed_id in fact["old_documents"] for fact in changelog["removed"])
    text = runner.invoke(main, ["status", second["version"], "--config", config_path, "--limit", "3"]).output
    assert f"Knowledge: {changelog['counts']['added']} facts added" in text and "Removed:" in text

    # The two UIs link to each other: the training run nests under the version's run, which names the
    # Prefect flow run; the run's log and its report artifact name the version's MLflow page.
    run = registry.client.get_run(version.run_id)
    training_run = registry.client.get_run(run.data.tags["training_run"].rsplit("/", 1)[-1])
    assert training_run.data.tags["mlflow.parentRunId"] == version.run_id
    flow_run_id = state.state_details.flow_run_id
    assert run.data.tags["prefect_flow_run"].endswith(f"/runs/flow-run/{flow_run_id}")
    page = f"http://127.0.0.1:5000/#/models/memo-e2e/versions/{second['version']}"
    with get_client(sync_client=True) as client:
        [artifact] = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                flow_run_id={"any_": [flow_run_id]},
                key={"any_": [f"knowledge-update-v{second['corpus_version']}"]},
            )
        )
    logs = run_logs(flow_run_id)
    assert any(line.startswith("evaluating the candidate on retention:") for line in logs), logs
    assert logs.count("gate passed") == 1, logs  # memo's lines reach the run's log once
    assert any(line.startswith("champion on retention: exact match") for line in logs), logs
    assert f"version {second['version']} passed its gate and waits for review at {page}" in logs
    assert f"[model version]({page})" in str(artifact.data)
    assert "![Scores by model version](http://127.0.0.1:5000/get-artifact?path=report%2Fscores.png" in str(
        artifact.data
    )


def test_a_document_gone_after_the_scan_is_left_out_and_a_failed_gate_names_the_runs_state(
    prefect_api, workspace: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    config_path = workspace / "memo.yaml"
    settings = yaml.safe_load(config_path.read_text())
    settings["memory"]["offline"] = {
        "layers": 1,
        "hidden": 32,
        "heads": 2,
        "intermediate": 64,
        "vocab_size": 400,
    }
    settings["training"] = {"max_steps": 2, "batch_size": 8}
    # two steps learn nothing: the candidate is registered for review with its gate failed
    settings["evaluation"]["gate"] = {"min_new_knowledge": 0.99, "max_retention_drop": 1.0}
    config_path.write_text(yaml.safe_dump(settings))
    gone = sorted((workspace / "corpus").iterdir())[1]
    (workspace / "corpus" / "blank.md").write_text("")
    planned = planner.plan_update

    def plan_then_lose_a_document(*args, **kwargs):  # the scan has listed it; the reads will not find it
        gone.unlink()
        return planned(*args, **kwargs)

    monkeypatch.setattr(planner, "plan_update", plan_then_lose_a_document)
    with caplog.at_level(logging.INFO):
        state = knowledge_update(config_path=str(config_path), return_state=True)

    result = state.result()
    assert result["status"] == "registered"
    reflected = _task_run_states(state.state_details.flow_run_id, "reflect ")
    assert reflected[f"reflect docs/{gone.name}"] == "Completed"  # left out, not failed
    messages = [r.getMessage() for r in caplog.records]
    assert "skipped docs/blank.md: empty file" in messages
    warning = f"docs/{gone.name} is left out of corpus v1's update: {gone.name} is no longer in the source"
    assert warning in messages
    vanished = ManifestStore(open_store(load_config(str(config_path)))).vanished(result["corpus_version"])
    assert vanished == {f"docs/{gone.name}": f"{gone.name} is no longer in the source"}

    with get_client(sync_client=True) as client:
        final = client.read_flow_run(state.state_details.flow_run_id).state
    assert final is not None and final.is_completed() and final.name == "Gate failed"
    assert final.message and final.message.startswith(f"version {result['version']} failed its gate: ")
    assert "min_new_knowledge 0.990" in final.message


def _task_run_states(flow_run_id: UUID, prefix: str) -> dict[str, str]:
    """Task run name -> state name, for the flow run's task runs whose name starts with ``prefix``."""
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    return {run.name: run.state.name for run in runs if run.name.startswith(prefix) and run.state}
