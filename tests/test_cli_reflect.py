"""``memo reflect SOURCE --out PATH``: a folder of documents to a validated reflection file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from chat_server import ChatServer, RuleModel
from click.testing import CliRunner

from flows.cli import main
from memo_core.reflections.records import load_reflections

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in sorted(p.name for p in (EXAMPLES / "batch1").iterdir())[:4]:
        shutil.copy(EXAMPLES / "batch1" / name, folder / name)
    (folder / "scan.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    return folder


def _reflect(*args: str, cwd: Path) -> str:
    runner = CliRunner()
    with runner.isolated_filesystem(temp_dir=cwd):
        result = runner.invoke(main, ["reflect", *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_reflect_writes_validated_reflections_by_extension(corpus: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / "out" / f"reflections{suffix}"
    output = _reflect(str(corpus), "--out", str(out), cwd=tmp_path)
    reflections = load_reflections(out)
    assert len(reflections) > 50
    documents = {d for r in reflections for d in r.document_ids}
    assert documents == {f"docs/{p.name}" for p in corpus.glob("*.md")} | {
        f"docs/{p.name}" for p in corpus.glob("*.txt")
    }
    assert {r.split for r in reflections} == {"train", "probe"}
    assert all(r.spans and r.chunk_ids and r.generator == "offline-rules" for r in reflections)
    assert f"{len(reflections)} reflections from 4 documents" in output
    assert "skipped scan.pdf" in output  # the unreadable file is named with its reason, not fatal
    assert "  by kind:  " in output and "direct" in output and "facts dropped: " in output
    assert (tmp_path / "out" / "reflections.quarantine.jsonl").exists()
    assert (tmp_path / "out" / "reflections.data-docs" / "index.html").exists()


def test_reflect_refuses_an_unknown_extension_and_an_empty_folder(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["reflect", str(EXAMPLES / "batch1"), "--out", str(tmp_path / "r.csv")])
    assert result.exit_code != 0 and ".parquet or .jsonl" in result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(main, ["reflect", str(empty), "--out", str(tmp_path / "r.jsonl")])
    assert result.exit_code != 0 and "no readable documents" in result.output


def test_reflect_uses_the_configured_llm_endpoint(corpus: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MEMO_TEST_LLM_KEY", "sk-test")
    with ChatServer(RuleModel()) as server:
        config = {
            "generator": {
                "backend": "openai",
                "openai": {"base_url": server.base_url, "model": "m", "api_key_env": "MEMO_TEST_LLM_KEY"},
            }
        }
        config_path = tmp_path / "memo.yaml"
        config_path.write_text(yaml.safe_dump(config))
        out = tmp_path / "llm.jsonl"
        _reflect("--config", str(config_path), str(corpus), "--out", str(out), cwd=tmp_path)
        assert server.requests
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows and {row["generator"] for row in rows} == {"llm-openai:m"}
