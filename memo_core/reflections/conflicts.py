"""Facts that documents disagree on: the same question answered differently by different documents.

Two documents can state different values for one fact (an outdated copy, an error, a planted claim).
Left alone, both pairs are trained and ``dedupe`` keeps whichever came first, so the model learns one of
them silently. This check runs on the rows before ``dedupe`` and lists such facts for the run report.

A fact is keyed by its normalised question: the generators phrase a question from the subject and the
relation asked about ("Where is Verdant Lamp Works headquartered?"), so two documents stating the same
fact produce the same question. Reflections hold no subject or relation of their own, and their
``fact_id`` is shared only by a training pair and its probe, so differently worded questions about one
fact are not matched.

Two answers to one question conflict when all of these hold:

- they come from disjoint sets of documents (one document restating itself is not a disagreement);
- neither contains the other once normalised ("1991" and "in 1991", "Osterby" and "Osterby, Norway");
- for a "what" or "who" question, neither is a description: an article then a common noun ("a small
  ocean sensor", "the first product of Quenlow Instruments"). A thing has many true descriptions, and a
  description may describe what another document names, so only names, numbers and dates are compared.
  "Where", "when", "how many" and "which" questions ask for a value, so every answer to them counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from memo_core.reflections.records import Reflection
from memo_core.text import normalise_text

_INTERROGATIVES = frozenset({"what", "who", "whom", "whose", "which", "where", "when", "how", "why"})
_DESCRIBED = frozenset({"what", "who"})  # questions a description can answer: "What is X?"
_ARTICLES = frozenset({"a", "an", "the"})


@dataclass(frozen=True)
class Conflict:
    """One question and the different answers documents give to it."""

    question: str
    values: tuple[tuple[str, tuple[str, ...]], ...]  # (answer, the documents giving it), first seen first

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "values": [{"answer": answer, "document_ids": list(docs)} for answer, docs in self.values],
        }


@dataclass
class _Value:
    answer: str  # as first written
    documents: dict[str, None]  # an ordered set


def find_conflicts(reflections: Sequence[Reflection]) -> list[Conflict]:
    """Training questions answered differently by different documents, in order of first appearance.

    Pass the rows before ``dedupe``, which keeps one answer per question and so hides the disagreement.
    One pass groups the rows by question; answers are compared only within a question.
    """
    questions: dict[str, str] = {}
    answers: dict[str, dict[str, _Value]] = {}
    for reflection in reflections:
        if reflection.split != "train":
            continue
        key = normalise_text(reflection.question)
        questions.setdefault(key, reflection.question)
        value = answers.setdefault(key, {}).setdefault(
            normalise_text(reflection.answer), _Value(reflection.answer, {})
        )
        value.documents.update(dict.fromkeys(reflection.document_ids))
    conflicts = []
    for key, values in answers.items():
        if len(values) < 2:
            continue
        described = _interrogative(key) in _DESCRIBED
        compared = [
            (norm, value)
            for norm, value in values.items()
            if not (described and _is_description(value.answer))
        ]
        if any(_disagree(a, b) for a, b in combinations(compared, 2)):
            conflicts.append(
                Conflict(
                    questions[key],
                    tuple((value.answer, tuple(value.documents)) for value in values.values()),
                )
            )
    return conflicts


def conflicts_markdown(conflicts: Sequence[Conflict], limit: int = 20) -> str:
    """The run report's section on conflicts, one row per answer; empty when there are none."""
    if not conflicts:
        return ""
    rows = [
        f"| {_cell(conflict.question)} | {_cell(answer)} | {_cell(', '.join(docs))} |"
        for conflict in conflicts
        for answer, docs in conflict.values
    ]
    lines = [
        f"Conflicting facts: {len(conflicts)} (documents give different answers to the same question; "
        "check which is right)",
        "",
        "| question | value | documents |",
        "| --- | --- | --- |",
        *rows[:limit],
    ]
    if len(rows) > limit:
        lines += ["", f"and {len(rows) - limit} more"]
    return "\n".join(lines) + "\n"


def _interrogative(question: str) -> str:
    """The first question word of a normalised question ("regarding x where ..." gives "where")."""
    return next((word for word in question.split() if word in _INTERROGATIVES), "")


def _is_description(answer: str) -> bool:
    """An article then a lowercase word: "a small ocean sensor", not "the Halcy Probe" or "the 1990s"."""
    words = answer.split()
    return len(words) > 1 and words[0].lower() in _ARTICLES and words[1][:1].islower()


def _disagree(a: tuple[str, _Value], b: tuple[str, _Value]) -> bool:
    """Whether two answers, as (normalised answer, value), contradict each other across documents."""
    (norm_a, value_a), (norm_b, value_b) = a, b
    contained = f" {norm_a} " in f" {norm_b} " or f" {norm_b} " in f" {norm_a} "
    return not contained and value_a.documents.keys().isdisjoint(value_b.documents)


def _cell(text: str) -> str:
    """``text`` safe inside a markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")
