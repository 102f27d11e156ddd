"""``memo serve``: the champion memory and the executive over HTTP (an ASGI app, FastAPI).

Routes: ``GET /health``; ``POST /v1/ask`` (answer, citations, trace); ``POST /v1/memory/query`` (batched
sub-questions to memory answers); ``POST /v1/chat/completions``, OpenAI's protocol over the memory model, so
any executive or agent can interrogate it. The app serves whichever version holds the ``champion`` alias,
looking again every ``reload_interval_s``, so an approval is picked up without a restart.

No ``from __future__ import annotations`` here: FastAPI reads the route functions' annotations at runtime,
and those name classes imported inside ``create_app``.
"""

import hmac
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from memo_core.executive.protocol import build_executive
from memo_core.memory.model import MemoryModel
from memo_core.serving.citations import CitationIndex, answer_with_citations

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from memo_core.config import MemoConfig
    from memo_core.registry.registry import MemoRegistry
from memo_core.serving.config import ServeConfig

log = logging.getLogger(__name__)


# Requests and replies -----------------------------------------------------------------------------------


def _not_blank(text: str) -> str:
    """A blank question would still cost a forward pass and get an answer to nothing."""
    if not text.strip():
        raise ValueError("the question is empty or only whitespace")
    return text


Question = Annotated[str, AfterValidator(_not_blank)]


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: Question


class MemoryQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    questions: list[Question] = Field(min_length=1)


class ChatMessage(BaseModel):
    role: str
    content: str


class ChatRequest(BaseModel):
    """The subset of chat-completions a memory model can honour; other fields are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model: str = "memo-memory"
    messages: list[ChatMessage] = Field(min_length=1)

    @model_validator(mode="after")
    def _last_user_message_not_blank(self) -> "ChatRequest":
        """The last user message is the question the memory answers; earlier turns may be anything."""
        users = [m.content for m in self.messages if m.role == "user"]
        if users:
            _not_blank(users[-1])
        return self


# The served model ---------------------------------------------------------------------------------------


@dataclass
class ServedMemory:
    version: str
    memory: MemoryModel
    citations: CitationIndex


class ChampionHolder:
    """The memory model behind the alias, reloaded when the alias moves (checked at most every
    ``reload_interval_s``); requests keep using the old model until the new one is fully loaded."""

    def __init__(self, config: "MemoConfig", serve: ServeConfig) -> None:
        from memo_core.runtime import open_registry

        self.config = config
        self.serve = serve
        self.registry = open_registry(config)
        self._served: ServedMemory | None = None
        self._checked = 0.0
        self._lock = threading.Lock()
        self.answer_lock = threading.Lock()  # one forward pass at a time through the model

    def current(self) -> ServedMemory:
        """The served model; raises ``RegistryError`` when the alias names no version."""
        with self._lock:
            now = time.monotonic()
            if self._served is None or now - self._checked >= self.serve.reload_interval_s:
                self._checked = now
                version = str(self.registry.get(self.serve.alias).version)
                if self._served is None or self._served.version != version:
                    self._served = self._load(version)
            return self._served

    def _load(self, version: str) -> ServedMemory:
        log.info("loading %s version %s", self.registry.model_name, version)
        return load_memory(self.config, self.registry, version)


def load_memory(config: "MemoConfig", registry: "MemoRegistry", ref: str) -> ServedMemory:
    """A version's memory model and the citation index of the reflection set it was trained on."""
    from memo_core.reflections.build import read_reflection_set
    from memo_core.runtime import open_store
    from memo_core.store import reflection_set_key

    version = registry.get(ref)
    memory = MemoryModel.load(registry.memory_dir(version.version), config.memory.max_new_tokens)
    corpus_version = version.tags.get("corpus_version")
    store = open_store(config)
    key = reflection_set_key(int(corpus_version)) if corpus_version else None
    reflections = read_reflection_set(store, key) if key and store.exists(key) else []
    if not reflections:
        log.warning("version %s: no reflection set in the store; answers carry no citations", version.version)
    return ServedMemory(str(version.version), memory, CitationIndex(reflections))


# The app ------------------------------------------------------------------------------------------------


class RequestGuard:
    """ASGI middleware that checks the API key and bounds the body before any route reads a byte of it.

    An unauthenticated request costs no body read, and a body over ``max_request_bytes`` is refused at its
    declared length or, streamed without one, after one byte past the limit; the body is read here and
    replayed to the app, so a request holds at most the limit in memory.
    """

    def __init__(self, app: "ASGIApp", serve: ServeConfig, api_key: str | None) -> None:
        self.app = app
        self.serve = serve
        self.expected = f"Bearer {api_key}".encode() if api_key is not None else None

    async def __call__(self, scope: "Scope", receive: "Receive", send: "Send") -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not self._authorised(scope):
            await _unauthorised()(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared.isdigit() and int(declared) > self.serve.max_request_bytes:
            await _too_large(self.serve)(scope, receive, send)
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away: nobody to answer
            body += message.get("body", b"")
            if len(body) > self.serve.max_request_bytes:
                await _too_large(self.serve)(scope, receive, send)
                return
            more = message.get("more_body", False)
        replayed = False

        async def replay() -> "Message":
            nonlocal replayed
            if replayed:
                return await receive()  # after the body, only a disconnect is left to wait for
            replayed = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)

    def _authorised(self, scope: "Scope") -> bool:
        """``/health`` stays open; with a key configured, every ``/v1/`` route needs it (also when mounted
        under a ``root_path``, which the router strips before matching)."""
        route = scope["path"].removeprefix(scope.get("root_path", ""))
        if self.expected is None or not route.startswith("/v1/"):
            return True
        return hmac.compare_digest(_header(scope, b"authorization"), self.expected)


def create_app(
    config: "MemoConfig", serve: ServeConfig | None = None, environ: dict[str, str] | None = None
) -> Any:
    """The ASGI app; ``uvicorn`` runs it (``memo serve``)."""
    from fastapi import FastAPI, HTTPException
    from fastapi.responses import JSONResponse

    from memo_core.registry.registry import RegistryError, RegistryUnavailable

    serve = serve or config.serve
    env = os.environ if environ is None else environ
    api_key = env.get(serve.api_key_env) if serve.api_key_env else None
    if serve.api_key_env and not api_key:
        raise ValueError(f"serve.api_key_env names ${serve.api_key_env}, which is not set")
    holder = ChampionHolder(config, serve)
    app = FastAPI(title="memo", version="1", summary="Ask the MEMORY model, or ask through the executive")
    app.add_middleware(RequestGuard, serve=serve, api_key=api_key)

    def served() -> ServedMemory:
        try:
            return holder.current()
        except RegistryUnavailable as exc:
            raise HTTPException(503, str(exc)) from None
        except RegistryError as exc:
            raise HTTPException(503, f"{exc}; nothing to serve until a version is approved") from None

    def check(questions: list[str]) -> None:
        if len(questions) > serve.max_questions:
            raise HTTPException(413, f"{len(questions)} questions; at most {serve.max_questions} per request")
        long = [i for i, q in enumerate(questions) if len(q) > serve.max_question_chars]
        if long:
            raise HTTPException(413, f"questions {long} exceed {serve.max_question_chars} characters")

    @app.get("/health")
    def health() -> JSONResponse:
        try:
            current = holder.current()
        except RegistryError as exc:
            return JSONResponse({"status": "unavailable", "detail": str(exc)}, status_code=503)
        body = {"status": "ok", "model": holder.registry.model_name, "alias": serve.alias}
        return JSONResponse({**body, "version": current.version})

    @app.post("/v1/memory/query")
    def memory_query(query: MemoryQuery) -> dict[str, Any]:
        check(query.questions)
        current = served()
        with holder.answer_lock:
            answers = current.memory.answer(query.questions)
        return {"answers": answers, "model_version": current.version}

    @app.post("/v1/ask")
    def ask_route(request: AskRequest) -> dict[str, Any]:
        check([request.question])
        current = served()

        def memory(questions: list[str]) -> list[str]:
            with holder.answer_lock:
                return current.memory.answer(questions)

        executive = build_executive(memory, config.executive)
        return {
            **answer_with_citations(executive, current.citations, request.question),
            "model_version": current.version,
        }

    @app.post("/v1/chat/completions")
    def chat_completions(request: ChatRequest) -> dict[str, Any]:
        users = [m.content for m in request.messages if m.role == "user"]
        if not users:
            raise HTTPException(400, "no user message: the memory answers the last user message")
        check(users[-1:])
        current = served()
        with holder.answer_lock:
            [answer] = current.memory.answer(users[-1:])
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": f"{holder.registry.model_name}/{current.version}",
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}
            ],
            "usage": _usage(current.memory, users[-1], answer),
        }

    return app


def _header(scope: "Scope", name: bytes) -> bytes:
    """The first value of a request header (lower-case ``name``), or empty."""
    return next((value for key, value in scope["headers"] if key == name), b"")


def _unauthorised() -> Any:
    from fastapi.responses import JSONResponse

    detail = "missing or wrong API key: send 'Authorization: Bearer <key>'"
    return JSONResponse({"detail": detail}, status_code=401, headers={"WWW-Authenticate": "Bearer"})


def _too_large(serve: ServeConfig) -> Any:
    from fastapi.responses import JSONResponse

    detail = f"request body over {serve.max_request_bytes} bytes (serve.max_request_bytes)"
    return JSONResponse({"detail": detail}, status_code=413)


def _usage(memory: MemoryModel, question: str, answer: str) -> dict[str, int]:
    prompt = len(memory.tokenizer(question)["input_ids"])
    completion = len(memory.tokenizer(answer)["input_ids"])
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
