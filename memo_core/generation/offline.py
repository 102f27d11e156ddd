"""The offline generator: deterministic rules, no model, no downloads; the default backend and the one
tests and demos run on."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from memo_core.generation.config import GeneratorConfig
from memo_core.generation.facts import Fact, in_document
from memo_core.generation.steps import (
    VerificationReport,
    analyse,
    consolidate,
    cross_document,
    direct,
    inferred,
    surface_entities,
    verify,
)
from memo_core.reflections import Reflection, dedupe
from memo_core.sources import Document

# Bump when the rules change, so cached reflections made by older rules are not reused.
RULES_VERSION = "2"


class OfflineGenerator:
    """Rule-based reflections: sentence parsing, pronoun resolution and question templates, run through
    the five steps of the method."""

    name = "offline-rules"

    def __init__(self, config: GeneratorConfig | None = None) -> None:
        self.config = config or GeneratorConfig()
        self.report = VerificationReport()  # accumulated over every call, for run reports

    def settings_hash(self) -> str:
        settings = {"name": self.name, "rules": RULES_VERSION, **self.config.model_dump(mode="json")}
        return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]

    def facts(self, document: Document) -> list[Fact]:
        """Steps 1-4 for one document: extraction, consolidation, verification, entity surfacing."""
        analysis = analyse(document)
        extracted = self._verified(in_document(direct(analysis) + inferred(analysis), document.id))
        derived = self._verified(consolidate(extracted) + surface_entities(extracted))
        return extracted + derived

    def reflect_document(self, document: Document, corpus_version: int) -> list[Reflection]:
        """Reflections that depend on this document alone (so they can be cached by its content)."""
        return dedupe(self._reflections(self.facts(document), corpus_version))

    def reflect_corpus(self, documents: Sequence[Document], corpus_version: int) -> list[Reflection]:
        """Step 5 only: cross-document reflections over ``documents`` (per-document ones come from
        ``reflect_document``, which can be cached; these depend on the whole set and cannot)."""
        per_document = {}
        for document in documents:
            analysis = analyse(document)
            per_document[document.id] = self._verified(in_document(direct(analysis), document.id))
        crossed = self._verified(cross_document(per_document))
        return dedupe(self._reflections(crossed, corpus_version))

    def _verified(self, facts: list[Fact]) -> list[Fact]:
        """Step 3 on ``facts``, its counts added to ``self.report``."""
        kept, report = verify(facts)
        self.report.passed += report.passed
        self.report.rewritten += report.rewritten
        self.report.dropped += report.dropped
        for reason, count in report.reasons.items():
            self.report.reasons[reason] = self.report.reasons.get(reason, 0) + count
        return kept

    def _reflections(self, facts: list[Fact], corpus_version: int) -> list[Reflection]:
        generator_hash = self.settings_hash()
        out: list[Reflection] = []
        for fact in facts:
            common = {
                "kind": fact.kind,
                "step": fact.step,
                "document_ids": fact.document_ids,
                "chunk_ids": tuple(f"{e.document_id}#p{e.sentence.chunk}" for e in fact.evidence),
                "spans": tuple((e.sentence.start, e.sentence.end) for e in fact.evidence),
                "corpus_version": corpus_version,
                "generator": self.name,
                "generator_hash": generator_hash,
            }
            train = Reflection.create(fact.question, fact.answer, split="train", **common)
            out.append(train)
            if self.config.probes and fact.probe and fact.probe.lower() != fact.question.lower():
                out.append(
                    Reflection.create(fact.probe, fact.answer, split="probe", fact_id=train.fact_id, **common)
                )
        return out
