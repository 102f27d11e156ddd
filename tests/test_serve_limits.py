"""``memo serve``'s guards over real HTTP, with nothing approved to serve: the API key is checked before a
body byte is read, a body is bounded while it streams (the server's memory stays flat under a body many
times the limit), and blank questions get 422; ``memo ask`` refuses a blank question too."""

from __future__ import annotations

import http.client
import json
import os
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from click.testing import CliRunner
from servers import Process, free_port

from flows.cli import main

KEY = "s3cret"
KEY_ENV = "MEMO_TEST_SERVE_KEY"
LIMIT = 4096
AUTH = {"Authorization": f"Bearer {KEY}"}
HUGE = 200 * 2**20  # bytes: 50,000 times the limit
MB = 2**20


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    """``memo serve`` in its own process, so its memory can be read from /proc."""
    root = tmp_path_factory.mktemp("serve-limits")
    config = root / "memo.yaml"
    settings = {"api_key_env": KEY_ENV, "max_request_bytes": LIMIT}
    config.write_text(yaml.safe_dump({"store": {"root": str(root / "store")}, "serve": settings}))
    port = free_port()
    process = Process(
        [sys.executable, "-m", "flows.cli", "serve", "--config", str(config), "--port", str(port)],
        {**os.environ, KEY_ENV: KEY},
        root / "serve.log",
        port,
        "/openapi.json",  # /health is 503 while nothing is approved
        name="memo serve",
    )
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    """A body of ``total`` bytes streamed without a length (chunked), never held whole by the client."""
    chunk = b"x" * size
    for _ in range(total // size):
        yield chunk


def _memory(pid: int) -> tuple[int, int]:
    """The process's resident memory now and its peak since the last reset, in bytes."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]) * 1024, int(fields["VmHWM"].split()[0]) * 1024


def _peak_growth(server: Process, send: Callable[[], httpx.Response]) -> tuple[httpx.Response, int]:
    """Run ``send``; its reply and how far the server's resident memory peaked above where it was before.

    The server answers without reading the rest of the upload (and may close the connection); httpx reads
    the answer all the same.
    """
    pid = server.process.pid
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # the peak starts again from the memory in use now
    before, _ = _memory(pid)
    reply = send()
    _, peak = _memory(pid)
    return reply, peak - before


@pytest.mark.slow
def test_a_chunked_body_far_over_the_limit_gets_413_and_memory_stays_flat(server: Process) -> None:
    reply, growth = _peak_growth(
        server,
        lambda: httpx.post(f"{server.url}/v1/ask", content=_chunks(HUGE), headers=AUTH, timeout=60),
    )
    print(f"server memory peak growth for a {HUGE // MB} MB chunked body: {growth / MB:.1f} MB")
    assert reply.status_code == 413
    assert "max_request_bytes" in reply.json()["detail"]
    assert growth < 50 * MB


@pytest.mark.slow
def test_a_declared_length_over_the_limit_gets_413_before_any_body_is_sent(server: Process) -> None:
    with socket.create_connection(("127.0.0.1", int(server.url.rsplit(":", 1)[1])), timeout=10) as sock:
        sock.sendall(
            b"POST /v1/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + f"Authorization: Bearer {KEY}\r\nContent-Length: {HUGE}\r\n\r\n".encode()
        )
        reply = http.client.HTTPResponse(sock)  # no body byte sent: the reply must not wait for one
        reply.begin()
        assert reply.status == 413
        assert "max_request_bytes" in json.loads(reply.read())["detail"]


@pytest.mark.slow
def test_no_key_gets_401_before_the_body_is_read(server: Process) -> None:
    malformed = httpx.post(
        f"{server.url}/v1/ask", content=b'{"question": ', headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 401 and "API key" in malformed.json()["detail"]
    assert malformed.headers["www-authenticate"] == "Bearer"
    wrong = httpx.post(
        f"{server.url}/v1/memory/query", content=b"not json", headers={"Authorization": "Bearer nope"}
    )
    assert wrong.status_code == 401
    reply, growth = _peak_growth(
        server, lambda: httpx.post(f"{server.url}/v1/chat/completions", content=_chunks(HUGE), timeout=60)
    )
    print(f"server memory peak growth for a {HUGE // MB} MB chunked body without a key: {growth / MB:.1f} MB")
    assert reply.status_code == 401
    assert growth < 50 * MB
    declared = httpx.post(f"{server.url}/v1/ask", content=b"x" * (2 * LIMIT))
    assert declared.status_code == 401
    assert httpx.get(f"{server.url}/health").status_code == 503  # open, and nothing is approved


@pytest.mark.slow
def test_the_right_key_and_malformed_json_gets_422(server: Process) -> None:
    headers = {**AUTH, "content-type": "application/json"}
    for route in ("/v1/ask", "/v1/memory/query", "/v1/chat/completions"):
        reply = httpx.post(f"{server.url}{route}", content=b'{"question": ', headers=headers)
        assert reply.status_code == 422, (route, reply.text)


@pytest.mark.slow
@pytest.mark.parametrize("blank", ["", "   ", "\n\t "])
def test_blank_questions_get_422_on_every_route(server: Process, blank: str) -> None:
    bodies = {
        "/v1/ask": {"question": blank},
        "/v1/memory/query": {"questions": ["Who founded Verdant Lamp Works?", blank]},
        "/v1/chat/completions": {
            "messages": [{"role": "user", "content": "Who?"}, {"role": "user", "content": blank}]
        },
    }
    for route, body in bodies.items():
        reply = httpx.post(f"{server.url}{route}", json=body, headers=AUTH)
        assert reply.status_code == 422, (route, reply.text)
        assert "empty or only whitespace" in reply.text
    # questions with text get past validation, to the 503 of nothing approved; only the last user turn counts
    asked = httpx.post(f"{server.url}/v1/ask", json={"question": " Who? "}, headers=AUTH)
    assert asked.status_code == 503
    turns = [{"role": "user", "content": blank}, {"role": "assistant", "content": blank}]
    chat = {"messages": [*turns, {"role": "user", "content": "Who?"}]}
    assert httpx.post(f"{server.url}/v1/chat/completions", json=chat, headers=AUTH).status_code == 503


def test_memo_ask_refuses_a_blank_question_before_reading_the_config(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["ask", "--config", str(tmp_path / "missing.yaml"), "  \t "])
    assert result.exit_code == 2 and "empty or only whitespace" in result.output
