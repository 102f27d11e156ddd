"""Failures whose message says it all end a command with that one line: a tracking store that cannot be
reached or answers errors (never "no versions yet", never a full rebuild planned over a store whose champion
covers the corpus), a missing source folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from servers import free_port

from flows.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


class _Failing(BaseHTTPRequestHandler):
    """Every request answered 500 with MLflow's error body."""

    def _fail(self) -> None:
        body = json.dumps({"error_code": "INTERNAL_ERROR", "message": "database unavailable"}).encode()
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = do_DELETE = _fail

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def failing_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(params=["closed-port", "answers-500"])
def tracking_uri(request: pytest.FixtureRequest) -> str:
    if request.param == "closed-port":
        return f"http://127.0.0.1:{free_port()}"
    return str(request.getfixturevalue("failing_server"))


def write_config(tmp_path: Path, tracking_uri: str) -> str:
    corpus = tmp_path / "corpus"
    corpus.mkdir(exist_ok=True)
    shutil.copy(EXAMPLES / "batch1" / "founding-history.md", corpus / "founding-history.md")
    config = {
        "store": {"root": str(tmp_path / "store")},
        "sources": [{"name": "docs", "url": str(corpus)}],
        "registry": {"tracking_uri": tracking_uri, "model_name": "memo-unreachable"},
    }
    path = tmp_path / "memo.yaml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


@pytest.mark.parametrize(
    "command",
    [["status"], ["approve", "1"], ["reject", "candidate"], ["rollback"], ["ask", "Who founded Quenlow?"]],
    ids=lambda c: c[0],
)
def test_every_command_fails_with_one_line_naming_the_store(
    tmp_path: Path, tracking_uri: str, command: list[str]
) -> None:
    started = time.monotonic()
    result = CliRunner().invoke(main, [*command, "--config", write_config(tmp_path, tracking_uri)])
    elapsed = time.monotonic() - started
    assert result.exit_code == 1, result.output
    [line] = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert f"MLflow tracking store {tracking_uri} failed" in line, result.output
    assert "No model versions yet" not in result.output and "Traceback" not in result.output
    assert elapsed < 60, f"gave up after {elapsed:.0f} s; the default bound is about 30 s"


@pytest.mark.slow
def test_an_update_fails_instead_of_planning_a_full_rebuild(tmp_path: Path, tracking_uri: str) -> None:
    config_path = write_config(tmp_path, tracking_uri)
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")}
    done = subprocess.run(
        [sys.executable, "-m", "flows.cli", "update", "--dry-run", "--config", config_path],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output[-3000:]
    [line] = [line for line in output.splitlines() if line.startswith("Error: ")]
    assert f"MLflow tracking store {tracking_uri} failed" in line, output[-3000:]
    assert "full update" not in output and "dry-run" not in output


def test_a_missing_source_folder_is_one_line_before_any_flow_run(tmp_path: Path) -> None:
    config_path = write_config(tmp_path, f"sqlite:///{tmp_path / 'mlflow.db'}")
    shutil.rmtree(tmp_path / "corpus")
    result = CliRunner().invoke(main, ["update", "--config", config_path])
    assert result.exit_code == 1
    assert (
        result.output.strip() == f"Error: source 'docs': {tmp_path / 'corpus'} does not exist (check its url)"
    )
