"""The EXECUTIVE: answers a user's question by interrogating the MEMORY model with sub-questions.

The offline default is a deterministic protocol over templates. Grounding finds bridge phrases ("the
designer of the Quillmark lamp") and turns each into a sub-question; entity identification asks the memory
who or what the bridge names; answer seeking re-asks the question with the bridge replaced by that entity.
Every sub-question and memory answer is kept in a trace.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from memo_core.executive.config import ExecutiveConfig
from memo_core.executive.protocol import ExecutiveAnswer, MemoryFn, TraceStep
from memo_core.text import NAME_PATTERN

# A trailing lower-case head noun belongs to the entity ("the Quillmark lamp"), unless a verb or particle.
_NOT_HEAD = {
    "born", "based", "located", "founded", "built", "made", "work", "works", "live", "lives", "join",
    "joined",
    "open", "opened", "in", "on", "at", "for", "to", "from", "by", "and", "or", "do", "does", "did", "have",
    "has", "had", "was", "is", "were", "are", "first", "start", "started", "use", "used", "hold", "holds",
}  # fmt: skip
_BRIDGE = re.compile(
    rf"\bthe\s+(?P<role>(?:[a-z-]+\s+){{0,3}}?[a-z-]+)\s+of\s+(?P<entity>(?:the\s+)?{NAME_PATTERN}(?:\s+[a-z]+)?)"
)


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
