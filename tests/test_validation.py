"""Reflection-set validation: each failure kind is quarantined with its reason, nothing is dropped silently,
the threshold decides the run, data docs are written, and the offline generator's real output passes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from memo_core.reflections.config import ValidationConfig
from memo_core.reflections.generators.offline.generator import OfflineGenerator
from memo_core.reflections.records import Reflection, dedupe
from memo_core.reflections.validation import (
    SUITE_NAME,
    ReflectionSetInvalid,
    ValidationResult,
    check_threshold,
    quarantine_rows,
    validate_reflections,
)
from memo_core.sources.config import SourceConfig
from memo_core.sources.scan import Document, content_hash, scan_sources

REPO = Path(__file__).resolve().parents[1]

HISTORY = """# Verdant Lamp Works

Ilse Marren founded Verdant Lamp Works in 2011. Verdant Lamp Works is headquartered in Osterby.
The company has 240 employees. Ilse Marren was born on 3 March 1970 in Pellow.

## People

Tomas Rudd is the chief engineer of Verdant Lamp Works. He joined the company in June 2014.
The Orvel Lamp weighs two kilograms. The Orvel Lamp won the Harrow Prize in 2019.
"""
OFFICES = """# Offices

The headquarters of Verdant Lamp Works occupy a former tram depot in Osterby.
"""


def _doc(text: str, doc_id: str) -> Document:
    return Document(
        id=doc_id, source="lamps", path=doc_id.partition("/")[2], text=text, content_hash=content_hash(text)
    )


DOCS = {d.id: d for d in (_doc(HISTORY, "lamps/verdant-history.md"), _doc(OFFICES, "lamps/headquarters.md"))}


def _reflection(
    question: str, answer: str, quote: str, doc_id: str = "lamps/verdant-history.md", **fields: object
) -> Reflection:
    """A reflection citing the sentence ``quote`` of the document, as a generator would."""
    start = DOCS[doc_id].text.index(quote)
    base: dict[str, object] = {
        "kind": "direct",
        "step": "extraction",
        "document_ids": (doc_id,),
        "chunk_ids": (f"{doc_id}#p1",),
        "spans": ((start, start + len(quote)),),
        "corpus_version": 1,
        "generator": "test",
        "generator_hash": "abc",
    }
    base.update(fields)
    return Reflection.create(question, answer, **base)


FOUNDED = "Ilse Marren founded Verdant Lamp Works in 2011."
JOINED = "He joined the company in June 2014."
WEIGHS = "The Orvel Lamp weighs two kilograms."

CLEAN = [
    _reflection("Who founded Verdant Lamp Works?", "Ilse Marren", FOUNDED),
    _reflection("In which year was Verdant Lamp Works founded?", "2011", FOUNDED),
    _reflection("Where is Verdant Lamp Works headquartered?", "Osterby", "headquartered in Osterby."),
    _reflection(
        "How many employees does Verdant Lamp Works have?", "240 employees", "The company has 240 employees."
    ),
    _reflection("Who is the chief engineer of Verdant Lamp Works?", "Tomas Rudd", "Tomas Rudd is the chief"),
    # The span says "He": the answer names the referent, which the document gives before the span.
    _reflection("Who joined Verdant Lamp Works in June 2014?", "Tomas Rudd", JOINED),
    # Numbers are compared as digits and plurals as singulars.
    _reflection("How much does the Orvel Lamp weigh?", "2 kilogram", WEIGHS),
    _reflection("What prize did the Orvel Lamp win in 2019?", "the Harrow Prize", "won the Harrow Prize"),
    # "headquarters" is the stem of a cited file name, but an ordinary word: the question may use it.
    _reflection(
        "What building do the headquarters of Verdant Lamp Works occupy?",
        "a former tram depot",
        "occupy a former tram depot",
        doc_id="lamps/headquarters.md",
    ),
    # Inferred answers are derived, not quoted: their words need not be in the span.
    _reflection(
        "How long had Verdant Lamp Works existed when Tomas Rudd joined?",
        "about three years",
        JOINED,
        kind="inferred",
    ),
]

# Question -> the reasons the row must be quarantined for.
BAD = {
    "Who was born on 3 March 1970 in Pellow?": ("empty_answer",),
    "Where was Ilse Marren born? " + "Please answer with the town only. " * 14: ("question_length",),
    "WHO founded  Verdant Lamp Works": ("duplicate_question",),
    "When did Ilse Marren found Verdant Lamp Works?": ("no_provenance",),
    "Who designed the Orvel Lamp?": ("ungrounded_answer",),
    "What does the Orvel Lamp weigh in total?": ("ungrounded_answer",),
    "What does verdant-history.md say about Tomas Rudd?": ("names_source_document",),
    "Which company does the verdant-history file describe?": ("names_source_document",),
    "Who was born in Pellow?": ("invalid_provenance",),
}


def _bad() -> list[Reflection]:
    q = list(BAD)
    born = "Ilse Marren was born on 3 March 1970 in Pellow."
    return [
        _reflection(q[0], "  ", born),
        _reflection(q[1], "Pellow", born),
        _reflection(q[2], "Ilse Marren", FOUNDED),
        _reflection(q[3], "2011", FOUNDED, chunk_ids=(), spans=()),
        # Nowhere in the document.
        _reflection(q[4], "Ansel Fairweather", WEIGHS),
        # "Harrow Prize" is in the document, but after the span, so the span cannot refer back to it.
        _reflection(q[5], "two kilograms and the Harrow Prize", WEIGHS),
        _reflection(q[6], "the chief engineer", "Tomas Rudd is the chief engineer"),
        _reflection(q[7], "Verdant Lamp Works", FOUNDED),
        _reflection(q[8], "Ilse Marren", born, spans=((0, len(HISTORY) + 5),)),
    ]


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[ValidationResult, Path]:
    """One validation of clean and bad rows interleaved, with data docs, shared by most tests."""
    bad = _bad()
    rows = [r for pair in zip(CLEAN, bad, strict=False) for r in pair] + CLEAN[len(bad) :]
    docs_dir = tmp_path_factory.mktemp("out") / "reflections.data-docs"
    return validate_reflections(rows, DOCS, ValidationConfig(), docs_dir), docs_dir


@pytest.fixture(scope="module")
def one_bad_in_ten() -> ValidationResult:
    rows = CLEAN[:9] + [_reflection("Who designed the Orvel Lamp?", "Ansel Fairweather", WEIGHS)]
    return validate_reflections(rows, DOCS, ValidationConfig(), None)


def test_a_clean_set_passes_with_nothing_quarantined() -> None:
    result = validate_reflections(CLEAN, DOCS, ValidationConfig())
    assert [q.reasons for q in result.quarantined] == []
    assert result.kept == CLEAN and result.total == len(CLEAN)
    assert result.quarantined_share == 0.0 and result.reason_counts == {}
    assert result.data_docs_index is None
    check_threshold(result, ValidationConfig(max_quarantine_share=0.0), "nowhere")


def test_each_failure_is_quarantined_with_its_reason(mixed: tuple[ValidationResult, Path]) -> None:
    result, _ = mixed
    found = {q.reflection.question: q.reasons for q in result.quarantined}
    assert found == BAD
    assert result.kept == CLEAN  # every good row kept, in order, none of them flagged
    assert result.total == len(CLEAN) + len(BAD)
    assert (
        result.reason_counts["ungrounded_answer"] == 2 and result.reason_counts["names_source_document"] == 2
    )


def test_a_repeated_question_keeps_its_first_occurrence(mixed: tuple[ValidationResult, Path]) -> None:
    result, _ = mixed
    kept = [r for r in result.kept if r.question == "Who founded Verdant Lamp Works?"]
    repeat = [q for q in result.quarantined if "duplicate_question" in q.reasons]
    assert len(kept) == 1 and len(repeat) == 1
    assert repeat[0].reflection.question == "WHO founded  Verdant Lamp Works"


def test_quarantine_rows_are_whole_records_with_reasons(mixed: tuple[ValidationResult, Path]) -> None:
    result, _ = mixed
    rows = quarantine_rows(result)
    assert len(rows) == len(BAD)
    for row, quarantined in zip(rows, result.quarantined, strict=True):
        line = json.loads(json.dumps(row))
        assert line.pop("reasons") == list(quarantined.reasons)
        assert Reflection.from_dict(line) == quarantined.reflection
    summary = json.loads(json.dumps(result.to_json()))
    assert summary["total"] == result.total and summary["quarantined"] == len(BAD)
    assert summary["quarantined_share"] == pytest.approx(len(BAD) / result.total)


def test_data_docs_are_written_to_the_given_folder(mixed: tuple[ValidationResult, Path]) -> None:
    result, docs_dir = mixed
    assert result.data_docs_index == docs_dir.resolve() / "index.html"
    assert result.data_docs_index.is_file()
    assert SUITE_NAME in result.data_docs_index.read_text()
    pages = list((docs_dir / "validations").rglob("*.html"))
    assert len(pages) == 1 and pages[0].name == f"{SUITE_NAME}.html"
    assert "Direct answers" in pages[0].read_text()  # each check is described in the report


def test_no_data_docs_when_disabled(tmp_path: Path) -> None:
    result = validate_reflections(CLEAN[:2], DOCS, ValidationConfig(data_docs=False), tmp_path / "docs")
    assert result.data_docs_index is None and not (tmp_path / "docs").exists()


def test_threshold_decides_whether_the_run_fails(one_bad_in_ten: ValidationResult) -> None:
    result = one_bad_in_ten
    assert result.quarantined_share == pytest.approx(0.1)
    check_threshold(result, ValidationConfig(max_quarantine_share=0.2), "out/r.quarantine.jsonl")
    with pytest.raises(ReflectionSetInvalid) as failed:
        check_threshold(result, ValidationConfig(max_quarantine_share=0.05), "out/r.quarantine.jsonl")
    message = str(failed.value)
    assert "1 of 10" in message and "5.0%" in message
    assert "ungrounded_answer 1" in message and "out/r.quarantine.jsonl" in message
    assert failed.value.result is result


def test_grounding_can_be_switched_off() -> None:
    rows = [_reflection("Who designed the Orvel Lamp?", "Ansel Fairweather", WEIGHS)]
    result = validate_reflections(rows, DOCS, ValidationConfig(grounding=False, data_docs=False))
    assert result.kept == rows


def test_config_rejects_unknown_keys_and_crossed_bounds() -> None:
    with pytest.raises(ValidationError):
        ValidationConfig.model_validate({"max_quarantine_shar": 0.1})
    with pytest.raises(ValidationError):
        ValidationConfig(min_question_chars=50, max_question_chars=10)
    with pytest.raises(ValidationError):
        ValidationConfig(max_quarantine_share=1.5)


def test_importing_validation_does_not_import_great_expectations() -> None:
    code = (
        "import sys, memo_core.reflections.validation; "
        "print(sorted(m for m in ('great_expectations', 'prefect') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"


def test_offline_reflections_of_the_sample_corpus_pass() -> None:
    scan = scan_sources([SourceConfig(name="docs", url=str(REPO / "examples" / "batch1"))])
    generator = OfflineGenerator()
    reflections = [r for d in scan.documents for r in generator.reflect_document(d, corpus_version=1)]
    reflections += generator.reflect_corpus(scan.documents, corpus_version=1)
    reflections = dedupe(reflections)  # as the build does: a question asked from two documents is kept once
    assert sum(r.kind == "direct" for r in reflections) > 100  # grounding has real work to do
    result = validate_reflections(reflections, {d.id: d for d in scan.documents}, ValidationConfig())
    assert result.quarantined_share < 0.05, result.reason_counts
    assert len(result.kept) + len(result.quarantined) == len(reflections)
