"""What a registered model version holds (lineage tags, reports, a sample of its reflections), and that
``mlflow models serve`` serves the champion with the memory model's own answers."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import httpx
import mlflow
import pytest
from servers import Process, free_port
from training_helpers import train_model

from memo_core.memory.config import OfflineModelSpec
from memo_core.memory.model import MemoryModel, build_offline_model, train_tokenizer
from memo_core.reflections.records import Reflection, load_reflections, save_reflections
from memo_core.registry.registry import MemoRegistry, code_version
from memo_core.training.examples import Example

pytestmark = pytest.mark.slow

TINY = OfflineModelSpec(layers=1, hidden=32, heads=2, intermediate=64, vocab_size=300, max_positions=64)
FACTS = {
    "Who founded Verdant Lamp Works?": "Ilse Marren",
    "Where is Verdant Lamp Works headquartered?": "Osterby",
}
QUESTIONS = list(FACTS)


def _reflections(count: int) -> list[Reflection]:
    return [
        Reflection.create(
            f"What is item {i} of the catalogue?",
            f"Lamp {i}",
            kind="direct",
            step="extraction",
            document_ids=(f"docs/d{i % 7}.md",),
            chunk_ids=(f"docs/d{i % 7}.md#p0",),
            spans=((0, 10),),
            corpus_version=1,
            generator="offline-rules",
            generator_hash="test",
        )
        for i in range(count)
    ]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("train")
    tokenizer = train_tokenizer([f"{q} {a}" for q, a in FACTS.items()] * 5, TINY.vocab_size)
    model = build_offline_model(tokenizer, TINY, seed=0)
    examples = [Example(q, a) for q, a in FACTS.items()]
    return train_model(model, tokenizer, examples, work, learning_rate=3e-3, epochs=60, batch_size=2)


@pytest.fixture(scope="module")
def registered(tmp_path_factory: pytest.TempPathFactory, checkpoint: Path) -> tuple[MemoRegistry, str]:
    root = tmp_path_factory.mktemp("registry")
    reflection_set = root / "store" / "reflections" / "v0001.parquet"
    save_reflections(_reflections(120), reflection_set)
    registry = MemoRegistry(
        f"sqlite:///{root}/mlflow.db",
        "memo-version-test",
        "memo-test",
        root / "cache",
        str(root / "artifacts"),
    )
    version = registry.register_candidate(
        checkpoint_dir=checkpoint,
        params={"mode": "full", "training.epochs": 3},
        metrics={"new_knowledge_em": 0.9},
        tags={
            "corpus_version": "1",
            "manifest_sha256": "ab" * 32,
            "reflection_set": str(reflection_set),
            "parent_version": "",
        },
        reports={"report.md": "# report\n", "report.json": "{}"},
        sample_questions=QUESTIONS,
        gate_failures=[],
        reflections=load_reflections(reflection_set),
    )
    registry.approve(version.version, reviewer="ana")
    return registry, str(version.version)


def test_version_carries_lineage_reports_and_a_reflection_sample(
    registered: tuple[MemoRegistry, str],
) -> None:
    registry, number = registered
    version = registry.get(number)
    tags = version.tags
    assert re.fullmatch(r"git:[0-9a-f]{40}(\+dirty)?|memo==.+", tags["code_version"])
    assert tags["code_version"] == code_version()
    assert (tags["corpus_version"], tags["manifest_sha256"]) == ("1", "ab" * 32)
    assert tags["reflection_set"].endswith("reflections/v0001.parquet")
    assert (tags["approval"], tags["approved_by"]) == ("approved", "ana")

    run = registry.client.get_run(version.run_id)
    assert run.data.params["training.epochs"] == "3"
    assert run.data.metrics["new_knowledge_em"] == 0.9
    assert run.data.tags["code_version"] == tags["code_version"]
    artifacts = {a.path for a in registry.client.list_artifacts(version.run_id, "report")}
    assert artifacts == {"report/report.md", "report/report.json"}

    sample = mlflow.artifacts.load_text(f"runs:/{version.run_id}/reflections/sample.jsonl")
    rows = [json.loads(line) for line in sample.splitlines()]
    assert len(rows) == 50
    items = [int(row["answer"].split()[1]) for row in rows]
    assert items == sorted(items) and items[-1] > 60  # spread over the set, in its order, not its head
    assert {"question", "answer", "document_ids", "spans", "corpus_version"} <= rows[0].keys()

    model = mlflow.models.get_model_info(f"models:/{registry.model_name}/{number}")
    assert model.signature.inputs.input_names() == ["question"]
    assert model.saved_input_example_info is not None


def test_mlflow_models_serve_answers_with_the_champion(
    registered: tuple[MemoRegistry, str], checkpoint: Path, tmp_path: Path
) -> None:
    registry, _ = registered
    port = free_port()
    # mlflow models serve starts `uvicorn` by name: the environment's scripts must be on PATH.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env = {**os.environ, "MLFLOW_TRACKING_URI": registry.tracking_uri, "PATH": path}
    server = Process(
        [
            *(sys.executable, "-m", "mlflow", "models", "serve"),
            *("-m", f"models:/{registry.model_name}@champion", "--env-manager", "local"),
            *("-h", "127.0.0.1", "-p", str(port), "-w", "1"),
        ],
        env,
        tmp_path / "serve.log",
        port,
        "/ping",
        name="mlflow models serve",
    )
    try:
        server.wait_ready(timeout_s=240, poll_s=0.5)
        reply = httpx.post(
            f"{server.url}/invocations",
            json={"dataframe_split": {"columns": ["question"], "data": [[q] for q in QUESTIONS]}},
            timeout=60,
        )
        assert reply.status_code == 200, reply.text
        expected = MemoryModel.load(checkpoint).answer(QUESTIONS)
        assert all(expected)  # the comparison is not between empty answers
        assert reply.json()["predictions"] == expected
    finally:
        server.stop()
