"""``memo reflect``: the reflections of a folder of documents, validated and written to one file, with no
store, registry or training involved; for trying a generator on real documents before wiring it in."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from memo_core.generation import GeneratorConfig, build_generator
from memo_core.reflections import Reflection, dedupe, save_reflections
from memo_core.sources import SkippedFile, SourceConfig, scan_sources
from memo_core.validation import (
    ValidationConfig,
    ValidationResult,
    check_threshold,
    quarantine_jsonl,
    validate_reflections,
)

log = logging.getLogger(__name__)


@dataclass
class DistilReport:
    """What ``reflect_folder`` read, wrote and set aside."""

    out: Path
    documents: int
    reflections: int
    by_kind: dict[str, int]
    by_split: dict[str, int]
    skipped: list[SkippedFile]
    validation: ValidationResult
    quarantine: Path
    generator: dict[str, Any] = field(default_factory=dict)


def sidecar(out: Path, suffix: str) -> Path:
    """A file or folder beside ``out``: ``reflections.parquet`` -> ``reflections.quarantine.jsonl``."""
    return out.with_name(out.name.removesuffix(out.suffix) + suffix)


def reflect_folder(
    url: str,
    out: Path,
    generator_config: GeneratorConfig,
    validation_config: ValidationConfig,
    include: list[str] | None = None,
    on_document: Callable[[str, int, int], None] | None = None,
) -> DistilReport:
    """Scan ``url``, distil every readable document, validate, and write ``out`` (parquet or jsonl by its
    extension) with the quarantine and data docs beside it. Unreadable files are skipped with a reason."""
    if out.suffix not in (".parquet", ".jsonl"):
        raise ValueError(f"{out}: write reflections to a .parquet or .jsonl file")
    source = SourceConfig(name="docs", url=url, **({"include": include} if include else {}))
    scan = scan_sources([source])
    if not scan.documents:
        reasons = "; ".join(f"{s.path}: {s.reason}" for s in scan.skipped[:5])
        raise ValueError(f"no readable documents under {url}" + (f" ({reasons})" if reasons else ""))
    generator = build_generator(generator_config)
    reflections: list[Reflection] = []
    for done, document in enumerate(scan.documents, start=1):
        reflections.extend(generator.reflect_document(document, corpus_version=0))
        if on_document:
            on_document(document.id, done, len(scan.documents))
    reflections.extend(generator.reflect_corpus(scan.documents, corpus_version=0))
    reflections = dedupe(reflections)  # the same question asked from two documents is kept once
    quarantine = sidecar(out, ".quarantine.jsonl")
    result = validate_reflections(
        reflections, {d.id: d for d in scan.documents}, validation_config, sidecar(out, ".data-docs")
    )
    quarantine.parent.mkdir(parents=True, exist_ok=True)
    quarantine.write_bytes(quarantine_jsonl(result))
    check_threshold(result, validation_config, str(quarantine))
    save_reflections(result.kept, out)
    return DistilReport(
        out=out,
        documents=len(scan.documents),
        reflections=len(result.kept),
        by_kind=dict(Counter(r.kind for r in result.kept)),
        by_split=dict(Counter(r.split for r in result.kept)),
        skipped=scan.skipped,
        validation=result,
        quarantine=quarantine,
        generator={"name": generator.name, **generator.report.to_json()},
    )
