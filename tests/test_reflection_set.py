"""A corpus version's reflection set: per-document cache, cross-document dedupe, validation and quarantine."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from memo_core.config import MemoConfig
from memo_core.manifest import ManifestStore
from memo_core.sources import SourceConfig, scan_sources
from memo_core.update import build_reflection_set, document_refs, open_store, read_reflection_set
from memo_core.validation import ReflectionSetInvalid, ValidationConfig

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _config(tmp_path: Path, **validation: object) -> MemoConfig:
    corpus = tmp_path / "corpus"
    if not corpus.exists():
        corpus.mkdir()
        for name in sorted(p.name for p in (EXAMPLES / "batch1").iterdir())[:3]:
            shutil.copy(EXAMPLES / "batch1" / name, corpus / name)
    return MemoConfig(
        store={"root": str(tmp_path / "store")},
        sources=[SourceConfig(name="docs", url=str(corpus))],
        validation=ValidationConfig(**validation),
    )


def _scan(config: MemoConfig) -> int:
    manifest, _ = ManifestStore(open_store(config)).record(scan_sources(config.sources))
    return manifest.version


def test_reflection_set_is_validated_and_cached_per_document(tmp_path: Path) -> None:
    config = _config(tmp_path)
    version = _scan(config)
    assert not any(ref.stored for ref in document_refs(config, version))
    key = build_reflection_set(config, version)
    store = open_store(config)
    reflections = read_reflection_set(store, key)
    questions = [r.question.lower() for r in reflections]
    assert len(questions) == len(set(questions))  # repeated questions across documents are kept once
    summary = store.read_json(key.replace(".parquet", ".validation.json"))
    assert summary["total"] >= len(reflections) and summary["quarantined_share"] <= 0.05
    assert Path(summary["data_docs_index"]).exists()
    assert all(ref.stored for ref in document_refs(config, version))


def test_a_set_failing_validation_is_not_written_and_leaves_its_quarantine(tmp_path: Path) -> None:
    config = _config(tmp_path, min_question_chars=70, max_quarantine_share=0.2)
    version = _scan(config)
    with pytest.raises(ReflectionSetInvalid, match="question_length") as raised:
        build_reflection_set(config, version)
    assert "max_quarantine_share (20.0%)" in str(raised.value)
    store = open_store(config)
    assert not store.exists(f"reflections/v{version:04d}.parquet")  # never visible half-checked
    rows = [
        json.loads(line)
        for line in store.read_text(f"reflections/v{version:04d}.quarantine.jsonl").splitlines()
    ]
    assert rows and all("question_length" in row["reasons"] for row in rows)
    assert all(len(row["question"]) < 70 for row in rows)
