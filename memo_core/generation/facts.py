"""The generator's working record: a question-answer pair with its probe and evidence, before it becomes a
``Reflection``. Steps pass facts to each other; only the generator turns them into records."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from memo_core.generation.text import Sentence


@dataclass(frozen=True)
class Evidence:
    """A sentence supporting a fact, and the document it is in ("" until the document is known)."""

    document_id: str
    sentence: Sentence


@dataclass(frozen=True)
class Fact:
    """One question-answer pair, its probe (a differently worded question) and where it came from."""

    question: str
    answer: str
    probe: str | None
    slot: str  # what was asked: "subject" | "time" | "place" | "quantity" | "role" | "kind" | "object" | ...
    subject: str  # the entity the question is about, as named in it
    evidence: tuple[Evidence, ...]
    kind: str = "direct"
    step: str = "extraction"
    subject_kind: str = ""  # "person" | "people" | "thing" | ...
    predicate: str = ""  # subject facts: what the subject did ("founded Quenlow Instruments in May 2009")

    @property
    def document_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(e.document_id for e in self.evidence))


def in_document(facts: Iterable[Fact], document_id: str) -> list[Fact]:
    """Facts with their evidence tied to ``document_id``."""
    return [
        dataclasses.replace(
            f,
            evidence=tuple(
                dataclasses.replace(e, document_id=e.document_id or document_id) for e in f.evidence
            ),
        )
        for f in facts
    ]
