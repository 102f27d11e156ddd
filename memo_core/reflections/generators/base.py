"""The generator interface every backend implements, and the factory that picks one from the config."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from memo_core.reflections.config import GeneratorConfig
from memo_core.reflections.records import Reflection
from memo_core.sources.scan import Document


class GeneratorReport(Protocol):
    """Counts a generator keeps over its calls (verification outcomes, dropped replies), for run reports."""

    def to_json(self) -> dict[str, Any]: ...


@runtime_checkable
class Generator(Protocol):
    """Distils documents into reflections; ``settings_hash`` keys the per-document reflection cache."""

    name: str

    @property
    def report(self) -> GeneratorReport: ...

    def settings_hash(self) -> str: ...

    def reflect_document(self, document: Document, corpus_version: int) -> list[Reflection]: ...

    def reflect_corpus(self, documents: Sequence[Document], corpus_version: int) -> list[Reflection]: ...


def build_generator(config: GeneratorConfig) -> Generator:
    """The generator the config names. LLM backends connect (or load their model) on first use."""
    if config.backend == "offline":
        from memo_core.reflections.generators.offline.generator import OfflineGenerator

        return OfflineGenerator(config)
    from memo_core.reflections.generators.llm import LLMGenerator

    return LLMGenerator(config)
