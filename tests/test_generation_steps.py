"""The five reflection steps of the offline generator, each checked on its own."""

from __future__ import annotations

from memo_core.reflections.config import GeneratorConfig
from memo_core.reflections.generators.base import build_generator
from memo_core.reflections.generators.facts import Evidence, Fact, in_document
from memo_core.reflections.generators.offline.extraction import analyse, direct, inferred
from memo_core.reflections.generators.offline.steps import (
    consolidate,
    cross_document,
    related_documents,
    surface_entities,
    verify,
)
from memo_core.reflections.generators.sentences import Sentence
from memo_core.sources.scan import Document, content_hash


def _doc(text: str, doc_id: str = "d.md") -> Document:
    return Document(id=doc_id, source="s", path=doc_id, text=text, content_hash=content_hash(text))


def _both(document: Document) -> list[Fact]:
    analysis = analyse(document)
    return direct(analysis) + inferred(analysis)


def _pairs(facts: list[Fact]) -> dict[str, str]:
    return {f.question: f.answer for f in facts}


def _fact(
    question: str, answer: str, subject: str = "Ilse Marren", chunk: int = 0, start: int = 0, **kw: object
) -> Fact:
    sentence = Sentence("s.", start, start + 2, chunk, "")
    return Fact(question, answer, None, kw.pop("slot", "time"), subject, (Evidence("d.md", sentence),), **kw)  # type: ignore[arg-type]


def test_inferred_asks_each_fact_from_the_other_side() -> None:
    text = (
        "# Ilse Marren\n\nIlse Marren founded Verdant Lamp Works in 2011. Ilse Marren studied chemistry at "
        "the University of Osk. The Osk Council gave Ilse Marren its Gold Lamp award in 2015. Ilse Marren "
        "led Verdant Lamp Works from 2011 to 2019.\n\nIlse Marren opened Pellow Mill, the first factory of "
        "Verdant Lamp Works, in 2012. Two years later she published a book called Lamps of Osk."
    )
    facts = _pairs(inferred(analyse(_doc(text))))
    assert facts["Who founded Verdant Lamp Works in 2011?"] == "Ilse Marren"
    assert facts["Who is the founder of Verdant Lamp Works?"] == "Ilse Marren"  # the relation, by its noun
    assert facts["Who founded Verdant Lamp Works?"] == "Ilse Marren"
    assert facts["Who studied chemistry at the University of Osk?"] == "Ilse Marren"
    assert facts["Who led Verdant Lamp Works from 2011 until 2019?"] == "Ilse Marren"
    assert facts["Whose first factory is Pellow Mill?"] == "Verdant Lamp Works"
    assert facts["Of what is Pellow Mill the first factory?"] == "Verdant Lamp Works"
    assert all(f.kind == "inferred" for f in inferred(analyse(_doc(text))))


def test_consolidate_merges_facts_of_one_chunk_and_subject_from_different_sentences() -> None:
    facts = [
        _fact("In which year was Ilse Marren born?", "1970", start=0),
        _fact("Where was Ilse Marren born?", "Pellow", start=0, slot="place"),
        _fact("Where did Ilse Marren study?", "the University of Osk", start=40, slot="place"),
        _fact("What did Ilse Marren found?", "Verdant Lamp Works", start=80, slot="object"),
        _fact("Where did Tomas Rudd study?", "Osk", subject="Tomas Rudd", start=120, slot="place"),
        _fact("When did Ilse Marren retire?", "2020", chunk=1, start=200),
    ]
    merged = consolidate(facts)
    assert _pairs(merged) == {
        "In which year was Ilse Marren born, and where did Ilse Marren study?": "1970; the University of Osk",
        (
            "In which year was Ilse Marren born, and where did Ilse Marren study, and what did Ilse Marren "
            "found?"
        ): ("1970; the University of Osk; Verdant Lamp Works"),
    }
    assert all(
        f.kind == "consolidated" and f.step == "consolidation" and len(f.evidence) >= 2 for f in merged
    )


def test_verify_keeps_self_contained_rewrites_fixable_and_counts_drops() -> None:
    good = _fact("In which year did Ilse Marren found Verdant Lamp Works?", "2011", subject_kind="person")
    own_pronoun = _fact("Where did Ilse Marren sell her first lamp?", "Osk", subject_kind="person")
    relative = _fact(
        "Where did Ilse Marren later open a second shop that year?", "Pellow", subject_kind="person"
    )
    stray = _fact("Where did Ilse Marren meet him?", "Osk", subject_kind="person")
    document = _fact(
        "What does the document say Ilse Marren founded?", "Verdant Lamp Works", subject_kind="person"
    )
    kept, report = verify([good, own_pronoun, relative, stray, document])
    assert kept[:2] == [good, own_pronoun]
    assert kept[2].question == "Where did Ilse Marren open a second shop?" and kept[2].step == "verification"
    assert (report.passed, report.rewritten, report.dropped) == (2, 1, 2)
    assert report.reasons == {"pronoun 'him' without referent": 1, "refers to the document": 1}


def test_surface_entities_describes_the_subject_without_naming_it() -> None:
    text = (
        "Ilse Marren founded Verdant Lamp Works in 2011. Ilse Marren was born in Pellow. "
        "Ilse Marren lives in Osk."
    )
    facts = in_document(_both(_doc(text)), "d.md")
    surfaced = surface_entities(facts)
    by_question = {f.question: f for f in surfaced}
    two = by_question["Which person founded Verdant Lamp Works in 2011 and was born in Pellow?"]
    assert two.answer == "Ilse Marren" and two.kind == "entity" and two.step == "entity_surfacing"
    assert two.probe == "Which person was born in Pellow and founded Verdant Lamp Works in 2011?"
    assert len(two.evidence) == 2
    three = "Which person founded Verdant Lamp Works in 2011, was born in Pellow and lives in Osk?"
    assert by_question[three].answer == "Ilse Marren"
    assert all("Ilse Marren" not in f.question for f in surfaced)


def test_cross_document_groups_documents_by_shared_names_and_combines_their_clues() -> None:
    docs = {
        "a.md": "Ilse Marren founded Verdant Lamp Works in 2011.",
        "b.md": "Ilse Marren was born in Pellow. Tomas Rudd lives in Osk.",
        "c.md": "Tomas Rudd designed the Orvel Lamp.",
        "d.md": "Anna Prell paints boats.",
    }
    per_document = {d: in_document(_both(_doc(t, d)), d) for d, t in docs.items()}
    assert related_documents(per_document) == {
        "Ilse Marren": ["a.md", "b.md"],
        "Tomas Rudd": ["b.md", "c.md"],
    }
    crossed = {f.question: f for f in cross_document(per_document)}
    ilse = crossed["Which person founded Verdant Lamp Works in 2011 and was born in Pellow?"]
    assert (
        ilse.answer == "Ilse Marren"
        and ilse.document_ids == ("a.md", "b.md")
        and ilse.kind == "cross_document"
    )
    assert crossed["Which person lives in Osk and designed the Orvel Lamp?"].document_ids == ("b.md", "c.md")
    assert len(crossed) == 2


def test_reflect_corpus_returns_cross_document_reflections_with_provenance_in_each_document() -> None:
    docs = [
        _doc("Ilse Marren founded Verdant Lamp Works in 2011.", "a.md"),
        _doc("# Notes\n\nIlse Marren was born in Pellow.", "b.md"),
    ]
    rows = build_generator(GeneratorConfig()).reflect_corpus(docs, corpus_version=4)
    train = [r for r in rows if r.split == "train"]
    assert [(r.question, r.answer) for r in train] == [
        ("Which person founded Verdant Lamp Works in 2011 and was born in Pellow?", "Ilse Marren")
    ]
    (row,) = train
    assert row.kind == "cross_document" and row.step == "cross_document" and row.corpus_version == 4
    assert row.document_ids == ("a.md", "b.md") and row.chunk_ids == ("a.md#p0", "b.md#p1")
    texts = {d.id: d.text for d in docs}
    for chunk_id, (start, end) in zip(row.chunk_ids, row.spans, strict=True):
        assert "Ilse Marren" in texts[chunk_id.split("#")[0]][start:end]
    probes = [r for r in rows if r.split == "probe"]
    assert [p.fact_id for p in probes] == [row.fact_id]


def test_clues_that_repeat_one_fact_are_not_joined() -> None:
    docs = {
        "a.md": "Ilse Marren founded Verdant Lamp Works in 2011.",
        "b.md": "Ilse Marren founded Verdant Lamp Works in Osk in 2011.",
    }
    per_document = {d: in_document(_both(_doc(t, d)), d) for d, t in docs.items()}
    assert related_documents(per_document) == {"Ilse Marren": ["a.md", "b.md"]}
    assert cross_document(per_document) == []
    assert surface_entities([f for facts in per_document.values() for f in facts]) == []
