"""Building a reflection set: every document distilled (through the per-document cache in an update), the
cross-document reflections, the facts documents disagree on, repeated questions removed, then validated.

``distil`` is that sequence, run by the update's ``build_reflection_set`` over a corpus version in the store
and by ``memo reflect`` (``reflect_folder``) over a folder, with no store, registry or training involved.
"""

from __future__ import annotations

import logging
import posixpath
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from memo_core.config import MemoConfig
from memo_core.reflections.cache import ReflectionCache
from memo_core.reflections.config import GeneratorConfig, ValidationConfig
from memo_core.reflections.conflicts import Conflict, find_conflicts
from memo_core.reflections.generators.base import Generator, build_generator
from memo_core.reflections.records import Reflection, dedupe, load_reflections, save_reflections
from memo_core.reflections.validation import (
    ValidationResult,
    check_threshold,
    quarantine_jsonl,
    validate_reflections,
)
from memo_core.runtime import open_store
from memo_core.sources.config import SourceConfig
from memo_core.sources.manifest import CorpusManifest, ManifestStore
from memo_core.sources.scan import Document, SkippedFile, read_documents, scan_sources
from memo_core.store import ArtifactStore, conflicts_key, reflection_set_key

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
    conflicts: list[Conflict] = field(default_factory=list)
    generator: dict[str, Any] = field(default_factory=dict)


def distil(
    generator: Generator,
    documents: Sequence[Document],
    corpus_version: int,
    reflections_of: Callable[[Document], list[Reflection]],
    on_document: Callable[[str, int, int], None] | None = None,
) -> tuple[list[Reflection], list[Conflict]]:
    """The reflections of ``documents`` (each from ``reflections_of``) and across them, once per question,
    with the facts the documents disagree on, found before ``dedupe`` keeps one answer of each."""
    reflections: list[Reflection] = []
    for done, document in enumerate(documents, start=1):
        reflections.extend(reflections_of(document))
        if on_document:
            on_document(document.id, done, len(documents))
    reflections.extend(generator.reflect_corpus(documents, corpus_version))
    conflicts = find_conflicts(reflections)
    unique = dedupe(reflections)  # the same question asked from two documents is kept once
    log.info(
        "reflections for %d documents: %d, %d after removing repeated questions",
        len(documents),
        len(reflections),
        len(unique),
    )
    return unique, conflicts


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
    reflections, conflicts = distil(
        generator, scan.documents, 0, lambda d: generator.reflect_document(d, 0), on_document
    )
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
        conflicts=conflicts,
        generator={"name": generator.name, **generator.report.to_json()},
    )


@dataclass(frozen=True)
class DocumentRef:
    """A document of a corpus version, and the store key its reflections live at once generated (keyed by
    its content and the generator's settings, so an unchanged document is never distilled twice)."""

    document_id: str
    content_hash: str
    reflections_key: str
    stored: bool


def document_refs(config: MemoConfig, corpus_version: int) -> list[DocumentRef]:
    store = open_store(config)
    manifest = ManifestStore(store).get(corpus_version)
    cache = ReflectionCache(store, build_generator(config.generator).settings_hash())
    refs = []
    for document_id, entry in manifest.documents.items():
        key = cache.key_for(entry.content_hash)
        refs.append(DocumentRef(document_id, entry.content_hash, key, store.exists(key)))
    return refs


_CHANGED_AFTER_SCAN = "changed after the scan; the next run picks up the new text"


def _read_as_scanned(
    config: MemoConfig, corpus_version: int, content_hashes: dict[str, str]
) -> tuple[list[Document], dict[str, str]]:
    """The documents with these ids (id -> content hash at the scan) whose text is still the scanned one,
    and why each other one is left out. A document gone or changed between the scan and this read is left
    out of the run rather than failing it (a busy folder would fail it night after night); the next scan
    records the removal or the new text."""
    read, left_out = read_documents(config.sources, content_hashes)
    documents = [d for d in read if d.content_hash == content_hashes[d.id]]
    left_out.update((d.id, _CHANGED_AFTER_SCAN) for d in read if d.content_hash != content_hashes[d.id])
    for document_id, reason in sorted(left_out.items()):
        log.warning("%s is left out of corpus v%d's update: %s", document_id, corpus_version, reason)
    return documents, left_out


def _corpus_documents(config: MemoConfig, store: ArtifactStore, manifest: CorpusManifest) -> list[Document]:
    """The documents the corpus version's reflection set was built from, as they still are."""
    learnt = ManifestStore(store).without_vanished(manifest)
    hashes = {doc_id: entry.content_hash for doc_id, entry in learnt.documents.items()}
    return _read_as_scanned(config, manifest.version, hashes)[0]


def _reflections_of(
    store: ArtifactStore, generator: Generator, document: Document, corpus_version: int
) -> list[Reflection]:
    """The document's reflections from the cache, generated and cached on a miss (each text once)."""
    cache = ReflectionCache(store, generator.settings_hash())
    found = cache.get(document)
    if found is None:
        found = generator.reflect_document(document, corpus_version)
        cache.put(document, found)
        log.info("reflected %s", document.id)
    return found


def reflect_document(config: MemoConfig, corpus_version: int, ref: DocumentRef) -> str | None:
    """The reflections of one document, generated into the store unless already there; returns their key,
    or None when the document is gone or changed since the scan (build_reflection_set records why)."""
    store = open_store(config)
    if store.exists(ref.reflections_key):
        return ref.reflections_key
    documents, _ = _read_as_scanned(config, corpus_version, {ref.document_id: ref.content_hash})
    if not documents:
        return None
    _reflections_of(store, build_generator(config.generator), documents[0], corpus_version)
    return ref.reflections_key


def build_reflection_set(config: MemoConfig, corpus_version: int) -> str:
    """Every document's reflections (generated where missing), cross-document ones, validated: failing rows
    are quarantined with reasons beside the set, and the set is written only when the quarantined share is
    within ``validation.max_quarantine_share``. Documents gone or changed since the scan are left out, and
    listed with the reason beside the manifest (``ManifestStore.vanished``)."""
    store = open_store(config)
    key = reflection_set_key(corpus_version)
    if store.exists(key):
        return key
    manifests = ManifestStore(store)
    hashes = {doc_id: entry.content_hash for doc_id, entry in manifests.get(corpus_version).documents.items()}
    documents, left_out = _read_as_scanned(config, corpus_version, hashes)
    manifests.record_vanished(corpus_version, left_out)
    generator = build_generator(config.generator)
    introduced = _introduction_versions(store, corpus_version)

    def cached(document: Document) -> list[Reflection]:
        found = _reflections_of(store, generator, document, corpus_version)
        return [r.with_version(introduced.get(r.id, corpus_version)) for r in found]

    reflections, conflicts = distil(generator, documents, corpus_version, cached)
    _record_conflicts(store, corpus_version, conflicts)
    kept = _validate(config, store, key, reflections, {d.id: d for d in documents})
    _write_reflections(store, key, kept)
    return key


def _record_conflicts(store: ArtifactStore, corpus_version: int, conflicts: Sequence[Conflict]) -> None:
    """Facts documents disagree on, beside the set for the report: trained as stated, never silently."""
    store.write_json(conflicts_key(corpus_version), [c.to_json() for c in conflicts])
    if conflicts:
        log.warning(
            "%d facts are stated differently by different documents (listed in the report), e.g. %r: %s",
            len(conflicts),
            conflicts[0].question,
            " / ".join(f"{answer} ({', '.join(docs)})" for answer, docs in conflicts[0].values),
        )


def _validate(
    config: MemoConfig,
    store: ArtifactStore,
    key: str,
    reflections: Sequence[Reflection],
    documents: dict[str, Document],
) -> list[Reflection]:
    """Great Expectations checks on the set; the quarantine, the summary and the data docs are written
    beside it before the threshold is applied, so a failed run leaves its evidence."""
    stem = key.removesuffix(".parquet")
    with tempfile.TemporaryDirectory() as tmp:
        docs_dir = Path(tmp) / "data-docs"
        result = validate_reflections(reflections, documents, config.validation, docs_dir)
        if result.data_docs_index is not None:
            for path in sorted(docs_dir.rglob("*")):
                if path.is_file():
                    relative = path.relative_to(docs_dir).as_posix()
                    store.write_bytes(f"{stem}.data-docs/{relative}", path.read_bytes())
            index = f"{stem}.data-docs/{result.data_docs_index.relative_to(docs_dir).as_posix()}"
            result.data_docs_index = store.local_path(index) if store.is_local else None
    store.write_bytes(f"{stem}.quarantine.jsonl", quarantine_jsonl(result))
    store.write_json(f"{stem}.validation.json", result.to_json())
    log.info(
        "validation: %d of %d reflections quarantined (%s)",
        len(result.quarantined),
        result.total,
        ", ".join(f"{reason} {count}" for reason, count in result.reason_counts.items()) or "none",
    )
    check_threshold(result, config.validation, store.path(f"{stem}.quarantine.jsonl"))
    return result.kept


def _introduction_versions(store: ArtifactStore, corpus_version: int) -> dict[str, int]:
    """Reflection id -> the corpus version that first held it, so retention can be stratified by version."""
    earlier = [
        k
        for k in store.list("reflections")
        if k.endswith(".parquet") and k < reflection_set_key(corpus_version)
    ]
    if not earlier:
        return {}
    return {r.id: r.corpus_version for r in read_reflection_set(store, earlier[-1])}


def _write_reflections(store: ArtifactStore, key: str, reflections: Sequence[Reflection]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(tmp) / posixpath.basename(key)
        save_reflections(reflections, local)
        store.write_bytes(key, local.read_bytes())


def read_reflection_set(store: ArtifactStore, key: str) -> list[Reflection]:
    if store.is_local:
        return load_reflections(store.local_path(key))
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(tmp) / posixpath.basename(key)
        local.write_bytes(store.read_bytes(key))
        return load_reflections(local)
