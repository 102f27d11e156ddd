"""The knowledge changelog: which facts a candidate adds, changes and removes, by document.

Scores say how well a candidate learnt; the changelog says what it learnt, so a reviewer approves knowledge.
A fact is a training pair's question: added when the parent's reflection set never asked it, changed when
it did with another answer, removed when a parent's question of a changed or removed document is asked by
no document any more. Probes are left out: they reword facts already listed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from memo_core.evaluation.metrics import exact_match
from memo_core.plan.planner import UpdatePlan
from memo_core.reflections.records import Reflection
from memo_core.text import normalise_text

KINDS = ("added", "changed", "removed")
MAX_LISTED = 1000  # facts kept per kind in the report; the counts are always whole


def knowledge_changelog(
    plan: UpdatePlan, reflections: Sequence[Reflection], parent_reflections: Sequence[Reflection]
) -> dict[str, Any]:
    """Facts added, changed and removed against the parent's set (everything is added without one), with
    counts per kind and per document. A fact's documents are those that state it now (``documents``) and
    those that stated it before (``old_documents``)."""
    fresh = set(plan.new_documents)
    gone = set(plan.removed_documents)
    trained = [r for r in reflections if r.split == "train"]
    before = _by_question(r for r in parent_reflections if r.split == "train")
    now = _by_question(trained)
    facts: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    for key, reflection in now.items():
        if not fresh.intersection(reflection.document_ids) and plan.mode == "incremental":
            continue
        old = before.get(key)
        if old is None:
            facts["added"].append(_fact(reflection))
        elif not exact_match(old.answer, [reflection.answer]):
            facts["changed"].append({**_fact(reflection), **_old(old)})
    for key, old in before.items():
        if key not in now and (fresh | gone).intersection(old.document_ids):
            facts["removed"].append({"question": old.question, **_old(old)})
    by_document: dict[str, dict[str, int]] = {}
    for kind, listed in facts.items():
        for fact in listed:
            for document in fact.get("documents") or fact["old_documents"]:
                counts = by_document.setdefault(document, dict.fromkeys(KINDS, 0))
                counts[kind] += 1
    return {
        "counts": {kind: len(listed) for kind, listed in facts.items()},
        "by_document": dict(sorted(by_document.items())),
        **{kind: listed[:MAX_LISTED] for kind, listed in facts.items()},
    }


def _by_question(reflections: Any) -> dict[str, Reflection]:
    """One reflection per question (the first), keyed by its normalised text."""
    found: dict[str, Reflection] = {}
    for reflection in reflections:
        found.setdefault(normalise_text(reflection.question), reflection)
    return found


def _fact(reflection: Reflection) -> dict[str, Any]:
    return {
        "question": reflection.question,
        "answer": reflection.answer,
        "documents": list(reflection.document_ids),
    }


def _old(reflection: Reflection) -> dict[str, Any]:
    return {"old_answer": reflection.answer, "old_documents": list(reflection.document_ids)}


def changelog_markdown(changelog: dict[str, Any], limit: int = 20) -> list[str]:
    """The changelog as markdown lines: counts, documents, then the changed, removed and added facts, at
    most ``limit`` rows of each table."""
    counts = changelog.get("counts")
    if not counts:
        return []
    lines = [
        f"**Knowledge: {counts['added']} facts added, {counts['changed']} changed, "
        f"{counts['removed']} removed.**",
    ]
    documents = changelog["by_document"]
    if documents:
        lines += ["", "| document | added | changed | removed |", "| --- | ---: | ---: | ---: |"]
        lines += [
            f"| {name} | {c['added']} | {c['changed']} | {c['removed']} |"
            for name, c in list(documents.items())[:limit]
        ]
        lines += _more(len(documents), limit)
    tables = (
        ("changed", "Changed", "| question | old answer | new answer |", _changed_row),
        ("removed", "Removed", "| question | old answer | from |", _removed_row),
        ("added", "Added", "| question | answer | from |", _added_row),
    )
    for kind, title, header, row in tables:
        listed = changelog[kind]
        if listed:
            columns = header.count("|") - 1
            lines += ["", f"{title} facts:", "", header, "|" + " --- |" * columns]
            lines += [row(fact) for fact in listed[:limit]]
            lines += _more(counts[kind], limit)
    return lines


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _documents(names: Sequence[str]) -> str:
    return ", ".join(f"`{_cell(name)}`" for name in names)


def _changed_row(fact: dict[str, Any]) -> str:
    return (
        f"| {_cell(fact['question'])} | {_cell(fact['old_answer'])} ({_documents(fact['old_documents'])}) | "
        f"{_cell(fact['answer'])} ({_documents(fact['documents'])}) |"
    )


def _removed_row(fact: dict[str, Any]) -> str:
    return (
        f"| {_cell(fact['question'])} | {_cell(fact['old_answer'])} | {_documents(fact['old_documents'])} |"
    )


def _added_row(fact: dict[str, Any]) -> str:
    return f"| {_cell(fact['question'])} | {_cell(fact['answer'])} | {_documents(fact['documents'])} |"


def _more(total: int, shown: int) -> list[str]:
    return ["", f"and {total - shown} more"] if total > shown else []
