"""The LLM executive: the three-stage protocol of the method, run by a frozen chat model over MEMORY.

1. grounding (one call): atomic clues, three sub-questions per strong clue and one per weak clue, plus
   combinations; MEMORY answers them all in one batch;
2. entity identification (at most ``max_identification_turns`` calls): a ranked candidate list revised
   from MEMORY's answers, until one candidate is chosen;
3. answer seeking (at most ``max_seeking_turns`` calls): questions naming the chosen entity, pivoting to
   another candidate when stuck; then one final call picks the answer meeting the most constraints.

A sub-question MEMORY has answered "I don't know" ``retire_after`` times is not asked again. Every
executive reply and every MEMORY question and answer goes into the trace.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from pydantic import Field

from memo_core.executive.config import ExecutiveConfig
from memo_core.executive.protocol import ExecutiveAnswer, MemoryFn, TraceStep
from memo_core.llm import prompts, replies
from memo_core.llm.chat import ChatClient
from memo_core.llm.replies import Reply, Schema
from memo_core.text import normalise_text

log = logging.getLogger(__name__)


_UNKNOWN = frozenset({"", "i don t know", "i do not know", "unknown", "not known", "no idea"})


def is_unknown(answer: str) -> bool:
    """MEMORY's way of abstaining (or an empty answer)."""
    return normalise_text(answer) in _UNKNOWN


class Clue(Reply):
    clue: str
    strength: str = "weak"
    questions: list[str] = Field(default_factory=list)


class GroundingReply(Reply):
    clues: list[Clue] = Field(default_factory=list)
    combined: list[str] = Field(default_factory=list)


class Candidate(Reply):
    name: str
    reason: str = ""


class IdentificationReply(Reply):
    candidates: list[Candidate] = Field(default_factory=list)
    chosen: str | None = None
    questions: list[str] = Field(default_factory=list)


class SeekingReply(Reply):
    questions: list[str] = Field(default_factory=list)
    answer: str | None = None
    pivot: str | None = None


class FinalReply(Reply):
    answer: str = ""
    satisfied: list[str] = Field(default_factory=list)


class LLMExecutive:
    """An LLM (OpenAI-compatible endpoint or local Hugging Face model) interrogating MEMORY."""

    def __init__(self, memory: MemoryFn, config: ExecutiveConfig, chat: ChatClient | None = None) -> None:
        if config.backend == "offline":
            raise ValueError("LLMExecutive needs executive.backend 'openai' or 'hf'")
        self.memory = memory
        self.config = config
        self._chat = chat

    @property
    def chat(self) -> ChatClient:
        if self._chat is None:
            from memo_core.llm.chat import HFChat, OpenAIChat

            backend = self.config.backend
            self._chat = OpenAIChat(self.config.openai) if backend == "openai" else HFChat(self.config.hf)
        return self._chat

    def ask(self, question: str) -> ExecutiveAnswer:
        return _Session(self, question).run()


class _Session:
    """One question's state: the answer record, the MEMORY log and the "I don't know" counts."""

    def __init__(self, executive: LLMExecutive, question: str) -> None:
        self.executive = executive
        self.config = executive.config
        self.result = ExecutiveAnswer(question=question, answer="")
        self.unknowns: dict[str, int] = {}

    def run(self) -> ExecutiveAnswer:
        question = self.result.question
        grounding = self.call("grounding", GroundingReply, question=question)
        first = [question] if grounding is None else self._grounding_questions(grounding)
        self.ask_memory("grounding", [question, *first])

        entity: str | None = None
        candidates: list[str] = []
        for _ in range(self.config.max_identification_turns):
            reply = self.call("identification", IdentificationReply, question=question, log=self.log())
            if reply is None:
                break
            candidates = [c.name for c in reply.candidates if c.name]
            entity = reply.chosen or None
            if entity or not self.ask_memory("identification", reply.questions):
                break
        entity = entity or (candidates[0] if candidates else None)

        proposed: str | None = None
        for _ in range(self.config.max_seeking_turns if entity else 0):
            seeking = self.call(
                "seeking", SeekingReply, question=question, entity=entity or "", log=self.log()
            )
            if seeking is None:
                break
            if seeking.answer:
                proposed = seeking.answer
                break
            if seeking.pivot:
                entity = seeking.pivot
            if not self.ask_memory("answer_seeking", seeking.questions) and not seeking.pivot:
                break

        final = self.call("final", FinalReply, question=question, log=self.log())
        self.result.answer = final.answer if final is not None and final.answer else (proposed or "")
        if not self.result.answer:  # the executive said nothing usable: fall back on MEMORY's direct answer
            direct = self.result.trace[0].memory_answer
            self.result.answer = "" if is_unknown(direct) else direct
        return self.result

    def _grounding_questions(self, reply: GroundingReply) -> list[str]:
        questions = []
        for clue in reply.clues:
            questions.extend(clue.questions[: 3 if clue.strength == "strong" else 1])
        return questions + reply.combined

    def call(self, stage: str, schema: type[Schema], **data: str) -> Schema | None:
        """One executive call; a reply still malformed after ``malformed_attempts`` ends that stage."""
        request = prompts.messages(f"executive_{stage}", system="executive_system", **data)
        reply, malformed = replies.ask_json(
            self.executive.chat, request, schema, self.config.malformed_attempts
        )
        decision: dict[str, Any] = {"stage": stage, "malformed": malformed}
        decision["reply"] = reply.model_dump() if reply is not None else None
        self.result.decisions.append(decision)
        if reply is None:
            log.warning(
                "executive %s: no usable reply after %d attempts", stage, self.config.malformed_attempts
            )
        return reply

    def ask_memory(self, stage: str, questions: list[str]) -> int:
        """Ask MEMORY the new, unretired questions in one batch; returns how many were asked."""
        asked = {normalise_text(step.sub_question) for step in self.result.trace}
        fresh: list[str] = []
        for q in questions:
            key = normalise_text(q)
            if not key or self.unknowns.get(key, 0) >= self.config.retire_after:
                continue
            if key in asked and stage != "grounding" and not self.unknowns.get(key):
                continue  # already answered: MEMORY is deterministic, the answer is in the log
            if key not in {normalise_text(f) for f in fresh}:
                fresh.append(q)
        fresh = fresh[: self.config.max_questions_per_turn] if stage != "grounding" else fresh
        if not fresh:
            return 0
        for q, a in zip(fresh, self.executive.memory(fresh), strict=True):
            self.result.trace.append(TraceStep(stage=stage, sub_question=q, memory_answer=a))
            if is_unknown(a):
                key = normalise_text(q)
                self.unknowns[key] = self.unknowns.get(key, 0) + 1
        return len(fresh)

    def log(self) -> str:
        return json.dumps(
            [
                {"question": s.sub_question, "memory": s.memory_answer or "I don't know"}
                for s in self.result.trace
            ],
            ensure_ascii=False,
        )
