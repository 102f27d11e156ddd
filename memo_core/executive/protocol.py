"""What every executive gives back (the answer and each memory call in its trace), and the factory that
picks the executive the config names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from memo_core.executive.config import ExecutiveConfig

MemoryFn = Callable[[list[str]], list[str]]


@dataclass(frozen=True)
class TraceStep:
    stage: str  # grounding | identification | answer_seeking
    sub_question: str
    memory_answer: str
    hop: str = ""  # offline: which hop of the question this call resolved ("hop 1: the mother of X")


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
        from memo_core.executive.offline import OfflineExecutive

        return OfflineExecutive(memory, config)
    from memo_core.executive.llm import LLMExecutive

    return LLMExecutive(memory, config)
