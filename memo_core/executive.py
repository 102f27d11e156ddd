"""The EXECUTIVE: answers a user's question by interrogating the MEMORY model with sub-questions.

The offline default is a deterministic protocol over templates. Grounding finds bridge phrases ("the
designer of the Quillmark lamp") and turns each into a sub-question; entity identification asks the memory
who or what the bridge names; answer seeking re-asks the question with the bridge replaced by that entity.
Every sub-question and memory answer is kept in a trace.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from memo_core.generation.config import HFBackendConfig, OpenAIBackendConfig

MemoryFn = Callable[[list[str]], list[str]]

_NAME = r"[A-Z][\w'-]*(?:\s+(?:of\s+|de\s+|and\s+)?[A-Z][\w'-]*)*"
# A trailing lower-case head noun belongs to the entity ("the Quillmark lamp"), unless a verb or particle.
_NOT_HEAD = {
    "born", "based", "located", "founded", "built", "made", "work", "works", "live", "lives", "join",
    "joined",
    "open", "opened", "in", "on", "at", "for", "to", "from", "by", "and", "or", "do", "does", "did", "have",
    "has", "had", "was", "is", "were", "are", "first", "start", "started", "use", "used", "hold", "holds",
}  # fmt: skip
_BRIDGE = re.compile(
    rf"\bthe\s+(?P<role>(?:[a-z-]+\s+){{0,3}}?[a-z-]+)\s+of\s+(?P<entity>(?:the\s+)?{_NAME}(?:\s+[a-z]+)?)"
)


class ExecutiveConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    backend: Literal["offline", "openai", "hf"] = Field(
        "offline",
        description="offline: deterministic templates; openai/hf: an LLM runs the three-stage protocol",
    )
    max_bridges: int = Field(2, ge=0, description="offline: bridge phrases resolved per question")
    openai: OpenAIBackendConfig = Field(default_factory=OpenAIBackendConfig)
    hf: HFBackendConfig = Field(default_factory=HFBackendConfig)
    max_identification_turns: int = Field(7, ge=0, description="LLM: entity identification turns")
    max_seeking_turns: int = Field(8, ge=0, description="LLM: answer seeking turns")
    retire_after: int = Field(
        3, ge=1, description="LLM: 'I don't know' answers before a sub-question is retired"
    )
    max_questions_per_turn: int = Field(12, ge=1, description="LLM: memory questions taken from one turn")
    malformed_attempts: int = Field(3, ge=1, description="LLM: tries per executive call")


@dataclass(frozen=True)
class TraceStep:
    stage: str  # grounding | identification | answer_seeking
    sub_question: str
    memory_answer: str


@dataclass
class ExecutiveAnswer:
    question: str
    answer: str
    trace: list[TraceStep] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)  # each executive call's stage and reply

    @property
    def executive_calls(self) -> int:
        return len(self.decisions)

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "trace": [asdict(s) for s in self.trace],
            "decisions": self.decisions,
        }


class Executive(Protocol):
    """Answers a user's question by interrogating the memory."""

    def ask(self, question: str) -> ExecutiveAnswer: ...


def build_executive(memory: MemoryFn, config: ExecutiveConfig) -> Executive:
    """The executive the config names; LLM backends connect (or load their model) on first use."""
    if config.backend == "offline":
        return OfflineExecutive(memory, config)
    from memo_core.executive_llm import LLMExecutive

    return LLMExecutive(memory, config)


@dataclass(frozen=True)
class Bridge:
    phrase: str
    role: str
    entity: str

    @property
    def sub_question(self) -> str:
        return f"Who is the {self.role} of {self.entity}?"


def find_bridges(question: str, limit: int) -> list[Bridge]:
    """Bridge phrases: 'the <role> of <named entity>' inside a question, outermost first."""
    bridges = []
    for match in _BRIDGE.finditer(question):
        entity = match.group("entity")
        words = entity.split()
        if words[-1].islower() and words[-1] in _NOT_HEAD:
            entity = " ".join(words[:-1])
        phrase = question[match.start() : match.start("entity") + len(entity)]
        bridges.append(Bridge(phrase=phrase, role=match.group("role"), entity=entity))
    return bridges[:limit]


class OfflineExecutive:
    """Deterministic executive: direct question, plus one bridged re-ask per bridge phrase."""

    def __init__(self, memory: MemoryFn, config: ExecutiveConfig | None = None) -> None:
        self.memory = memory
        self.config = config or ExecutiveConfig()

    def ask(self, question: str) -> ExecutiveAnswer:
        return self.ask_many([question])[0]

    def ask_many(self, questions: Sequence[str]) -> list[ExecutiveAnswer]:
        """Answer several questions, batching each stage's memory calls across all of them."""
        results = [ExecutiveAnswer(question=q, answer="") for q in questions]
        bridges = [find_bridges(q, self.config.max_bridges) for q in questions]

        # Grounding: the question as asked, and each bridge's identifying sub-question.
        grounding = [(i, q) for i, q in enumerate(questions)]
        grounding += [(i, b.sub_question) for i, bs in enumerate(bridges) for b in bs]
        grounded = self._ask_memory(grounding, "grounding", results)
        for i, question in enumerate(questions):
            results[i].answer = grounded[(i, question)]

        # Entity identification and answer seeking: replace each bridge with the entity the memory named.
        seeking = []
        for i, (question, bs) in enumerate(zip(questions, bridges, strict=True)):
            rewritten = question
            for bridge in bs:
                entity = grounded[(i, bridge.sub_question)]
                if entity:
                    rewritten = rewritten.replace(bridge.phrase, entity, 1)
            if rewritten != question:
                seeking.append((i, rewritten))
        for (i, _), answer in self._ask_memory(seeking, "answer_seeking", results).items():
            if answer:
                results[i].answer = answer
        return results

    def _ask_memory(
        self, asks: list[tuple[int, str]], stage: str, results: list[ExecutiveAnswer]
    ) -> dict[tuple[int, str], str]:
        if not asks:
            return {}
        answers = self.memory([q for _, q in asks])
        for (i, q), a in zip(asks, answers, strict=True):
            results[i].trace.append(TraceStep(stage=stage, sub_question=q, memory_answer=a))
        return {key: a for key, a in zip(asks, answers, strict=True)}
