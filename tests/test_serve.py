"""``memo serve`` over real HTTP on 127.0.0.1: asking with citations, memory queries, the chat-completions
protocol, limits, auth, and a new champion picked up without a restart."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from servers import free_port
from training_helpers import train_model

from memo_core.config import MemoConfig
from memo_core.memory.config import OfflineModelSpec
from memo_core.memory.model import build_offline_model, train_tokenizer
from memo_core.reflections.build import _write_reflections
from memo_core.reflections.records import Reflection
from memo_core.runtime import open_registry, open_store
from memo_core.serving.app import create_app
from memo_core.serving.citations import CitationIndex
from memo_core.serving.config import ServeConfig
from memo_core.store import reflection_set_key
from memo_core.training.examples import Example

pytestmark = pytest.mark.slow

TINY = OfflineModelSpec(layers=1, hidden=64, heads=2, intermediate=128, vocab_size=400, max_positions=64)
FACTS_V1 = {
    "Who founded Verdant Lamp Works?": "Ilse Marren",
    "Where is Verdant Lamp Works headquartered?": "Osterby",
    "Which town is Ilse Marren from?": "Pellow",
}
FACTS_V2 = {**FACTS_V1, "Who founded Verdant Lamp Works?": "Tomas Rudd"}
TEXT = "Ilse Marren founded Verdant Lamp Works. It is headquartered in Osterby. Ilse Marren is from Pellow."


def _reflections(facts: dict[str, str], corpus_version: int) -> list[Reflection]:
    out = []
    for question, answer in facts.items():
        start = TEXT.find(answer.split()[0])
        out.append(
            Reflection.create(
                question,
                answer,
                kind="direct",
                step="extraction",
                document_ids=("docs/verdant.md",),
                chunk_ids=("docs/verdant.md#p0",),
                spans=((max(start, 0), max(start, 0) + 30),),
                corpus_version=corpus_version,
                generator="offline-rules",
                generator_hash="test",
            )
        )
    return out


def _release(config: MemoConfig, tmp_path: Path, facts: dict[str, str], corpus_version: int) -> str:
    """Train a tiny memory on ``facts``, store its reflection set, register and approve it."""
    texts = [f"{q} {a}" for q, a in {**FACTS_V1, **FACTS_V2}.items()] * 4
    tokenizer = train_tokenizer(texts, TINY.vocab_size)
    model = build_offline_model(tokenizer, TINY, seed=0)
    examples = [Example(q, a) for q, a in facts.items()]
    work = tmp_path / f"train-{corpus_version}"
    checkpoint = train_model(model, tokenizer, examples, work, learning_rate=3e-3, epochs=150, batch_size=4)
    store = open_store(config)
    _write_reflections(store, reflection_set_key(corpus_version), _reflections(facts, corpus_version))
    registry = open_registry(config)
    version = registry.register_candidate(
        checkpoint_dir=checkpoint,
        params={"mode": "full"},
        metrics={"new_knowledge_em": 1.0},
        tags={"corpus_version": str(corpus_version)},
        reports={"report.md": "# report\n"},
        sample_questions=list(facts)[:1],
        gate_failures=[],
    )
    registry.approve(version.version, reviewer="test")
    return str(version.version)


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> MemoConfig:
    root = tmp_path_factory.mktemp("serve")
    return MemoConfig(store={"root": str(root / "store")}, registry={"model_name": "memo-serve-test"})


class Running:
    def __init__(self, app: object) -> None:
        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Running:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def service(config: MemoConfig) -> Iterator[Running]:
    settings = ServeConfig(reload_interval_s=0, max_request_bytes=4096, max_questions=4)
    with Running(create_app(config, settings)) as running:
        yield running


def test_no_champion_means_unavailable_not_an_error(service: Running) -> None:
    health = httpx.get(f"{service.url}/health")
    assert health.status_code == 503 and health.json()["status"] == "unavailable"
    ask = httpx.post(f"{service.url}/v1/ask", json={"question": "Who founded Verdant Lamp Works?"})
    assert ask.status_code == 503 and "approved" in ask.json()["detail"]


def test_ask_query_and_chat_with_citations(service: Running, config: MemoConfig, tmp_path_factory) -> None:
    version = _release(config, tmp_path_factory.mktemp("v1"), FACTS_V1, 1)
    health = httpx.get(f"{service.url}/health").json()
    assert health == {"status": "ok", "model": "memo-serve-test", "alias": "champion", "version": version}

    query = httpx.post(f"{service.url}/v1/memory/query", json={"questions": list(FACTS_V1)})
    assert query.status_code == 200
    assert query.json()["answers"] == list(FACTS_V1.values())

    asked = httpx.post(f"{service.url}/v1/ask", json={"question": "Who founded Verdant Lamp Works?"}).json()
    assert asked["answer"] == "Ilse Marren" and asked["model_version"] == version
    assert asked["trace"] and asked["trace"][0]["memory_answer"] == "Ilse Marren"
    [citation] = asked["citations"]
    assert citation["document_ids"] == ["docs/verdant.md"] and citation["answer"] == "Ilse Marren"
    start, end = citation["spans"][0]
    assert TEXT[start:end].startswith("Ilse Marren")

    from openai import OpenAI

    client = OpenAI(base_url=f"{service.url}/v1", api_key="unused", max_retries=0)
    reply = client.chat.completions.create(
        model="memo", messages=[{"role": "user", "content": "Where is Verdant Lamp Works headquartered?"}]
    )
    assert reply.choices[0].message.content == "Osterby"
    assert reply.usage is not None and reply.usage.completion_tokens > 0


def test_bad_requests_get_clear_errors(service: Running) -> None:
    big = httpx.post(f"{service.url}/v1/ask", json={"question": "x" * 5000})
    assert big.status_code == 413 and "max_request_bytes" in big.json()["detail"]
    many = httpx.post(f"{service.url}/v1/memory/query", json={"questions": ["Who?"] * 5})
    assert many.status_code == 413 and "at most 4" in many.json()["detail"]
    broken = httpx.post(
        f"{service.url}/v1/ask", content=b'{"question": ', headers={"content-type": "application/json"}
    )
    assert broken.status_code == 422
    missing = httpx.post(f"{service.url}/v1/ask", json={"q": "Who?"})
    assert missing.status_code == 422 and "question" in missing.text
    no_user = httpx.post(
        f"{service.url}/v1/chat/completions", json={"messages": [{"role": "system", "content": "x"}]}
    )
    assert no_user.status_code == 400


def test_a_new_champion_is_served_without_restart(
    service: Running, config: MemoConfig, tmp_path_factory
) -> None:
    before = httpx.get(f"{service.url}/health").json()["version"]
    version = _release(config, tmp_path_factory.mktemp("v2"), FACTS_V2, 2)
    assert version != before
    asked = httpx.post(f"{service.url}/v1/ask", json={"question": "Who founded Verdant Lamp Works?"}).json()
    assert asked["model_version"] == version and asked["answer"] == "Tomas Rudd"


def test_api_key_is_required_when_configured(config: MemoConfig) -> None:
    settings = ServeConfig(api_key_env="MEMO_SERVE_KEY")
    with pytest.raises(ValueError, match="MEMO_SERVE_KEY"):
        create_app(config, settings, environ={})
    with Running(create_app(config, settings, environ={"MEMO_SERVE_KEY": "s3cret"})) as running:
        body = {"questions": ["Who founded Verdant Lamp Works?"]}
        assert httpx.post(f"{running.url}/v1/memory/query", json=body).status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert httpx.post(f"{running.url}/v1/memory/query", json=body, headers=wrong).status_code == 401
        right = {"Authorization": "Bearer s3cret"}
        assert httpx.post(f"{running.url}/v1/memory/query", json=body, headers=right).status_code == 200
        assert httpx.get(f"{running.url}/health").status_code in (200, 503)  # health stays open


def test_citation_index_prefers_the_reflection_closest_to_the_sub_question() -> None:
    reflections = _reflections(FACTS_V1, 1) + _reflections({"Who designed the Orvel Lamp?": "Ilse Marren"}, 1)
    index = CitationIndex(reflections)
    first = index.cite("Who was it that founded Verdant Lamp Works?", "ilse marren")
    assert first[0].question == "Who founded Verdant Lamp Works?"
    assert (
        index.cite("Who designed the Orvel Lamp?", "Ilse Marren")[0].question
        == "Who designed the Orvel Lamp?"
    )
    assert index.cite("Who founded it?", "Nobody") == []
