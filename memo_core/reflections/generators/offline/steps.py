"""The five reflection steps of the method (METHOD.md), each a function over facts, for the offline backend.

1. extraction: explicit facts (``direct``) and inferred ones (``inferred``: relations asked the other way,
   appositions, durations, absolute dates from relative ones);
2. ``consolidate``: related facts of one chunk merged into 2- and 3-fact questions;
3. ``verify``: every question made self-contained (rewritten from its source, or dropped);
4. ``surface_entities``: reverse look-ups that describe an entity without naming it;
5. ``cross_document``: converging clues about one entity from two documents, grouped by shared names.
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from memo_core.reflections.generators.facts import Evidence, Fact
from memo_core.reflections.generators.offline import lexicon
from memo_core.reflections.generators.offline.english import base_form, is_capitalised, join, tokenize
from memo_core.reflections.generators.offline.extraction import (
    anchored,
    direct_facts,
    field_facts,
    object_end,
    quantity_subject_facts,
    strip_appositions,
)
from memo_core.reflections.generators.offline.lexicon import (
    BE_FORMS,
    COUNT_WORDS,
    FUNCTION_WORDS,
    POSSESSIVE_PRONOUNS,
    PREPOSITIONS,
    PRONOUNS,
)
from memo_core.reflections.generators.offline.parse import Clause, ClauseParser, Discourse, name_end
from memo_core.reflections.generators.offline.questions import ask, finish
from memo_core.reflections.generators.sentences import Layout, layout
from memo_core.sources.scan import Document
from memo_core.text import normalise_text

_DOUBLE_OBJECT_VERBS = frozenset(
    {"give", "award", "lend", "pay", "send", "offer", "grant", "show", "sell", "teach"}
)
_LINKING_VERBS = frozenset({"be", "become", "remain", "seem", "stay", "appear", "look", "sound", "feel"})
_PARTICLES = frozenset(
    {"down", "up", "out", "off", "over", "back", "away", "around", "on", "in", "there", "here"}
)
_OBJECT_PREPOSITIONS = frozenset({"to", "with", "for", "into", "under"})
# "took place", "take part", "took office": objects that belong to their verb, not facts of their own.
_IDIOM_OBJECTS = frozenset({"place", "part", "office", "care", "effect", "shape", "notice", "there", "here"})
_NAMING_VERBS = frozenset({"name", "call", "make", "build", "base", "derive", "model"})
_RELATIVE_YEARS = {"the following year": 1, "the next year": 1, "a year later": 1, "one year later": 1}
_YEARS_LATER = re.compile(rf"\b(\d{{1,2}}|{'|'.join(COUNT_WORDS)}) years later\b")
_YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)\b")


@dataclass
class Analysis:
    """One document parsed once and shared by every step."""

    document: Document
    layout: Layout
    discourse: Discourse
    clauses: list[Clause]


def analyse(document: Document) -> Analysis:
    doc_layout = layout(document.text)
    discourse = Discourse(title=doc_layout.title)
    discourse.learn_vocabulary(doc_layout.sentences)
    parser = ClauseParser(discourse)
    clauses = [clause for sentence in doc_layout.sentences for clause in parser.parse(sentence)]
    return Analysis(document, doc_layout, discourse, clauses)


# Step 1a ------------------------------------------------------------------------------------------------


def direct(analysis: Analysis) -> list[Fact]:
    """Every explicitly stated fact, one per question."""
    facts: list[Fact] = []
    for clause in analysis.clauses:
        facts += direct_facts(clause) + quantity_subject_facts(clause)
    return facts + field_facts(analysis.layout.fields, analysis.discourse)


# Step 1b ------------------------------------------------------------------------------------------------


def inferred(analysis: Analysis) -> list[Fact]:
    """Facts the text implies: relations asked from the object's side, appositions as statements,
    durations of "from 2009 to 2016", and years of "three years later"."""
    facts: list[Fact] = []
    last_year: int | None = None
    for clause in analysis.clauses:
        facts += object_facts(clause, analysis.discourse) + naming_facts(clause)
        facts += apposition_facts(clause, analysis.discourse)
        facts += duration_facts(clause)
        if last_year is not None:
            facts += relative_date_facts(clause, last_year)
        years = [int(y) for y in _YEAR.findall(clause.sentence.text)]
        last_year = years[-1] if years else last_year
    return [dataclasses.replace(f, kind="inferred") for f in facts]


def _fact(clause: Clause, question: str | None, answer: str, probe: str | None, slot: str) -> list[Fact]:
    if question is None or not answer:
        return []
    if clause.anchor:
        question = anchored(clause.anchor, question)
        probe = anchored(clause.anchor, probe) if probe else None
    evidence = (Evidence("", clause.sentence),)
    return [Fact(question, answer, probe, slot, clause.subject, evidence, subject_kind=clause.kind)]


def object_facts(clause: Clause, discourse: Discourse) -> list[Fact]:
    """ "Ilvana Dresk studied physics at ..." -> "What did Ilvana Dresk study at ...?" -> "physics"; with two
    objects ("gave Quenlow House its Silver Leaf rating") the second one is asked for."""
    verb = [v.lower() for v in clause.verb]
    rest = strip_appositions(list(clause.rest))
    base = base_form(verb[-1]) or ""
    if (
        not rest
        or base in _LINKING_VERBS
        or verb[-1] in BE_FORMS
        or verb[-1] == "born"
        or verb[0] in BE_FORMS
    ):
        return []
    first = rest[0].lower()
    if (
        first in _PARTICLES
        or first[:1].isdigit()
        or first in COUNT_WORDS
        or first in ("more", "less", "about")
    ):
        return []  # "stepped down as ...", "maintained more than 200 ...": not an object
    if rest[0] in _OBJECT_PREPOSITIONS and len(rest) > 2:
        return _prepositional_object(clause, rest, discourse)
    end = object_end(rest) or _bare_object_end(rest)
    if end is None:
        return []
    obj, remainder = rest[:end], rest[end:]
    if base in _DOUBLE_OBJECT_VERBS and remainder and remainder[0].islower():
        second = object_end(remainder) or _bare_object_end(remainder)
        if second is not None and remainder[0].lower() not in PREPOSITIONS:
            answer = [t for t in remainder[:second] if t.lower() not in POSSESSIVE_PRONOUNS]
            question = ask(clause, "What", [*obj, *remainder[second:]])
            return _fact(clause, question, join(answer), None, "object")
    if any(t.lower() in PRONOUNS for t in obj):
        return []
    entity = discourse.entities.get(join(obj).removeprefix("the "))
    wh = "Whom" if entity is not None and entity.kind in ("person", "people") else "What"
    question = ask(clause, wh, remainder)
    verb_group = join([*clause.adverbs, *clause.verb])
    probe = finish(f"{clause.subject} {verb_group} {wh.lower()} {join(remainder)}")
    return _fact(clause, question, join(obj), probe, "object")


def _prepositional_object(clause: Clause, rest: list[str], discourse: Discourse) -> list[Fact]:
    """ "The 2022 medal went to the Drummelow Pump" -> "To what did the 2022 medal go?"."""
    end = object_end(rest[1:])
    if end is None or not any(is_capitalised(t) for t in rest[1 : end + 1]):
        return []
    obj, remainder = rest[1 : end + 1], rest[end + 1 :]
    entity = discourse.entities.get(join(obj).removeprefix("the "))
    wh = "whom" if entity is not None and entity.kind in ("person", "people") else "what"
    question = ask(clause, f"{rest[0].capitalize()} {wh}", remainder)
    probe = finish(
        f"{clause.subject} {join([*clause.adverbs, *clause.verb])} {rest[0]} {wh} {join(remainder)}"
    )
    return _fact(clause, question, join(obj), probe, "object")


def _bare_object_end(rest: list[str]) -> int | None:
    """A determiner-less object: "physics", "bees", "weather instruments" (at most three lowercase words)."""
    end = 0
    while (
        end < min(len(rest), 3)
        and rest[end].isalpha()
        and rest[end].islower()
        and not (rest[end] in FUNCTION_WORDS or rest[end] in _PARTICLES or rest[end] in _IDIOM_OBJECTS)
    ):
        end += 1
    return end or None


def naming_facts(clause: Clause) -> list[Fact]:
    """ "X is named after Quenlow Hill" -> "What is X named after?"; "a small boat called the Greyling" ->
    "What is the name of the small boat that X has?"."""
    rest = list(clause.rest)
    verb = [v.lower() for v in clause.verb]
    facts: list[Fact] = []
    base = base_form(verb[-1]) or ""
    if base in _NAMING_VERBS:
        start = 0 if len(verb) > 1 else object_end(rest) or 0
        if start < len(rest) - 1 and rest[start] in ("after", "of", "from"):
            stop = next((k for k in range(start + 1, len(rest)) if rest[k] in (",", ";")), len(rest))
            answer = join(rest[start + 1 : stop])
            question = ask(clause, "What", [*rest[:start], rest[start], *rest[stop + 1 :]])
            facts += _fact(clause, question, answer, None, "object")
    if verb[-1] in ("known", "called", "described") and "as" in rest:
        k = rest.index("as")
        if k + 1 < len(rest) and is_capitalised(rest[k + 1]):
            end = name_end(rest, k + 1)
            question = ask(clause, "What", [*rest[:k], "as", *rest[end:]])
            probe = ask(clause, "Under which name", [*rest[:k], *rest[end:]])
            facts += _fact(clause, question, join(rest[k + 1 : end]), probe, "name")
    for k in range(2, len(rest) - 1):
        article = rest[k + 1] == "the" and k + 2 < len(rest)
        if rest[k] in ("called", "named") and rest[k - 1].islower() and is_capitalised(rest[k + 1 + article]):
            start = k - 1
            while start > 0 and rest[start - 1].islower() and rest[start - 1] not in ("a", "an", ",", "and"):
                start -= 1
            thing = join(rest[start:k])
            end = name_end(rest, k + 1 + article)
            name = join(rest[k + 1 : end])
            does = join([*clause.verb])
            question = finish(f"What is the name of the {thing} that {clause.subject} {does}")
            probe = finish(f"What is the {thing} that {clause.subject} {does} called")
            facts += _fact(clause, question, name, probe, "name")
    return facts


def apposition_facts(clause: Clause, discourse: Discourse) -> list[Fact]:
    """ "Kelderwick Works, the main factory of Quenlow Instruments" -> "What is the main factory of Quenlow
    Instruments?" and "What is Kelderwick Works?"."""
    facts: list[Fact] = []
    for name, description in clause.appositions:
        if any(t.lower() in PRONOUNS for t in description.split()):
            continue
        entity = discourse.entities.get(name.removeprefix("the "))
        wh = "Who" if entity is not None and entity.kind == "person" else "What"
        facts += _fact(
            clause, finish(f"{wh} is {description}"), name, finish(f"Name {description}"), "apposition"
        )
        facts += _fact(clause, finish(f"{wh} is {name}"), description, None, "kind")
    return facts


def duration_facts(clause: Clause) -> list[Fact]:
    """Durations: "served as chief executive from 2009 to 2016" -> "For how many years did X serve ...?"."""
    rest = list(clause.rest)
    for k in range(len(rest) - 3):
        if rest[k] == "from" and rest[k + 2] == "to" and _is_year(rest[k + 1]) and _is_year(rest[k + 3]):
            years = int(rest[k + 3]) - int(rest[k + 1])
            if years <= 0:
                return []
            question = ask(clause, "For how many years", rest[:k] + rest[k + 4 :])
            return _fact(clause, question, f"{years} years", None, "duration")
    return []


def _is_year(token: str) -> bool:
    return bool(_YEAR.fullmatch(token))


def relative_date_facts(clause: Clause, last_year: int) -> list[Fact]:
    """Absolute years: "Three years later she opened ..." after 2013 -> "In which year did X open ...?"."""
    text = join(list(clause.rest)).lower()
    offset = next((n for phrase, n in _RELATIVE_YEARS.items() if phrase in text), None)
    phrase = next((p for p in _RELATIVE_YEARS if p in text), "")
    match = _YEARS_LATER.search(text)
    if match:
        count = match.group(1)
        offset = int(count) if count.isdigit() else COUNT_WORDS[count]
        phrase = match.group(0)
    if offset is None or _YEAR.search(text):
        return []
    remainder = tokenize(re.sub(re.escape(phrase), " ", join(list(clause.rest)), flags=re.IGNORECASE))
    question = ask(clause, "In which year", remainder)
    return _fact(clause, question, str(last_year + offset), None, "time")


# Step 2 -------------------------------------------------------------------------------------------------


def consolidate(facts: Sequence[Fact], max_facts: int = 3, max_words: int = 45) -> list[Fact]:
    """Related facts of one chunk, about the same subject and from different sentences, merged into
    questions of two and three facts: "Where did X study physics, and in which year did X graduate?" ->
    "the University of Pellmoor; 1993"."""
    groups: dict[tuple[str, int, str], list[Fact]] = defaultdict(list)
    for fact in facts:
        if fact.slot != "subject" and fact.kind in ("direct", "inferred") and len(fact.evidence) == 1:
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


_QUESTION_OPENERS = lexicon.words(
    "who whom what when where which how in on at for since by until before after regarding name"
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

    def count(self, reason: str) -> None:
        self.reasons[reason] = self.reasons.get(reason, 0) + 1

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
    adverbs dropped, relative time dropped, the subordinate clause holding the problem cut, "there" cut,
    a leading "Regarding ..." context kept but the rest shortened."""
    q = fact.question
    candidates = [
        _REMOVABLE_ADVERBS.sub("", q),
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
    question = finish(f"{which} {_and(predicates)}")
    probe = finish(f"{which} {_and(predicates[::-1])}")
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


def _and(parts: Sequence[str]) -> str:
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]


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
