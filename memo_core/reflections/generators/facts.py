"""The generator's working record: a question-answer pair with its probe and evidence, before it becomes a
``Reflection``. Steps pass facts to each other; only the generator turns them into records."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from memo_core.reflections.generators.sentences import Sentence
from memo_core.reflections.records import Reflection
from memo_core.text import normalise_text


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
    describes: str = ""  # the answer described through the subject ("the father of Lio Varesh"), for chains
    answer_name: str = ""  # the answer as a question names it, when it is an entity
    wording: int = 0  # which of the fact's wordings this question is (0: the canonical one)

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


def facts_to_reflections(
    facts: Iterable[Fact],
    corpus_version: int,
    generator: str,
    generator_hash: str,
    probes: bool,
    chunk_tag: str,
) -> list[Reflection]:
    """Training reflections (and, with ``probes``, their held-out probes) with full provenance."""
    out: list[Reflection] = []
    for fact in facts:
        common = {
            "kind": fact.kind,
            "step": fact.step,
            "document_ids": fact.document_ids,
            "chunk_ids": tuple(f"{e.document_id}#{chunk_tag}{e.sentence.chunk}" for e in fact.evidence),
            "spans": tuple((e.sentence.start, e.sentence.end) for e in fact.evidence),
            "corpus_version": corpus_version,
            "generator": generator,
            "generator_hash": generator_hash,
        }
        train = Reflection.create(fact.question, fact.answer, split="train", **common)
        out.append(train)
        if probes and fact.probe and normalise_text(fact.probe) != normalise_text(fact.question):
            out.append(
                Reflection.create(fact.probe, fact.answer, split="probe", fact_id=train.fact_id, **common)
            )
    return out
