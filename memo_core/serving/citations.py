"""Provenance for answers: which training reflections stand behind a memory answer, and so which
documents and character spans an executive answer rests on.

The memory model answers from its weights, so the link is made afterwards: a memory answer is matched to
the training reflections of the model's reflection set that give the same (normalised) answer, ranked by
how much of the sub-question they share.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from memo_core.executive.protocol import Executive, ExecutiveAnswer
from memo_core.reflections.records import Reflection
from memo_core.text import normalise_text


@dataclass(frozen=True)
class Citation:
    """A training reflection behind a memory answer, and the documents and spans it came from."""

    reflection_id: str
    question: str
    answer: str
    document_ids: tuple[str, ...]
    chunk_ids: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "reflection_id": self.reflection_id,
            "question": self.question,
            "answer": self.answer,
            "document_ids": list(self.document_ids),
            "chunk_ids": list(self.chunk_ids),
            "spans": [list(span) for span in self.spans],
        }


class CitationIndex:
    """Training reflections by normalised answer."""

    def __init__(self, reflections: Iterable[Reflection]) -> None:
        self._by_answer: dict[str, list[Reflection]] = defaultdict(list)
        for reflection in reflections:
            if reflection.split == "train":
                self._by_answer[normalise_text(reflection.answer)].append(reflection)

    def __len__(self) -> int:
        return sum(len(group) for group in self._by_answer.values())

    def cite(self, sub_question: str, memory_answer: str, limit: int = 3) -> list[Citation]:
        """The reflections most likely to have taught ``memory_answer`` to ``sub_question``."""
        candidates = self._by_answer.get(normalise_text(memory_answer), [])
        if not candidates:
            return []
        asked = set(normalise_text(sub_question).split())

        def overlap(reflection: Reflection) -> float:
            words = set(normalise_text(reflection.question).split())
            return len(asked & words) / (len(asked | words) or 1)

        ranked = sorted(candidates, key=lambda r: (-overlap(r), r.id))[:limit]
        return [Citation(r.id, r.question, r.answer, r.document_ids, r.chunk_ids, r.spans) for r in ranked]


def answer_with_citations(executive: Executive, index: CitationIndex, question: str) -> dict[str, Any]:
    """The executive's answer and trace, each memory answer with its citations, and the answer's own
    citations: those of the memory answers it was built from (the final answer itself, and any entity the
    executive went on to ask about)."""
    result: ExecutiveAnswer = executive.ask(question)
    seeking = " ".join(s.sub_question for s in result.trace if s.stage == "answer_seeking")
    steps = []
    used: dict[str, dict[str, Any]] = {}
    for step in result.trace:
        cited = [c.to_json() for c in index.cite(step.sub_question, step.memory_answer)]
        steps.append(
            {
                "stage": step.stage,
                "hop": step.hop,
                "sub_question": step.sub_question,
                "memory_answer": step.memory_answer,
                "citations": cited,
            }
        )
        if step.memory_answer and (step.memory_answer == result.answer or step.memory_answer in seeking):
            for citation in cited:
                used.setdefault(citation["reflection_id"], citation)
    return {
        "question": question,
        "answer": result.answer,
        "citations": list(used.values()),
        "trace": steps,
        "decisions": result.decisions,
    }
