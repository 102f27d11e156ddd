"""The knowledge changelog: which facts a candidate adds, changes and removes, by document.

Scores say how well a candidate learnt; the changelog says what it learnt, so a reviewer approves knowledge.
Facts are compared document by document, a fact being a training pair's question: for each new, changed or
removed document, a question it now states that it did not before is added, one it states with another
answer is changed, one it no longer states is removed. Another document answering a question differently is
a conflict (the report lists those), not a change. Probes are left out: they reword facts already listed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
    those that stated it before (``old_documents``); a fact two documents state is listed once."""
    touched = sorted(set(plan.new_documents) | set(plan.removed_documents))
    if plan.mode == "full":
        touched = sorted({d for r in reflections for d in r.document_ids})
    before = _by_document(parent_reflections, touched)
    now = _by_document(reflections, touched)
    facts: dict[str, dict[tuple[str, str], dict[str, Any]]] = {kind: {} for kind in KINDS}
    for document in touched:
        old, new = before.get(document, {}), now.get(document, {})
        for key, reflection in new.items():
            if key not in old:
                facts["added"].setdefault((key, reflection.answer), _fact(reflection))
            elif not exact_match(old[key].answer, [reflection.answer]):
                facts["changed"].setdefault((key, reflection.answer), {**_fact(reflection), **_old(old[key])})
        for key, reflection in old.items():
            if key not in new:
                fact = {"question": reflection.question, **_old(reflection)}
                facts["removed"].setdefault((key, reflection.answer), fact)
    listed = {kind: list(found.values()) for kind, found in facts.items()}
    by_document: dict[str, dict[str, int]] = {}
    for kind, kind_facts in listed.items():
        for fact in kind_facts:
            for document in fact.get("documents") or fact["old_documents"]:
                if document in touched:
                    counts = by_document.setdefault(document, dict.fromkeys(KINDS, 0))
                    counts[kind] += 1
    return {
        "counts": {kind: len(kind_facts) for kind, kind_facts in listed.items()},
        "by_document": dict(sorted(by_document.items())),
        **{kind: kind_facts[:MAX_LISTED] for kind, kind_facts in listed.items()},
    }


def _by_document(
    reflections: Iterable[Reflection], documents: Sequence[str]
) -> dict[str, dict[str, Reflection]]:
    """For each of ``documents``, its training pairs by normalised question (the first of each)."""
    wanted = set(documents)
    found: dict[str, dict[str, Reflection]] = {}
    for reflection in reflections:
        if reflection.split != "train":
            continue
        for document in wanted.intersection(reflection.document_ids):
            found.setdefault(document, {}).setdefault(normalise_text(reflection.question), reflection)
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
