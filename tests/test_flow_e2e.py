"""End to end: the knowledge-update flow on a real (temporary) Prefect API, twice, with approval between."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from prefect.testing.utilities import prefect_test_harness

from flows.cli import main
from flows.knowledge_update import knowledge_update
from memo_core.config import load_config
from memo_core.update import open_registry

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
    second = knowledge_update(config_path=config_path)
    assert second["status"] == "registered"
    assert second["mode"] == "incremental"
    assert second["corpus_version"] == first["corpus_version"] + 1
    assert "retention_em" in second["metrics"]
    version = registry.get(second["version"])
    assert version.tags["parent_version"] == first["version"]
    assert "candidate" in version.aliases

    status = runner.invoke(main, ["status", "--config", config_path, "--json"])
    assert status.exit_code == 0, status.output
    assert '"champion"' in status.output and '"candidate"' in status.output
