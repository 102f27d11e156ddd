"""Reflection records: stable ids, round trips through parquet and JSONL, dedupe, the per-document cache."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from memo_core.reflections.cache import ReflectionCache
from memo_core.reflections.records import (
    Reflection,
    dedupe,
    load_reflections,
    reflection_id,
    save_reflections,
)
from memo_core.sources.scan import Document, content_hash
from memo_core.store import ArtifactStore
from memo_core.text import normalise_text


def _reflection(question: str, answer: str, **fields: object) -> Reflection:
    base: dict[str, object] = {
        "kind": "direct",
        "step": "extraction",
        "document_ids": ("docs/a.md",),
        "chunk_ids": ("docs/a.md#p0",),
        "spans": ((0, 40),),
        "corpus_version": 3,
        "generator": "offline-rules",
        "generator_hash": "abc",
    }
    base.update(fields)
    return Reflection.create(question, answer, **base)


def _document(text: str, doc_id: str = "docs/a.md") -> Document:
    return Document(id=doc_id, source="docs", path=doc_id, text=text, content_hash=content_hash(text))


def test_id_ignores_case_punctuation_and_spacing_but_not_content() -> None:
    assert reflection_id("Who founded Verdant Lamp Works?", "Ilse Marren") == reflection_id(
        "who  founded verdant lamp works", "Ilse Marren."
    )
    assert reflection_id("Who founded Verdant Lamp Works?", "Ilse Marren") != reflection_id(
        "Who founded Verdant Lamp Works?", "Ilse Marrens"
    )
    assert len(reflection_id("q", "a")) == 16


def test_create_defaults_fact_id_to_own_id_and_probe_keeps_given_fact_id() -> None:
    train = _reflection("Who founded Verdant Lamp Works?", "Ilse Marren")
    probe = _reflection(
        "Who was the founder of Verdant Lamp Works?", "Ilse Marren", split="probe", fact_id=train.id
    )
    assert train.fact_id == train.id
    assert probe.fact_id == train.id and probe.id != train.id


@pytest.mark.parametrize(
    ("field", "value"), [("kind", "guess"), ("step", "dreaming"), ("split", "validation")]
)
def test_unknown_labels_are_refused(field: str, value: str) -> None:
    with pytest.raises(ValueError, match=field):
        _reflection("q?", "a", **{field: value})


def test_with_version_restamps_only_the_version() -> None:
    r = _reflection("Who founded Verdant Lamp Works?", "Ilse Marren")
    stamped = r.with_version(9)
    assert stamped.corpus_version == 9
    assert dataclasses.replace(stamped, corpus_version=r.corpus_version) == r


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_save_and_load_round_trip(tmp_path: Path, suffix: str) -> None:
    rows = [
        _reflection("Who founded Verdant Lamp Works?", "Ilse Marren"),
        _reflection(
            "Which person founded Verdant Lamp Works and was born in Osterby?",
            "Ilse Marren",
            kind="entity",
            step="entity_surfacing",
            document_ids=("a.md", "b.md"),
            chunk_ids=("a.md#p0", "b.md#p2"),
            spans=((0, 10), (30, 52)),
            split="probe",
            fact_id="f1",
        ),
    ]
    path = tmp_path / f"sub/reflections{suffix}"
    save_reflections(rows, path)
    assert load_reflections(path) == rows


def test_unknown_extension_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=".csv"):
        save_reflections([], tmp_path / "r.csv")


def test_dedupe_keeps_first_of_each_normalised_question() -> None:
    first = _reflection("Who founded Verdant Lamp Works?", "Ilse Marren")
    same_question = _reflection("who founded verdant lamp works", "Someone Else")
    other = _reflection("Where is Verdant Lamp Works?", "Osterby")
    assert dedupe([first, same_question, other]) == [first, other]
    assert normalise_text("  Who, founded?  ") == "who founded"


def test_cache_misses_then_hits_by_content_and_repoints_moved_documents(tmp_path: Path) -> None:
    store = ArtifactStore(str(tmp_path / "store"))
    cache = ReflectionCache(store, "gen1")
    doc = _document("Ilse Marren founded Verdant Lamp Works in 2011.")
    assert cache.get(doc) is None
    rows = [_reflection("Who founded Verdant Lamp Works?", "Ilse Marren")]
    cache.put(doc, rows)
    assert cache.get(doc) == rows
    assert store.exists(f"reflections/by-doc/gen1/{doc.content_hash}.jsonl")

    moved = _document(doc.text, doc_id="archive/a.md")
    hit = cache.get(moved)
    assert hit is not None
    assert hit[0].document_ids == ("archive/a.md",) and hit[0].chunk_ids == ("archive/a.md#p0",)

    assert ReflectionCache(store, "gen2").get(doc) is None
    assert cache.get(_document(doc.text + " It has 40 staff.")) is None
