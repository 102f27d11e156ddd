"""The knowledge changelog: facts a candidate adds, changes and removes, by document."""

from __future__ import annotations

from memo_core.evaluation.changelog import changelog_markdown, knowledge_changelog
from memo_core.plan.planner import UpdatePlan
from memo_core.reflections.records import Reflection


def pair(question: str, answer: str, *documents: str, split: str = "train", version: int = 1) -> Reflection:
    return Reflection.create(
        question,
        answer,
        kind="direct",
        step="extraction",
        document_ids=documents,
        chunk_ids=tuple(f"{d}#p0" for d in documents),
        spans=tuple((0, 1) for _ in documents),
        corpus_version=version,
        generator="test",
        generator_hash="h",
        split=split,
    )


def plan(mode: str, new: list[str], removed: list[str]) -> UpdatePlan:
    return UpdatePlan(2, mode, "1" if mode == "incremental" else None, 1, new, removed, [], "cand")


BEFORE = [
    pair("Who chairs Orrin?", "Ada Voss", "a.md"),
    pair("When was Orrin founded?", "1911", "a.md"),
    pair("Where is Orrin based?", "Tarnholt", "b.md"),
    pair("Who designed the Halcy Probe?", "Sabeth Varlund", "d.md"),
]
AFTER = [
    pair("Who chairs Orrin?", "Mira Dahl", "a.md", version=2),  # a.md changed this answer ...
    pair("How many staff does Orrin have?", "40", "a.md", version=2),  # ... stated a new fact, dropped one
    pair("who chairs orrin", "Mira Dahl", "a.md", split="probe", version=2),
    pair("Where is Orrin based?", "Tarnholt", "b.md"),  # b.md unchanged: not listed
    pair("When was Orrin founded?", "1912", "b.md"),  # another document's answer is a conflict, no change
    pair("What does Pell make?", "lenses", "c.md", "b.md", version=2),  # c.md is new
]


def test_an_incremental_update_lists_what_each_new_changed_or_removed_document_brings():
    changelog = knowledge_changelog(plan("incremental", ["a.md", "c.md"], ["d.md"]), AFTER, BEFORE)
    assert changelog["counts"] == {"added": 2, "changed": 1, "removed": 2}
    [changed] = changelog["changed"]
    assert (changed["old_answer"], changed["answer"]) == ("Ada Voss", "Mira Dahl")
    assert {f["question"] for f in changelog["added"]} == {
        "How many staff does Orrin have?",
        "What does Pell make?",
    }
    removed = {f["question"]: f["old_documents"] for f in changelog["removed"]}
    assert removed == {"When was Orrin founded?": ["a.md"], "Who designed the Halcy Probe?": ["d.md"]}
    assert changelog["by_document"] == {
        "a.md": {"added": 1, "changed": 1, "removed": 1},
        "c.md": {"added": 1, "changed": 0, "removed": 0},
        "d.md": {"added": 0, "changed": 0, "removed": 1},
    }


def test_a_first_build_adds_every_trained_fact_and_no_probe():
    changelog = knowledge_changelog(plan("full", ["a.md", "b.md", "c.md"], []), AFTER, [])
    assert changelog["counts"] == {"added": 5, "changed": 0, "removed": 0}


def test_the_markdown_shows_old_and_new_answers_with_their_documents_and_counts_what_it_leaves_out():
    changelog = knowledge_changelog(plan("incremental", ["a.md", "c.md"], ["d.md"]), AFTER, BEFORE)
    text = "\n".join(changelog_markdown(changelog, limit=1))
    assert "**Knowledge: 2 facts added, 1 changed, 2 removed.**" in text
    assert "| Who chairs Orrin? | Ada Voss (`a.md`) | Mira Dahl (`a.md`) |" in text
    assert "and 1 more" in text and "and 2 more" in text  # facts, documents
    assert changelog_markdown({}) == []
