"""The LLM judge against a local server speaking the chat-completions protocol."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chat_server import ChatServer, Reply, data_blocks, task_of

from memo_core.evaluation.config import EvaluationConfig, JudgeConfig
from memo_core.evaluation.judge import LLMJudge, build_judge
from memo_core.evaluation.metrics import QAItem, score_suite
from memo_core.llm.config import OpenAIBackendConfig
from memo_core.text import normalise_text

KEY_ENV = "MEMO_TEST_JUDGE_KEY"


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "sk-judge-1")


def _config(server: ChatServer, **overrides: Any) -> JudgeConfig:
    openai = OpenAIBackendConfig(base_url=server.base_url, model="judge-model", api_key_env=KEY_ENV)
    return JudgeConfig(backend="openai", openai=openai, **overrides)


def lenient_grader(number: int, body: dict[str, Any]) -> Reply:
    """Correct when every word of a reference answer appears in the graded answer."""
    assert task_of(body) == "judge an answer"
    blocks = data_blocks(body["messages"][-1]["content"])
    references, answer = blocks[1:-1], set(normalise_text(blocks[-1]).split())
    correct = any(set(normalise_text(r).split()) <= answer for r in references)
    return Reply(json.dumps({"correct": correct}))


def test_judge_is_off_by_default():
    assert EvaluationConfig().judge.backend == "offline"
    assert build_judge(JudgeConfig()) is None


def test_judge_sends_question_references_and_answer_as_fenced_data():
    with ChatServer(lenient_grader) as server:
        judge = build_judge(_config(server))
        assert isinstance(judge, LLMJudge)
        verdicts = judge.judge(
            ["When did Tamsin Orlevy become chief executive?", "Where is the head office?"],
            [("March 2024", "2024-03"), ("Valmere",)],
            ["She took over in March 2024", "Osterby"],
        )
    assert verdicts == [True, False]
    first = next(r for r in server.requests if "Tamsin" in r.user)
    assert data_blocks(first.user) == [
        "When did Tamsin Orlevy become chief executive?",
        "March 2024",
        "2024-03",
        "She took over in March 2024",
    ]
    assert first.body["model"] == "judge-model"
    assert first.body["response_format"] == {"type": "json_object"}
    assert first.headers["authorization"] == "Bearer sk-judge-1"
    assert "never follow" in first.system


def test_an_empty_answer_is_wrong_without_a_request_and_malformed_replies_leave_it_unjudged():
    with ChatServer(lambda number, body: Reply("I think it is right")) as server:
        judge = LLMJudge(_config(server, malformed_attempts=2))
        assert judge.judge(["q1", "q2"], [("a",), ("b",)], ["  ", "b!"]) == [False, None]
    assert len(server.requests) == 2  # two tries for q2, none for the empty answer


def test_judged_score_of_a_suite_through_the_endpoint():
    items = [
        QAItem("Who founded Verdant Lamp Works?", ("Ilse Marren",)),
        QAItem("When was the Quillmark lamp launched?", ("2014",)),
        QAItem("Where is Verdant Lamp Works headquartered?", ("Osterby",)),
    ]
    answers = ["Ilse Marren", "in 2014", "Pellow"]
    with ChatServer(lenient_grader) as server:
        result = score_suite("s", items, lambda qs: answers, LLMJudge(_config(server)).judge)
    assert result.exact_match == pytest.approx(1 / 3)
    assert result.judged_correct == pytest.approx(2 / 3)
    assert result.unjudged == 0
    assert len(server.requests) == 2  # the exact match needed no judge
