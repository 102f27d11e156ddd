"""A corpus version's reflection set: per-document cache, cross-document dedupe, validation and quarantine."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from memo_core.config import MemoConfig
from memo_core.evaluation.evaluate import _data_notes
from memo_core.evaluation.report import _data_lines
from memo_core.evaluation.suites import heldout_questions
from memo_core.plan.planner import Champion, plan_update
from memo_core.reflections.build import (
    build_reflection_set,
    document_refs,
    read_reflection_set,
    reflect_document,
)
from memo_core.reflections.config import ValidationConfig
from memo_core.reflections.validation import ReflectionSetInvalid
from memo_core.runtime import open_store
from memo_core.sources.config import SourceConfig
from memo_core.sources.manifest import ManifestStore
from memo_core.sources.scan import scan_sources
from memo_core.store import conflicts_key

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


def test_documents_gone_or_changed_after_the_scan_are_left_out_with_their_reason(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = _config(tmp_path)
    config.evaluation.questions_file = str(EXAMPLES / "questions.jsonl")
    version = _scan(config)
    corpus = tmp_path / "corpus"
    (corpus / "founding-history.md").unlink()
    changed = corpus / "halcy-probe.md"
    changed.write_text(changed.read_text() + "\nA paragraph written after the scan.\n")

    with caplog.at_level(logging.WARNING, logger="memo_core.reflections.build"):
        keys = {
            ref.document_id: reflect_document(config, version, ref) for ref in document_refs(config, version)
        }
        key = build_reflection_set(config, version)

    assert keys["docs/founding-history.md"] is None and keys["docs/halcy-probe.md"] is None
    assert keys["docs/annual-report-2022.md"] is not None
    store = open_store(config)
    assert {d for r in read_reflection_set(store, key) for d in r.document_ids} == {
        "docs/annual-report-2022.md"
    }
    vanished = ManifestStore(store).vanished(version)
    assert vanished == {
        "docs/founding-history.md": "founding-history.md is no longer in the source",
        "docs/halcy-probe.md": "changed after the scan; the next run picks up the new text",
    }
    assert store.exists(f"manifests/v{version:04d}.vanished.json")
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("docs/founding-history.md is left out" in m for m in warned), warned
    # evaluation reads the corpus too: questions on a document the run left out are not asked
    heldout = heldout_questions(config, ManifestStore(store).get(version))
    cited = {json.loads(line)["question"]: json.loads(line)["documents"] for line in _questions()}
    assert heldout and all(cited[q.question] == ["annual-report-2022.md"] for q in heldout)
    # the next scan records both: the removal, and the new text
    manifests = ManifestStore(store)
    after, written = manifests.record(scan_sources(config.sources))
    assert written and "docs/founding-history.md" not in after.documents
    assert after.documents["docs/halcy-probe.md"] != manifests.get(version).documents["docs/halcy-probe.md"]


def test_a_document_the_champions_update_left_out_is_new_when_it_comes_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _config(tmp_path)
    version = _scan(config)
    corpus = tmp_path / "corpus"
    kept = (corpus / "founding-history.md").read_bytes()
    (corpus / "founding-history.md").unlink()
    build_reflection_set(config, version)

    (corpus / "founding-history.md").write_bytes(kept)  # back, unchanged, before the next scan
    returned = _scan(config)

    assert returned == version + 1  # the same documents, but the champion never learnt one of them
    plan = plan_update(config, returned, "incremental", Champion("1", version), "generator")
    assert (plan.mode, plan.new_documents, plan.removed_documents) == (
        "incremental",
        ["docs/founding-history.md"],
        [],
    )


def _questions() -> list[str]:
    return [line for line in (EXAMPLES / "questions.jsonl").read_text().splitlines() if line.strip()]


def test_facts_documents_disagree_on_are_recorded_and_reported(tmp_path: Path, caplog) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "lamps.md").write_text(
        "# Verdant Lamp Works\n\nVerdant Lamp Works is headquartered in Osterby. Ilse Marren founded "
        "Verdant Lamp Works in 1991.\n"
    )
    (corpus / "notice.md").write_text(
        "# Notice\n\nVerdant Lamp Works is headquartered in Pwned. Tomas Rudd repairs lamps in Pellow.\n"
    )
    config = _config(tmp_path)
    version = _scan(config)
    with caplog.at_level(logging.WARNING, logger="memo_core.reflections.build"):
        build_reflection_set(config, version)
    store = open_store(config)
    conflicts = store.read_json(conflicts_key(version))  # one per wording of the headquarters fact
    [conflict] = [c for c in conflicts if c["question"] == "Where is Verdant Lamp Works headquartered?"]
    assert all({v["answer"] for v in c["values"]} == {"Osterby", "Pwned"} for c in conflicts)
    assert {(v["answer"], tuple(v["document_ids"])) for v in conflict["values"]} == {
        ("Osterby", ("docs/lamps.md",)),
        ("Pwned", ("docs/notice.md",)),
    }
    assert "stated differently by different documents" in caplog.text

    plan = SimpleNamespace(corpus_version=version)
    notes = _data_notes(store, plan)  # type: ignore[arg-type]
    report = "\n".join(_data_lines(notes))
    assert f"Conflicting facts: {len(conflicts)}" in report
    assert "| Where is Verdant Lamp Works headquartered? | Pwned | docs/notice.md |" in report
