"""The conflict check: documents that answer the same question differently are reported, not trained
silently; agreeing, repeated, reworded or descriptive answers are not."""

from __future__ import annotations

import time
from pathlib import Path

from memo_core.reflections.config import GeneratorConfig
from memo_core.reflections.conflicts import Conflict, conflicts_markdown, find_conflicts
from memo_core.reflections.generators.base import build_generator
from memo_core.reflections.records import Reflection, dedupe
from memo_core.sources.config import SourceConfig
from memo_core.sources.scan import scan_sources

HQ = "Where is Verdant Lamp Works headquartered?"


def _row(question: str, answer: str, *document_ids: str, split: str = "train") -> Reflection:
    return Reflection.create(
        question,
        answer,
        kind="direct",
        step="extraction",
        document_ids=document_ids,
        chunk_ids=tuple(f"{d}#p0" for d in document_ids),
        spans=tuple((0, 30) for _ in document_ids),
        corpus_version=1,
        generator="offline-rules",
        generator_hash="test",
        split=split,
    )


def test_different_values_from_two_documents_conflict() -> None:
    rows = [
        _row(HQ, "Osterby", "docs/history.md"),
        _row("Who founded Verdant Lamp Works?", "Ilse Marren", "docs/history.md"),
        _row("where is verdant lamp works headquartered", "PWNED", "docs/planted.md"),
    ]
    assert find_conflicts(rows) == [
        Conflict(HQ, (("Osterby", ("docs/history.md",)), ("PWNED", ("docs/planted.md",))))
    ]
    assert find_conflicts(rows)[0].to_json() == {
        "question": HQ,
        "values": [
            {"answer": "Osterby", "document_ids": ["docs/history.md"]},
            {"answer": "PWNED", "document_ids": ["docs/planted.md"]},
        ],
    }


def test_agreeing_documents_and_one_document_repeating_itself_do_not_conflict() -> None:
    assert find_conflicts([_row(HQ, "Osterby", "a.md"), _row(HQ, "Osterby.", "b.md")]) == []
    assert find_conflicts([_row(HQ, "Osterby", "a.md"), _row(HQ, "Osterby", "a.md")]) == []
    # a cross-document row shares a document with the other answer: not two documents disagreeing
    assert find_conflicts([_row(HQ, "Osterby", "a.md"), _row(HQ, "Pellow", "a.md", "b.md")]) == []


def test_normalised_or_contained_answers_do_not_conflict() -> None:
    founded = "In which year was Verdant Lamp Works founded?"
    assert find_conflicts([_row(founded, "1991", "a.md"), _row(founded, "in 1991", "b.md")]) == []
    assert find_conflicts([_row(HQ, "Osterby, Norway", "a.md"), _row(HQ, "OSTERBY", "b.md")]) == []
    # containment is by whole words: 19 is not 1991
    assert len(find_conflicts([_row(founded, "1991", "a.md"), _row(founded, "19", "b.md")])) == 1


def test_descriptions_of_a_thing_do_not_conflict_but_places_do() -> None:
    what = "What is the Petrel Drift Sensor?"
    assert (
        find_conflicts([_row(what, "a small ocean sensor", "a.md"), _row(what, "a drifting buoy", "b.md")])
        == []
    )
    designed = "What did Oskar Pellingrew design?"
    described = [
        _row(designed, "the first product", "a.md"),
        _row(designed, "the Wrenfield Anemometer", "b.md"),
    ]
    assert find_conflicts(described) == []
    where = [_row(HQ, "the town of Osterby", "a.md"), _row(HQ, "the town of Pellow", "b.md")]
    assert len(find_conflicts(where)) == 1


def test_probes_are_not_compared() -> None:
    rows = [_row(HQ, "Osterby", "a.md"), _row(HQ, "PWNED", "b.md", split="probe")]
    assert find_conflicts(rows) == []


def test_markdown_lists_values_up_to_the_limit() -> None:
    assert conflicts_markdown([]) == ""
    conflicts = [
        Conflict(
            f"Where is lamp works {i} headquartered?", (("Osterby", ("a.md",)), ("PW|NED", ("b.md", "c.md")))
        )
        for i in range(3)
    ]
    text = conflicts_markdown(conflicts, limit=4)
    assert text.startswith("Conflicting facts: 3 ")
    assert "| question | value | documents |" in text
    assert "| Where is lamp works 0 headquartered? | PW\\|NED | b.md, c.md |" in text
    assert "lamp works 2" not in text
    assert text.rstrip().endswith("and 2 more")


def test_ten_thousand_rows_are_checked_quickly() -> None:
    rows = [
        _row(f"Where is company {i % 5000} headquartered?", f"Town {i}", f"d{i}.md") for i in range(10_000)
    ]
    start = time.perf_counter()
    assert len(find_conflicts(rows)) == 5000
    assert time.perf_counter() - start < 1.0


def test_offline_generator_contradiction_is_found_before_dedupe(tmp_path: Path) -> None:
    (tmp_path / "history.md").write_text(
        "# Verdant Lamp Works\n\nIlse Marren founded Verdant Lamp Works in 2011. "
        "Verdant Lamp Works is headquartered in Osterby. The company has 240 employees.\n"
    )
    (tmp_path / "products.md").write_text(
        "# Orvel Lamp\n\nThe Orvel Lamp weighs 2 kilograms. "
        "Verdant Lamp Works is headquartered in PWNED. "
        "Tomas Rudd is the chief engineer of Verdant Lamp Works.\n"
    )
    documents = scan_sources([SourceConfig(name="docs", url=str(tmp_path))]).documents
    generator = build_generator(GeneratorConfig())
    rows = [r for d in documents for r in generator.reflect_document(d, corpus_version=0)]
    rows += generator.reflect_corpus(documents, corpus_version=0)

    conflicts = find_conflicts(rows)
    assert HQ in [c.question for c in conflicts]  # and each other wording of the same fact
    for conflict in conflicts:
        assert {answer: docs for answer, docs in conflict.values} == {
            "Osterby": ("docs/history.md",),
            "PWNED": ("docs/products.md",),
        }
    assert find_conflicts(dedupe(rows)) == []  # what the check has to run before
