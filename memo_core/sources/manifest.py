"""Corpus manifests and deltas: what the corpus held at each version, and what changed since the last.

A manifest records each document's content hash, one immutable file per corpus version in the artifact
store. Comparing a fresh scan with the latest manifest gives the delta that drives incremental updates:
only added and changed documents need new reflections; a moved document (same hash, new id) needs none.
Beside each manifest, the documents it lists that its update could not read any more (gone or changed
between the scan and the read): the model trained on that version never saw them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from memo_core.sources.config import SourceConfig
from memo_core.sources.scan import (
    Document,
    ScanResult,
    SkippedFile,
    check_names,
    file_of,
    list_files,
    read_files,
)
from memo_core.store import ArtifactStore

MANIFEST_PREFIX = "manifests"
_MANIFEST_NAME = re.compile(r"v(\d+)\.json\Z")
_REPORT_LIMIT = 50  # ids listed per kind of change in the text report; the rest are counted


@dataclass(frozen=True)
class ManifestEntry:
    content_hash: str
    chars: int
    stamp: str | None = None  # the file's stamp when it was read (sources.file_stamp); not part of identity

    @classmethod
    def of(cls, document: Document) -> ManifestEntry:
        return cls(document.content_hash, len(document.text), document.metadata.get("stamp"))


@dataclass(frozen=True)
class CorpusManifest:
    version: int
    created_at: str
    documents: dict[str, ManifestEntry]
    skipped: list[SkippedFile]

    @classmethod
    def from_scan(cls, version: int, scan: ScanResult) -> CorpusManifest:
        documents = {d.id: ManifestEntry.of(d) for d in scan.documents}
        return cls(version, _now(), dict(sorted(documents.items())), list(scan.skipped))

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "created_at": self.created_at,
            "documents": {doc_id: asdict(entry) for doc_id, entry in self.documents.items()},
            "skipped": [asdict(s) for s in self.skipped],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CorpusManifest:
        return cls(
            version=int(data["version"]),
            created_at=str(data["created_at"]),
            documents={doc_id: ManifestEntry(**entry) for doc_id, entry in data["documents"].items()},
            skipped=[SkippedFile(**s) for s in data.get("skipped", [])],
        )

    def same_documents(self, other: CorpusManifest) -> bool:
        """Same ids with the same content; a touched file (new stamp, same text) is no new version."""
        return self.documents.keys() == other.documents.keys() and all(
            entry.content_hash == other.documents[doc_id].content_hash
            for doc_id, entry in self.documents.items()
        )


@dataclass(frozen=True)
class Delta:
    added: list[str]
    changed: list[str]
    removed: list[str]
    moved: list[tuple[str, str]]
    unchanged: list[str]

    def is_empty(self) -> bool:
        return not (self.added or self.changed or self.removed or self.moved)

    def summary(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "changed": len(self.changed),
            "removed": len(self.removed),
            "moved": len(self.moved),
            "unchanged": len(self.unchanged),
        }

    def to_json(self) -> dict[str, list[Any]]:
        """The change lists (not ``unchanged``, which can be the whole corpus), JSON-ready."""
        return {
            "added": list(self.added),
            "changed": list(self.changed),
            "removed": list(self.removed),
            "moved": [list(pair) for pair in self.moved],
        }


def compute_delta(previous: CorpusManifest | None, current: CorpusManifest) -> Delta:
    """Added, changed, removed, moved and unchanged ids; with no previous manifest everything is added.

    A removed id and an added id with the same content hash pair up as a move. When several share a
    hash they pair in id order: the contents are identical, so any pairing regenerates the same nothing.
    """
    before = previous.documents if previous else {}
    after = current.documents
    common = before.keys() & after.keys()
    changed = sorted(i for i in common if before[i].content_hash != after[i].content_hash)
    unchanged = sorted(i for i in common if before[i].content_hash == after[i].content_hash)
    gone_by_hash: dict[str, list[str]] = {}
    for doc_id in sorted(before.keys() - after.keys(), reverse=True):
        gone_by_hash.setdefault(before[doc_id].content_hash, []).append(doc_id)
    added: list[str] = []
    moved: list[tuple[str, str]] = []
    for doc_id in sorted(after.keys() - before.keys()):
        candidates = gone_by_hash.get(after[doc_id].content_hash)
        if candidates:
            moved.append((candidates.pop(), doc_id))
        else:
            added.append(doc_id)
    removed = sorted(doc_id for ids in gone_by_hash.values() for doc_id in ids)
    return Delta(added, changed, removed, moved, unchanged)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class ManifestStore:
    """Manifests in an artifact store, ``manifests/v0001.json`` onwards; each written once, atomically."""

    def __init__(self, store: ArtifactStore) -> None:
        self.store = store

    @staticmethod
    def key(version: int) -> str:
        return f"{MANIFEST_PREFIX}/v{version:04d}.json"

    def versions(self) -> list[int]:
        names = (key.rsplit("/", 1)[-1] for key in self.store.list(MANIFEST_PREFIX))
        return sorted(int(m.group(1)) for m in map(_MANIFEST_NAME.match, names) if m)

    def latest(self) -> CorpusManifest | None:
        versions = self.versions()
        return self.get(versions[-1]) if versions else None

    def get(self, version: int) -> CorpusManifest:
        key = self.key(version)
        if not self.store.exists(key):
            raise KeyError(f"no manifest for corpus version {version} ({self.store.path(key)})")
        return CorpusManifest.from_json(self.store.read_json(key))

    @staticmethod
    def vanished_key(version: int) -> str:
        return f"{MANIFEST_PREFIX}/v{version:04d}.vanished.json"

    def vanished(self, version: int) -> dict[str, str]:
        """Document id -> why the update of this version left it out (gone or changed since the scan)."""
        key = self.vanished_key(version)
        return dict(self.store.read_json(key)) if self.store.exists(key) else {}

    def record_vanished(self, version: int, reasons: dict[str, str]) -> None:
        """Written by every build of the version's reflection set, so a rebuild replaces a stale list."""
        self.store.write_json(self.vanished_key(version), dict(sorted(reasons.items())))

    def without_vanished(self, manifest: CorpusManifest) -> CorpusManifest:
        """``manifest`` less the documents its update left out: compared with it, one that comes back
        unchanged is added (it was never learnt), and one still gone is not removed (nothing to unlearn)."""
        vanished = self.vanished(manifest.version)
        kept = {doc_id: entry for doc_id, entry in manifest.documents.items() if doc_id not in vanished}
        return dataclasses.replace(manifest, documents=kept)

    def record(self, scan: ScanResult) -> tuple[CorpusManifest, bool]:
        """The latest manifest if ``scan`` has the same documents (nothing written), else a new version.

        Same documents as a latest version whose update left some out means those came back: a new
        version, so that its update reads them.
        """
        latest = self.latest()
        current = CorpusManifest.from_scan(latest.version + 1 if latest else 1, scan)
        if latest is not None and latest.same_documents(current) and not self.vanished(latest.version):
            return latest, False
        key = self.key(current.version)
        if self.store.exists(key):  # another writer got there first; versions are never overwritten
            raise FileExistsError(f"manifest {self.store.path(key)} already exists; re-run the scan")
        self.store.write_json(key, current.to_json())
        return current, True


@dataclass(frozen=True)
class PendingChanges:
    """A fresh look at the sources compared with the latest manifest; nothing written."""

    latest: CorpusManifest | None
    current: CorpusManifest  # numbered latest + 1, not recorded
    delta: Delta
    files_read: int


def pending_changes(sources: Sequence[SourceConfig], manifests: ManifestStore) -> PendingChanges:
    """The delta a knowledge update would see now, reading only files whose stamp changed.

    A file whose listing stamp (ETag, or size and mtime) equals the one recorded in the latest manifest
    keeps its recorded hashes without being downloaded, which keeps a watcher polling a large bucket
    cheap. An edit that keeps both size and mtime (or the ETag) escapes this check, but never the
    manifest: ``ManifestStore.record`` always hashes what it reads.
    """
    check_names(sources)
    latest = manifests.latest()
    known: dict[tuple[str, str], dict[str, ManifestEntry]] = {}
    for doc_id, entry in (latest.documents if latest else {}).items():
        name, _, path = doc_id.partition("/")
        known.setdefault((name, file_of(path)), {})[doc_id] = entry
    reused: set[tuple[str, str]] = set()
    documents: dict[str, ManifestEntry] = {}
    skipped: list[SkippedFile] = []
    files_read = 0
    for source in sources:
        to_read = []
        for file in list_files(source):
            recorded = known.get((source.name, file.path), {})
            if file.stamp and recorded and all(e.stamp == file.stamp for e in recorded.values()):
                documents.update(recorded)
                reused.add((source.name, file.path))
            else:
                to_read.append(file)
        result = read_files(source, to_read)
        files_read += len(to_read)
        documents.update((d.id, ManifestEntry.of(d)) for d in result.documents)
        skipped.extend(result.skipped)
    skipped.extend(s for s in (latest.skipped if latest else []) if (s.source, file_of(s.path)) in reused)
    current = CorpusManifest(
        version=latest.version + 1 if latest else 1,
        created_at=_now(),
        documents=dict(sorted(documents.items())),
        skipped=sorted(skipped, key=lambda s: (s.source, s.path)),
    )
    learnt = manifests.without_vanished(latest) if latest else None
    return PendingChanges(latest, current, compute_delta(learnt, current), files_read)


def format_sources_report(sources: Sequence[SourceConfig], store: ArtifactStore) -> str:
    """The text of ``memo sources``: each source, then the delta a knowledge update would process now."""
    lines = [f"Sources ({len(sources)}):"]
    for s in sources:
        exclude = f"  exclude {', '.join(s.exclude)}" if s.exclude else ""
        lines.append(f"  {s.name}: {s.url}  include {', '.join(s.include)}{exclude}")
    if not sources:
        return "\n".join([*lines, "  (none configured: add a 'sources' list to memo.yaml)"])
    pending = pending_changes(sources, ManifestStore(store))
    if pending.latest is None:
        lines.append(f"Latest manifest: none yet in {store.url}")
    else:
        latest = pending.latest
        lines.append(
            f"Latest manifest: v{latest.version:04d} ({latest.created_at}, {len(latest.documents)} documents)"
        )
    delta = pending.delta
    counts = ", ".join(f"{n} {kind}" for kind, n in delta.summary().items())
    current = pending.current
    lines.append(f"Current scan: {len(current.documents)} documents, {len(current.skipped)} skipped")
    lines.append(f"Pending delta: {'none' if delta.is_empty() else counts}")
    moves = [f"{old} -> {new}" for old, new in delta.moved]
    for mark, ids in (("+", delta.added), ("~", delta.changed), ("-", delta.removed), (">", moves)):
        lines.extend(f"  {mark} {doc_id}" for doc_id in ids[:_REPORT_LIMIT])
        if len(ids) > _REPORT_LIMIT:
            lines.append(f"  {mark} ... and {len(ids) - _REPORT_LIMIT} more")
    if current.skipped:
        lines.append("Skipped:")
        lines.extend(f"  {s.source}/{s.path}: {s.reason}" for s in current.skipped[:_REPORT_LIMIT])
        if len(current.skipped) > _REPORT_LIMIT:
            lines.append(f"  ... and {len(current.skipped) - _REPORT_LIMIT} more")
    return "\n".join(lines)
