"""The offline generator: self-contained short-answer questions about every explicit fact, with probes."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memo_core.reflections.config import GeneratorConfig
from memo_core.reflections.generators.base import Generator, build_generator
from memo_core.reflections.generators.offline.generator import OfflineGenerator
from memo_core.reflections.records import Reflection
from memo_core.sources.scan import Document, content_hash

TEXT = """# Verdant Lamp Works

Ilse Marren founded Verdant Lamp Works in 2011. Verdant Lamp Works is headquartered in Osterby.
The company has 240 employees. Ilse Marren was born on 3 March 1970 in Pellow.

## People

Tomas Rudd is the chief engineer of Verdant Lamp Works. He joined the company in June 2014.
The Orvel Lamp cost 1.5 million euros to develop. It weighs 2 kilograms.
"""


def _doc(text: str = TEXT, doc_id: str = "lamps/verdant-history.md") -> Document:
    return Document(id=doc_id, source="lamps", path=doc_id, text=text, content_hash=content_hash(text))


@pytest.fixture(scope="module")
def reflections() -> list[Reflection]:
    return build_generator(GeneratorConfig()).reflect_document(_doc(), corpus_version=2)


def _answer(reflections: list[Reflection], question: str) -> str:
    found = [r.answer for r in reflections if r.question == question]
    assert found, f"no question {question!r}; have: {[r.question for r in reflections]}"
    return found[0]


def test_builds_the_generator_the_config_names() -> None:
    generator = build_generator(GeneratorConfig())
    assert isinstance(generator, Generator)
    assert generator.settings_hash() != build_generator(GeneratorConfig(probes=False)).settings_hash()
    llm = build_generator(GeneratorConfig(backend="openai"))
    assert isinstance(llm, Generator) and llm.name == "llm-openai:gpt-4o-mini"
    # LLM backend settings are not the offline rules' business: changing them keeps offline caches valid.
    tuned = GeneratorConfig(openai={"model": "another"}, malformed_attempts=5)
    assert build_generator(tuned).settings_hash() == generator.settings_hash()


def test_subject_time_place_quantity_and_role_questions(reflections: list[Reflection]) -> None:
    assert _answer(reflections, "Who founded Verdant Lamp Works in 2011?") == "Ilse Marren"
    assert _answer(reflections, "In which year did Ilse Marren found Verdant Lamp Works?") == "2011"
    assert _answer(reflections, "Where is Verdant Lamp Works headquartered?") == "Osterby"
    assert _answer(reflections, "When was Ilse Marren born in Pellow?") == "3 March 1970"
    assert _answer(reflections, "Where was Ilse Marren born on 3 March 1970?") == "Pellow"
    assert _answer(reflections, "Who is the chief engineer of Verdant Lamp Works?") == "Tomas Rudd"
    assert _answer(reflections, "Whose chief engineer is Tomas Rudd?") == "Verdant Lamp Works"


def test_pronouns_and_descriptions_are_resolved_to_names(reflections: list[Reflection]) -> None:
    assert _answer(reflections, "How many employees does Verdant Lamp Works have?") == "240 employees"
    assert _answer(reflections, "In which month did Tomas Rudd join Verdant Lamp Works?") == "June 2014"
    assert _answer(reflections, "How many kilograms does the Orvel Lamp weigh?") == "2 kilograms"
    pronoun = re.compile(r"\b(he|she|it|they|him|them)\b", re.IGNORECASE)
    assert not [r.question for r in reflections if pronoun.search(r.question)]


def test_probes_are_worded_differently_and_share_the_fact_of_a_train_pair(
    reflections: list[Reflection],
) -> None:
    train = {r.fact_id: r for r in reflections if r.split == "train"}
    probes = [r for r in reflections if r.split == "probe"]
    assert len(probes) >= len(train) / 4  # a probe per fact, three training wordings of each
    for probe in probes:
        assert probe.fact_id in train
        assert probe.answer == train[probe.fact_id].answer
        assert probe.question != train[probe.fact_id].question
    founder = train[
        next(r.fact_id for r in reflections if r.question == "Who founded Verdant Lamp Works in 2011?")
    ]
    assert "Which person founded Verdant Lamp Works in 2011?" in [
        p.question for p in probes if p.fact_id == founder.id
    ]


def test_provenance_points_at_the_supporting_sentences(reflections: list[Reflection]) -> None:
    doc = _doc()
    assert {r.kind for r in reflections} == {"direct", "inferred", "consolidated", "entity"}
    for r in reflections:
        assert r.document_ids == (doc.id,) and r.corpus_version == 2
        assert len(r.chunk_ids) == len(r.spans) >= 1
        for chunk_id, (start, end) in zip(r.chunk_ids, r.spans, strict=True):
            assert chunk_id == f"{doc.id}#p{doc.text[:start].count(chr(10) * 2)}"
            assert re.sub(r"[*_#]", "", doc.text[start:end]).endswith(".")
    for r in reflections:
        if r.kind == "direct":
            ((start, end),) = r.spans
            supporting = doc.text[start:end].replace("**", "").lower()
            # The answer is in the sentence, or it is the name a pronoun or description there stands for.
            assert r.answer.lower() in supporting or r.answer.lower() in doc.text[:start].lower()


def test_answers_are_short_and_questions_never_name_the_document(reflections: list[Reflection]) -> None:
    single = [r for r in reflections if r.kind != "consolidated"]  # a consolidated answer joins several
    assert all(len(r.answer.split()) <= 8 for r in single)
    assert all(len(r.answer.split()) <= 16 for r in reflections)
    assert not [r for r in reflections if "verdant-history" in r.question or "lamps/" in r.question]
    assert all(r.question.endswith("?") and r.question[0].isupper() for r in reflections)


def test_probes_can_be_switched_off() -> None:
    rows = build_generator(GeneratorConfig(probes=False)).reflect_document(_doc(), 1)
    assert rows and {r.split for r in rows} == {"train"}


def test_deterministic() -> None:
    """The same document gives the same reflections from any generator (speed is bench/reflections.py's)."""
    first = build_generator(GeneratorConfig()).reflect_document(_doc(), 1)
    assert first == build_generator(GeneratorConfig()).reflect_document(_doc(), 1)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=400))
def test_any_text_yields_valid_reflections_without_crashing(text: str) -> None:
    rows = build_generator(GeneratorConfig()).reflect_document(_doc(text), 1)
    assert all(r.question.strip() and r.answer.strip() for r in rows)


def test_documents_with_the_same_id_and_no_hash_are_read_apart() -> None:
    """The generator keeps what it read of each text: two passages of one document, built without a
    content hash, must not share their facts."""
    generator = OfflineGenerator(GeneratorConfig())
    first = Document(
        id="d", source="s", path="d.md", text="Ilse Marren founded Verdant Lamp Works.", content_hash=""
    )
    second = Document(
        id="d", source="s", path="d.md", text="Oskar Brenn was born in Halvik.", content_hash=""
    )
    answers = [{f.answer for f in generator.facts(doc)} for doc in (first, second)]
    assert "Verdant Lamp Works" in answers[0] and "Halvik" in answers[1]
    assert "Verdant Lamp Works" not in answers[1]
