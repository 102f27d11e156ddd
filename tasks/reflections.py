"""Prefect tasks of the reflections stage (``memo_core.reflections``): one task per document, cached on its
text and the generator's settings, then the validated set."""

from __future__ import annotations

import hashlib
import os
from typing import Any

from prefect import task
from prefect.context import TaskRunContext

from memo_core.config import MemoConfig
from memo_core.reflections import build
from memo_core.reflections.build import DocumentRef


@task(name="list-documents")
def list_documents(config: MemoConfig, corpus_version: int) -> list[DocumentRef]:
    return build.document_refs(config, corpus_version)


def _document_cache_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    """Same store, same generator settings, same text: the same reflections (the key names all three)."""
    config: MemoConfig = parameters["config"]
    ref: DocumentRef = parameters["ref"]
    root = config.store.root if "://" in config.store.root else os.path.abspath(config.store.root)
    where = hashlib.sha256(root.encode()).hexdigest()[:12]
    return f"memo-reflections-{where}-{ref.reflections_key.replace('/', '-')}"


@task(
    name="reflect-document",
    task_run_name="reflect {ref.document_id}",
    cache_key_fn=_document_cache_key,
    persist_result=True,
    retries=2,
    retry_delay_seconds=10,
)
def reflect_document(config: MemoConfig, corpus_version: int, ref: DocumentRef) -> str | None:
    return build.reflect_document(config, corpus_version, ref)


@task(name="build-reflection-set", retries=1)
def build_reflection_set(config: MemoConfig, corpus_version: int) -> str:
    return build.build_reflection_set(config, corpus_version)
