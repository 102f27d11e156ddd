"""A local HTTP server speaking OpenAI's chat-completions protocol, for the LLM generator's tests.

It records every request it receives (headers and JSON body) and answers through a ``reply`` function
given the request number and body. ``RuleModel`` is a well-behaved stand-in for a real model: it reads only
what is inside the prompt's data blocks and answers each step with the offline rules' facts, so an LLM run
can be checked end to end without a hosted model.
"""

from __future__ import annotations

import json
import re
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from memo_core.reflections.generators.facts import Fact, in_document
from memo_core.reflections.generators.offline.extraction import analyse, direct, inferred
from memo_core.reflections.generators.offline.steps import (
    consolidate,
    cross_document,
    surface_entities,
)
from memo_core.sources.scan import Document, content_hash


@dataclass
class Reply:
    """What the server sends back: a completion with ``content``, or an error status, after ``delay``."""

    content: str = ""
    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Recorded:
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def system(self) -> str:
        return str(self.body["messages"][0]["content"])

    @property
    def user(self) -> str:
        return str(self.body["messages"][-1]["content"])


class ChatServer:
    """``with ChatServer(reply) as server:`` serves on 127.0.0.1 at ``server.base_url``."""

    def __init__(self, reply: Callable[[int, dict[str, Any]], Reply]) -> None:
        self.reply = reply
        self.requests: list[Recorded] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def __enter__(self) -> ChatServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                if self.path != "/v1/chat/completions":
                    self._send(404, {"error": {"message": f"no route {self.path}"}})
                    return
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with server._lock:
                    number = len(server.requests)
                    server.requests.append(Recorded({k.lower(): v for k, v in self.headers.items()}, body))
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    reply = server.reply(number, body)
                    time.sleep(reply.delay)
                except Exception:  # a broken test double answers 400 (not retried) with its traceback
                    reply = Reply(status=400, content=traceback.format_exc())
                finally:
                    with server._lock:
                        server.in_flight -= 1
                if reply.status != 200:
                    error = {"error": {"message": reply.content or f"status {reply.status}", "type": "test"}}
                    self._send(reply.status, error, reply.headers)
                    return
                completion = {
                    "id": f"chatcmpl-{number}",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body["model"],
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": reply.content},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }
                self._send(200, completion, reply.headers)

            def _send(
                self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
            ) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

        return Handler


_BLOCK = re.compile(r"<<<DATA (\w+)>>>\n(.*?)\n<<<END DATA \1>>>", re.DOTALL)
_TASK = re.compile(r"^Task: ([\w -]+?)\.", re.MULTILINE)


def data_blocks(text: str) -> list[str]:
    return [m.group(2) for m in _BLOCK.finditer(text)]


def task_of(body: dict[str, Any]) -> str:
    match = _TASK.search(body["messages"][-1]["content"])
    assert match, "a user message without a task line"
    return match.group(1)


def _passage_facts(passage: str, doc_id: str = "passage") -> list[Fact]:
    document = Document(id=doc_id, source="s", path=doc_id, text=passage, content_hash=content_hash(passage))
    analysis = analyse(document)
    return in_document(direct(analysis) + inferred(analysis), doc_id)


def _as_json(facts: list[Fact], with_entities: bool = True) -> str:
    rows = []
    for fact in facts:
        row: dict[str, Any] = {
            "question": fact.question,
            "answer": fact.answer,
            "probe": fact.probe,
            "kind": fact.kind if fact.kind in ("direct", "inferred") else "direct",
            "evidence": [e.sentence.text for e in fact.evidence],
        }
        if with_entities:
            row["entities"] = [fact.subject]
        rows.append(row)
    return json.dumps({"facts": rows})


class RuleModel:
    """Answers every step from the data blocks only, with the offline rules; never reads anything else."""

    def __call__(self, number: int, body: dict[str, Any]) -> Reply:
        return Reply(self.content(body))

    def content(self, body: dict[str, Any]) -> str:
        task = task_of(body)
        blocks = data_blocks(body["messages"][-1]["content"])
        if task == "extraction":
            return _as_json(_passage_facts(blocks[0]))
        if task == "consolidation":
            return _as_json(consolidate(_passage_facts(blocks[1])), with_entities=False)
        if task == "entity surfacing":
            return _as_json(surface_entities(_passage_facts(blocks[1])), with_entities=False)
        if task == "verification":
            return json.dumps({"self_contained": True})
        if task == "cross-document synthesis":
            per_document = {f"d{i}": _passage_facts(block, f"d{i}") for i, block in enumerate(blocks)}
            return _as_json(cross_document(per_document), with_entities=False)
        raise AssertionError(f"unknown task {task!r}")
