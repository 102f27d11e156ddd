"""An optional LLM judge: a chat model decides whether an answer states the same fact as the reference.

Exact match misses a correct answer worded differently ("March 2024" for "in March 2024"); a judge through
any OpenAI-compatible endpoint catches those. It is off by default so evaluation stays deterministic, and
it only ever sees answers exact match has not already accepted.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from pydantic import BaseModel, ConfigDict

from memo_core.evaluation.config import JudgeConfig
from memo_core.llm import prompts, replies
from memo_core.llm.chat import ChatClient

log = logging.getLogger(__name__)


class Verdict(BaseModel):
    model_config = ConfigDict(extra="ignore")

    correct: bool


class LLMJudge:
    """Judges (question, references, answer) triples, ``chat.concurrency`` requests at a time."""

    def __init__(self, config: JudgeConfig, chat: ChatClient | None = None) -> None:
        if chat is None:
            from memo_core.llm.chat import OpenAIChat

            chat = OpenAIChat(config.openai)
        self.config = config
        self.chat = chat

    def judge(
        self, questions: Sequence[str], references: Sequence[Sequence[str]], answers: Sequence[str]
    ) -> list[bool | None]:
        """Whether each answer is correct; None where every reply was malformed (the answer is unjudged)."""
        triples = list(zip(questions, references, answers, strict=True))
        with ThreadPoolExecutor(max_workers=self.chat.concurrency) as pool:
            return list(pool.map(lambda t: self._one(*t), triples))

    def _one(self, question: str, reference: Sequence[str], answer: str) -> bool | None:
        if not answer.strip():
            return False
        request = prompts.messages(
            "judge", system="judge_system", question=question, reference=list(reference), answer=answer
        )
        verdict, _ = replies.ask_json(self.chat, request, Verdict, self.config.malformed_attempts)
        if verdict is None:
            log.warning(
                "judge: no usable reply for %r after %d attempts", question, self.config.malformed_attempts
            )
            return None
        return verdict.correct


def build_judge(config: JudgeConfig) -> LLMJudge | None:
    return None if config.backend == "offline" else LLMJudge(config)
