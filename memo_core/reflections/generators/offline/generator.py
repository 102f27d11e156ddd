"""The offline generator: deterministic rules, no model, no downloads; the default backend and the one
tests and demos run on."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from memo_core.reflections.config import GeneratorConfig
from memo_core.reflections.generators.facts import Fact, facts_to_reflections, in_document
from memo_core.reflections.generators.offline.extraction import analyse, direct, inferred
from memo_core.reflections.generators.offline.steps import (
    VerificationReport,
    consolidate,
    cross_document,
    surface_entities,
    traverse,
    verify,
)
from memo_core.reflections.records import Reflection, dedupe
from memo_core.sources.scan import Document

# Bump when the rules change, so cached reflections made by older rules are not reused.
RULES_VERSION = "6"
_REMEMBERED = 4096  # documents whose extracted facts are kept for the cross-document step


class OfflineGenerator:
    """Rule-based reflections: spaCy's parse read into statements, pronouns resolved, each fact asked in
    both directions and several wordings, run through the five steps of the method."""

    name = "offline-rules"

    def __init__(self, config: GeneratorConfig | None = None) -> None:
        self.config = config or GeneratorConfig()
        self.report = VerificationReport()  # accumulated over every call, for run reports
        # Each document's extracted facts by its text, so step 5 does not parse again what step 1 read.
        self._extracted: dict[str, list[Fact]] = {}

    def settings_hash(self) -> str:
        # Only what changes the rules' output: LLM backend settings must not invalidate offline caches.
        settings = {
            "name": self.name,
            "rules": RULES_VERSION,
            "backend": "offline",
            "probes": self.config.probes,
            "offline": self.config.offline.model_dump(),
        }
        return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]

    def facts(self, document: Document) -> list[Fact]:
        """Steps 1-4 for one document: extraction, consolidation, verification, entity surfacing."""
        extracted = self._verified(self._extract(document))
        derived = self._verified(consolidate(extracted) + surface_entities(extracted))
        return extracted + derived

    def _extract(self, document: Document) -> list[Fact]:
        """Step 1 on ``document``, read once per text (step 5 reuses what steps 1-4 read)."""
        # keyed by the text itself: a caller's Document may carry no content hash (passages, tests)
        key = f"{document.id}:{hashlib.sha256(document.text.encode()).hexdigest()}"
        found = self._extracted.get(key)
        if found is None:
            rules = self.config.offline
            analysis = analyse(document, rules)
            self.report.count_unresolved(analysis.unresolved)
            found = in_document(direct(analysis, rules) + inferred(analysis, rules), document.id)
            if len(self._extracted) >= _REMEMBERED:
                self._extracted.pop(next(iter(self._extracted)))
            self._extracted[key] = found
        return list(found)

    def reflect_document(self, document: Document, corpus_version: int) -> list[Reflection]:
        """Reflections that depend on this document alone (so they can be cached by its content)."""
        return dedupe(self._reflections(self.facts(document), corpus_version))

    def reflect_corpus(self, documents: Sequence[Document], corpus_version: int) -> list[Reflection]:
        """Step 5 only: cross-document reflections over ``documents`` (per-document ones come from
        ``reflect_document``, which can be cached; these depend on the whole set and cannot)."""
        rules = self.config.offline
        per_document = {document.id: verify(self._extract(document))[0] for document in documents}
        chained = traverse(per_document, rules.traversal_depth, rules.traversal_budget)
        crossed = self._verified(cross_document(per_document) + chained)
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
        return facts_to_reflections(
            facts, corpus_version, self.name, self.settings_hash(), self.config.probes, chunk_tag="p"
        )
