"""The per-document reflection cache: keyed by content hash and generator settings, so an unchanged document
is never distilled twice, wherever it moves.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from memo_core.reflections.records import Reflection, from_jsonl, to_jsonl
from memo_core.sources.scan import Document
from memo_core.store import ArtifactStore


class ReflectionCache:
    """Reflections per document, keyed by generator settings and content hash, so unchanged documents are
    never distilled twice. Cached rows keep the corpus version they were made in; callers re-stamp them."""

    PREFIX = "reflections/by-doc"

    def __init__(self, store: ArtifactStore, generator_hash: str) -> None:
        self.store = store
        self.generator_hash = generator_hash

    def key(self, document: Document) -> str:
        return self.key_for(document.content_hash)

    def key_for(self, content_hash: str) -> str:
        return f"{self.PREFIX}/{self.generator_hash}/{content_hash}.jsonl"

    def get(self, document: Document) -> list[Reflection] | None:
        """The cached reflections of this exact text, re-pointed at this document's id; None on a miss."""
        key = self.key(document)
        if not self.store.exists(key):
            return None
        return [_repoint(r, document.id) for r in from_jsonl(self.store.read_bytes(key))]

    def put(self, document: Document, reflections: Sequence[Reflection]) -> None:
        self.store.write_bytes(self.key(document), to_jsonl(reflections))


def _repoint(reflection: Reflection, document_id: str) -> Reflection:
    """The same text may live under another id (a moved file); provenance must name the current one."""
    if len(reflection.document_ids) != 1 or reflection.document_ids[0] == document_id:
        return reflection
    old = reflection.document_ids[0]
    chunks = tuple(
        document_id + c[len(old) :] if c.startswith(old + "#") else c for c in reflection.chunk_ids
    )
    return dataclasses.replace(reflection, document_ids=(document_id,), chunk_ids=chunks)
