"""The reflection steps of the method (METHOD.md) after extraction, each a function over facts, for the
offline backend.

1. extraction (``extraction``): explicit facts (``direct``) and the same facts asked the other way
   (``inferred``);
2. ``consolidate``: related facts of one chunk merged into 2- and 3-fact questions;
3. ``verify``: every question made self-contained (rewritten from its source, or dropped);
4. ``surface_entities``: reverse look-ups that describe an entity without naming it;
5. ``cross_document``: converging clues about one entity from two documents, grouped by shared names, and
   ``traverse``: relations chained across documents ("Who founded the organisation X works for?").
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from memo_core.reflections.generators.facts import Fact
from memo_core.reflections.generators.offline.wordings import NUMBER_WORDS, finish
from memo_core.text import and_list, normalise_text

PRONOUNS = frozenset(
    [
        "i",
        "me",
        "my",
        "we",
        "us",
        "our",
        "you",
        "your",
        "he",
        "him",
        "his",
        "she",
        "her",
        "hers",
        "it",
        "its",
        "they",
        "them",
        "their",
        "this",
        "that",
        "these",
        "those",
    ]
)
# Words after which "her" is a possessive, not an object ("her brother"), and question openers.
FUNCTION_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "from",
        "by",
        "with",
        "and",
        "or",
        "but",
        "as",
        "is",
        "was",
        "are",
        "were",
        "be",
        "been",
        "that",
        "which",
        "who",
    ]
)


# Step 2 -------------------------------------------------------------------------------------------------


def consolidate(facts: Sequence[Fact], max_facts: int = 3, max_words: int = 45) -> list[Fact]:
    """Related facts of one chunk, about the same subject and from different sentences, merged into
    questions of two and three facts: "Where did X study physics, and in which year did X graduate?" ->
    "the University of Pellmoor; 1993"."""
    groups: dict[tuple[str, int, str], list[Fact]] = defaultdict(list)
    for fact in facts:
        opener = fact.question.split(" ", 1)[0].lower()  # a question asked in place is not merged
        if (
            fact.slot != "subject"
            and fact.kind in ("direct", "inferred")
            and len(fact.evidence) == 1
            and opener in _QUESTION_OPENERS
        ):
            evidence = fact.evidence[0]
            groups[(evidence.document_id, evidence.sentence.chunk, fact.subject)].append(fact)
    merged: list[Fact] = []
    for group in groups.values():
        # one fact per sentence, so a merged question always joins separate statements
        per_sentence = list({f.evidence[0].sentence.start: f for f in reversed(group)}.values())[::-1]
        for size in range(2, max_facts + 1):
            for start in range(0, len(per_sentence) - size + 1, size):
                fact = _merge(per_sentence[start : start + size])
                if len(fact.question.split()) <= max_words:
                    merged.append(fact)
    return merged


def _merge(parts: Sequence[Fact]) -> Fact:
    questions = [p.question.rstrip("?") for p in parts]
    question = ", and ".join([questions[0], *(_lower_first(q) for q in questions[1:])]) + "?"
    answer = "; ".join(p.answer for p in parts)
    evidence = tuple(dict.fromkeys(e for p in parts for e in p.evidence))
    return Fact(
        question,
        answer,
        None,
        "combined",
        parts[0].subject,
        evidence,
        kind="consolidated",
        step="consolidation",
        subject_kind=parts[0].subject_kind,
    )


def _lower_first(question: str) -> str:
    first, _, rest = question.partition(" ")
    return f"{first.lower()} {rest}" if first.lower() in _QUESTION_OPENERS else question


_QUESTION_OPENERS = frozenset(
    [
        "who",
        "whom",
        "what",
        "when",
        "where",
        "which",
        "how",
        "in",
        "on",
        "at",
        "for",
        "since",
        "by",
        "until",
        "before",
        "after",
        "regarding",
        "name",
    ]
)


# Step 3 -------------------------------------------------------------------------------------------------

_SUBJECT_PRONOUN_KIND = {
    "he": "person",
    "she": "person",
    "him": "person",
    "his": "person",
    "her": "person",
    "it": "thing",
    "its": "thing",
    "they": "people",
    "them": "people",
    "their": "people",
}
_DOCUMENT_WORDS = re.compile(
    r"\b(the|this) (document|text|article|passage|page|section|file)\b"
    r"|\b(mentioned|stated|described|listed) above\b",
    re.IGNORECASE,
)
_RELATIVE_TIME = re.compile(
    r"\b(last|this|next|that|the following|the previous) (year|month|week|day)\b|\b(those|these) years\b|"
    r"\b(recently|yesterday|today|tomorrow|ago|currently|nowadays|later|earlier|then)\b",
    re.IGNORECASE,
)
_DEMONSTRATIVE_NP = re.compile(r"\b(this|these|those) [a-z]+\b")
# "two years later", "a decade earlier": a time that means something only beside another, dropped whole
_RELATIVE_SPAN = re.compile(
    rf",? \b(?:\d[\d,.]*|a few|several|some|many|a|an|one|{NUMBER_WORDS}) "
    r"(?:years?|months?|weeks?|days?|decades?|centuries) (?:later|earlier|ago)\b",
    re.IGNORECASE,
)
_REMOVABLE_ADVERBS = re.compile(r"\b(later|then|now|still|recently|currently|previously|also)\b ?")
_TRAILING_CLAUSE = re.compile(
    r"(?<=\w)(,? (before|after|while|because|although|since|when|until) [^?]*)(?=\?$)"
)
MIN_WORDS = 5
_THAT_NP = re.compile(r"\b(of|in|on|at|from|with|to|for|during|by|after|before) that [a-z]+\b", re.IGNORECASE)
_VAGUE_PHRASE = re.compile(
    r",? \b(during|in|at|on|after|before|from|of|since) (that|this|those|these) [a-z]+\b"
)
MAX_TRIES = 5


@dataclass
class VerificationReport:
    """How many facts passed as they were, were rewritten, or were dropped, and why."""

    passed: int = 0
    rewritten: int = 0
    dropped: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def count(self, reason: str, times: int = 1) -> None:
        self.reasons[reason] = self.reasons.get(reason, 0) + times

    def count_unresolved(self, pronouns: Mapping[str, int]) -> None:
        """Statements dropped because nothing said whom their pronoun stands for."""
        for pronoun, times in pronouns.items():
            self.dropped += times
            self.count(f"pronoun '{pronoun}' without referent", times)

    def to_json(self) -> dict[str, Any]:
        return {"verification": dataclasses.asdict(self)}


def wording_problems(question: str) -> list[str]:
    """What makes a question depend on its source, visible in its wording alone (any backend's questions)."""
    found = []
    if _DOCUMENT_WORDS.search(question):
        found.append("refers to the document")
    if _RELATIVE_TIME.search(question):
        found.append("relative time")
    return found


def problems(fact: Fact) -> list[str]:
    """Why ``fact`` is not self-contained (empty when it is)."""
    found = []
    question = fact.question
    words = [w.lower() for w in re.findall(r"[A-Za-z']+", question)]
    for k, w in enumerate(words):
        kind = _SUBJECT_PRONOUN_KIND.get(w)
        # An object pronoun cannot mean the subject of its own clause ("X met him" is not X).
        is_object = (
            w in ("him", "them") or w == "her" and (k + 1 == len(words) or words[k + 1] in FUNCTION_WORDS)
        )
        if kind is not None and (is_object or not _pronoun_has_referent(fact, kind)):
            found.append(f"pronoun '{w}' without referent")
            break
    found.extend(wording_problems(question))
    if (
        re.search(r"\bthere\b", question, re.IGNORECASE)
        or _DEMONSTRATIVE_NP.search(question)
        or (_THAT_NP.search(question))
    ):
        found.append("vague reference")
    answer = fact.answer.strip()
    if not answer or answer.lower() in PRONOUNS or len(answer.split()) > 150:
        found.append("incomplete answer")
    elif normalise_text(answer) == normalise_text(question):
        found.append("answer repeats question")
    return found


def _pronoun_has_referent(fact: Fact, kind: str) -> bool:
    """A pronoun may refer to the entity the question names (or asks for) when the kinds agree."""
    subject_kind = "people" if fact.subject_kind == "people" else fact.subject_kind
    if subject_kind == "anchored" or not subject_kind:
        return False
    agrees = kind == subject_kind or kind == "thing" and subject_kind == "thing"
    return agrees and (fact.slot == "subject" or fact.subject.lower() in fact.question.lower())


def _rewrites(fact: Fact) -> list[str]:
    """Candidate rewrites of a failing question from what it already says, most faithful first: relative
    adverbs dropped (with their span of time: "two years later"), relative time dropped, the subordinate
    clause holding the problem cut, "there" cut, a leading "Regarding ..." context kept but the rest
    shortened."""
    q = fact.question
    candidates = [
        _REMOVABLE_ADVERBS.sub("", _RELATIVE_SPAN.sub("", q)),
        _RELATIVE_TIME.sub("", q),
        _TRAILING_CLAUSE.sub("", q, count=1),
        re.sub(r",? \b(there|in those years|during those years|at that time)\b", "", q),
        _VAGUE_PHRASE.sub("", q),
    ]
    out = []
    for candidate in candidates[:MAX_TRIES]:
        candidate = " ".join(candidate.split()).replace(" ?", "?").replace(" ,", ",")
        if len(candidate.split()) >= MIN_WORDS:
            out.append(candidate)
    return out


def verify(facts: Sequence[Fact]) -> tuple[list[Fact], VerificationReport]:
    """Keep self-contained facts; rewrite failing ones from their source (up to five tries); drop the rest."""
    report = VerificationReport()
    kept: list[Fact] = []
    for fact in facts:
        issues = problems(fact)
        if not issues:
            report.passed += 1
            kept.append(fact)
            continue
        for candidate in _rewrites(fact):
            rewritten = dataclasses.replace(fact, question=candidate, probe=None, step="verification")
            if candidate != fact.question and not problems(rewritten):
                report.rewritten += 1
                kept.append(rewritten)
                break
        else:
            report.dropped += 1
            for issue in issues:
                report.count(issue)
    return kept, report


# Step 4 -------------------------------------------------------------------------------------------------


def surface_entities(facts: Sequence[Fact], max_clues: int = 3) -> list[Fact]:
    """Reverse look-ups: "Which person founded Quenlow Instruments in May 2009 and was born in Corrimere?"
    -> "Ilvana Dresk", from two and three things said about one named subject; the probe lists the
    clues in the other order."""
    by_subject: dict[str, list[Fact]] = defaultdict(list)
    for fact in facts:
        if fact.slot == "subject" and fact.subject_kind in ("person", "people", "thing") and _clue(fact):
            by_subject[fact.subject].append(fact)
    out: list[Fact] = []
    for subject, clues in by_subject.items():
        unique: list[Fact] = []
        for clue in clues:
            if all(_distinct(clue, kept) for kept in unique):
                unique.append(clue)
        for size in range(2, max_clues + 1):
            for start in range(0, len(unique) - size + 1, size):
                out.append(_surface(subject, unique[start : start + size]))
    return out


def _clue(fact: Fact) -> bool:
    """A subject fact short and explicit enough to describe its subject inside a longer question."""
    words_ = fact.predicate.lower().split()
    return fact.slot == "subject" and 0 < len(words_) <= 14 and not any(w in PRONOUNS for w in words_)


def _distinct(a: Fact, b: Fact) -> bool:
    """Whether two clues say different things (sharing under half their words), so a question joining
    them gives two facts, not one fact twice."""
    left, right = set(normalise_text(a.predicate).split()), set(normalise_text(b.predicate).split())
    return len(left & right) < 0.5 * min(len(left), len(right))


def _which(kind: str) -> str:
    return {"person": "Which person", "people": "Which people"}.get(kind, "What")


def _surface(
    subject: str, clues: Sequence[Fact], kind: str = "entity", step: str = "entity_surfacing"
) -> Fact:
    which = _which(clues[0].subject_kind)
    predicates = [c.predicate for c in clues]
    question = finish(f"{which} {and_list(predicates)}")
    probe = finish(f"{which} {and_list(predicates[::-1])}")
    evidence = tuple(dict.fromkeys(e for c in clues for e in c.evidence))
    return Fact(
        question,
        subject,
        probe,
        "entity",
        subject,
        evidence,
        kind=kind,
        step=step,
        subject_kind=clues[0].subject_kind,
    )


# Step 5 -------------------------------------------------------------------------------------------------


def related_documents(per_document: Mapping[str, Sequence[Fact]]) -> dict[str, list[str]]:
    """Named subjects stated in more than one document, with those documents: the groups cross-document
    questions are built from (found from the text, not from labels)."""
    where: dict[str, dict[str, None]] = defaultdict(dict)
    for document_id, facts in per_document.items():
        for fact in facts:
            if fact.slot == "subject" and fact.predicate:
                where[fact.subject][document_id] = None
    return {subject: list(docs) for subject, docs in where.items() if len(docs) > 1}


def cross_document(per_document: Mapping[str, Sequence[Fact]], per_entity: int = 2) -> list[Fact]:
    """Converging clues: one thing said about an entity in one document and one in another, asked together
    ("Which person designed the Halcy Probe and holds 4 patents?"), with evidence from both."""
    out: list[Fact] = []
    for subject, document_ids in sorted(related_documents(per_document).items()):
        clues_by_doc = [
            [f for f in per_document[d] if f.subject == subject and _clue(f)] for d in document_ids
        ]
        for i in range(per_entity):
            for a, b in zip(clues_by_doc, clues_by_doc[1:], strict=False):
                if i < len(a) and i < len(b) and _distinct(a[i], b[i]):
                    out.append(_surface(subject, [a[i], b[i]], kind="cross_document", step="cross_document"))
    return out


def traverse(per_document: Mapping[str, Sequence[Fact]], depth: int = 2, budget: int = 4) -> list[Fact]:
    """Relations chained across documents: X's R1 is Y in one document and Y's R2 is Z in another give
    "Who is the R2 of the R1 of X?" -> Z, up to ``depth`` relations and ``budget`` questions per X."""
    about: dict[str, list[tuple[str, Fact]]] = defaultdict(list)
    for document_id, facts in per_document.items():
        for fact in facts:
            if fact.kind == "direct" and fact.wording == 0 and fact.slot != "subject":
                about[fact.subject].append((document_id, fact))
    links = [(d, f) for d, facts in per_document.items() for f in facts if f.describes and f.answer_name]
    out: list[Fact] = []
    used: dict[str, int] = defaultdict(int)
    for _ in range(depth - 1):
        chained: list[tuple[str, Fact]] = []
        for document_id, link in sorted(links, key=lambda item: (item[1].subject, item[1].question)):
            for other_id, fact in about.get(link.answer_name, []):
                if (
                    other_id == document_id
                    or used[link.subject] >= budget
                    or normalise_text(fact.answer) == normalise_text(link.subject)
                    or not (named := re.search(rf"\b{re.escape(link.answer_name)}\b", fact.question))
                ):
                    continue
                question = finish(
                    fact.question[: named.start()] + link.describes + fact.question[named.end() :]
                )
                evidence = tuple(dict.fromkeys([*link.evidence, *fact.evidence]))
                describes = (
                    fact.describes.replace(link.answer_name, link.describes, 1) if fact.describes else ""
                )
                made = dataclasses.replace(
                    fact,
                    question=question,
                    probe=None,
                    subject=link.subject,
                    evidence=evidence,
                    kind="cross_document",
                    step="cross_document",
                    describes=describes,
                )
                out.append(made)
                used[link.subject] += 1
                if describes:
                    chained.append((other_id, made))
        links = chained
    return out
