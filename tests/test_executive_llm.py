"""The LLM executive's three-stage protocol against a local chat-completions server: grounding fan-out,
entity identification, answer seeking, "I don't know" retirement, limits, malformed replies."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chat_server import ChatServer, Reply, data_blocks, task_of

from memo_core.executive.config import ExecutiveConfig
from memo_core.executive.llm import LLMExecutive
from memo_core.executive.protocol import build_executive
from memo_core.llm.config import OpenAIBackendConfig

KEY_ENV = "MEMO_TEST_EXECUTIVE_KEY"
QUESTION = "Where was the designer of the Orvel Lamp born?"
FACTS = {
    "Who designed the Orvel Lamp?": "Ilse Marren",
    "Who is the designer of the Orvel Lamp?": "Ilse Marren",
    "Where was Ilse Marren born?": "Pellow",
}


class Memory:
    """A memory that knows FACTS and abstains on everything else; records each batch it is sent."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def __call__(self, questions: list[str]) -> list[str]:
        self.batches.append(list(questions))
        return [FACTS.get(q, "I don't know") for q in questions]


def scripted(replies: dict[str, Any]) -> Any:
    """A stand-in executive model: each task's reply comes from ``replies[task](user_blocks)``."""

    def reply(number: int, body: dict[str, Any]) -> Reply:
        blocks = data_blocks(body["messages"][-1]["content"])
        return Reply(json.dumps(replies[task_of(body)](blocks)))

    return reply


def _memory_said(blocks: list[str], question: str) -> str | None:
    for row in json.loads(blocks[-1]):
        if row["question"] == question and row["memory"] != "I don't know":
            return str(row["memory"])
    return None


STRAIGHT = {
    "grounding": lambda b: {
        "clues": [
            {
                "clue": "designed the Orvel Lamp",
                "strength": "strong",
                "questions": list(FACTS)[:2] + ["Which person designed the Orvel Lamp?"],
            },
            {
                "clue": "was born somewhere",
                "strength": "weak",
                "questions": ["Where was the designer born?", "x"],
            },
        ],
        "combined": [],
    },
    "entity identification": lambda b: {
        "candidates": [{"name": "Ilse Marren", "reason": "memory named her twice"}],
        "chosen": _memory_said(b, "Who designed the Orvel Lamp?"),
        "questions": [],
    },
    "answer seeking": lambda b: {
        "questions": [f"Where was {b[1]} born?"],
        "answer": _memory_said(b, f"Where was {b[1]} born?"),
    },
    "final answer": lambda b: {
        "answer": _memory_said(b, "Where was Ilse Marren born?") or "",
        "satisfied": [],
    },
}


def _executive(server: ChatServer, memory: Memory, **limits: Any) -> LLMExecutive:
    config = ExecutiveConfig(
        backend="openai",
        openai=OpenAIBackendConfig(
            base_url=server.base_url, model="exec", api_key_env=KEY_ENV, max_retries=0
        ),
        **limits,
    )
    executive = build_executive(memory, config)
    assert isinstance(executive, LLMExecutive)
    return executive


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "sk-exec")


def test_three_stages_answer_a_two_hop_question_with_a_full_trace() -> None:
    memory = Memory()
    with ChatServer(scripted(STRAIGHT)) as server:
        result = _executive(server, memory).ask(QUESTION)
    assert result.answer == "Pellow"
    # Grounding fans out in one batch: the question, 3 for the strong clue, 1 for the weak one.
    assert memory.batches[0] == [
        QUESTION,
        *list(FACTS)[:2],
        "Which person designed the Orvel Lamp?",
        "Where was the designer born?",
    ]
    stages = [d["stage"] for d in result.decisions]
    assert stages == ["grounding", "identification", "seeking", "seeking", "final"]
    assert {s.stage for s in result.trace} == {"grounding", "answer_seeking"}
    assert any(
        s.sub_question == "Where was Ilse Marren born?" and s.memory_answer == "Pellow" for s in result.trace
    )
    payload = result.to_json()
    assert payload["decisions"][1]["reply"]["chosen"] == "Ilse Marren"
    assert len(result.decisions) <= 1 + 7 + 8 + 1
    for recorded in server.requests:  # the user's question travels as data only
        assert QUESTION not in recorded.system
        assert any(QUESTION in block for block in data_blocks(recorded.user))


def test_a_sub_question_is_retired_after_three_i_dont_knows() -> None:
    memory = Memory()
    stubborn = {
        **STRAIGHT,
        "entity identification": lambda b: {
            "candidates": [],
            "chosen": None,
            "questions": ["Who made the Zyx?"],
        },
    }
    with ChatServer(scripted(stubborn)) as server:
        result = _executive(server, memory).ask(QUESTION)
    asked = [s for s in result.trace if s.sub_question == "Who made the Zyx?"]
    assert len(asked) == 3  # then retired: the fourth turn had nothing left to ask and identification ended
    identification = [d for d in result.decisions if d["stage"] == "identification"]
    assert len(identification) == 4
    assert (
        result.answer == ""
    )  # no entity found, final answer empty, and MEMORY's direct answer is "I don't know"


def test_turn_limits_are_configurable() -> None:
    undecided = {
        **STRAIGHT,
        "entity identification": lambda b: {
            "candidates": [{"name": "Ilse Marren"}],
            "chosen": None,
            "questions": [f"Is Ilse Marren the designer ({len(json.loads(b[-1]))})?"],
        },
        "answer seeking": lambda b: {
            "questions": [f"What did {b[1]} do ({len(json.loads(b[-1]))})?"],
            "answer": None,
        },
    }
    with ChatServer(scripted(undecided)) as server:
        result = _executive(server, Memory(), max_identification_turns=2, max_seeking_turns=3).ask(QUESTION)
    stages = [d["stage"] for d in result.decisions]
    assert stages.count("identification") == 2 and stages.count("seeking") == 3
    assert result.answer == ""


def test_malformed_executive_replies_fall_back_to_memorys_direct_answer() -> None:
    memory = Memory()
    with ChatServer(lambda n, body: Reply("Sure, here is my plan: ask around.")) as server:
        result = _executive(server, memory, malformed_attempts=2).ask("Who designed the Orvel Lamp?")
    assert result.answer == "Ilse Marren"  # MEMORY's answer to the question as asked
    assert [d["stage"] for d in result.decisions] == ["grounding", "identification", "final"]
    assert all(d["reply"] is None and d["malformed"] == 2 for d in result.decisions)
    assert len(server.requests) == 6
