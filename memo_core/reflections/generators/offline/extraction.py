"""Step 1a, explicit facts: one short-answer question per stated fact of a clause, with a probe.

A clause yields up to five facts: who or what its subject is (subject question), when, where, how many,
and what role or kind its subject has (copula). Every question names its subject, so it can be asked
without the document; every answer is a short span a small model can learn.
"""

from __future__ import annotations

import dataclasses

from memo_core.reflections.generators.facts import Evidence, Fact
from memo_core.reflections.generators.offline.english import (
    base_form,
    is_capitalised,
    is_month,
    is_verb,
    join,
)
from memo_core.reflections.generators.offline.lexicon import (
    AGENT_NOUNS,
    BE_FORMS,
    COUNT_WORDS,
    MEASURE_ADJECTIVES,
    MONEY_UNITS,
    NON_PERSON_HEADS,
    PERCENT_UNITS,
    PRE_VERB_ADVERBS,
    PREPOSITIONS,
    PRONOUNS,
    QUANTITY_PREFIXES,
    SCALE_WORDS,
)
from memo_core.reflections.generators.offline.parse import Clause, Discourse, date_end, name_end
from memo_core.reflections.generators.offline.questions import ask, ask_subject, echo, finish, passive
from memo_core.reflections.generators.sentences import FieldLine, Sentence

_TIME_PREPOSITIONS = frozenset(
    {"in", "on", "since", "by", "until", "during", "from", "at", "before", "after"}
)
_PLACE_PREPOSITIONS = frozenset({"in", "at", "near", "from", "on", "into", "inside", "outside"})
_COMPLEMENT_BREAKS = frozenset(
    {",", ";", "that", "which", "who", "whose", "based", "made", "known", "called"}
)
_LOWERCASE_OPENERS = frozenset(
    {
        "who",
        "what",
        "when",
        "where",
        "which",
        "how",
        "in",
        "on",
        "at",
        "by",
        "since",
        "until",
        "before",
        "after",
    }
    | {"the", "a", "an", "each", "every", "from"}
)
_ARTICLES = frozenset({"a", "an", "the", "its", "his", "her", "their"})
_TIME_UNITS = frozenset({"second", "minute", "hour", "day", "week", "month", "year", "quarter"})
_CLAUSE_BREAKS = frozenset(
    {",", ";", "that", "which", "who", "whose", "while", "because", "before", "after", "and"}
)


def direct_facts(clause: Clause) -> list[Fact]:
    """Every explicit fact of ``clause`` as a question about it (appositions are asked on their own)."""
    clause = dataclasses.replace(clause, rest=tuple(strip_appositions(list(clause.rest))))
    facts = [
        *subject_facts(clause),
        *time_facts(clause),
        *place_facts(clause),
        *quantity_facts(clause),
        *copula_facts(clause),
    ]
    return [f for f in facts if f.answer and f.question]


def strip_appositions(rest: list[str]) -> list[str]:
    """``rest`` without ", a market town in Vessary Vale" after a name: a question needs only the name."""
    out: list[str] = []
    i = 0
    while i < len(rest):
        if (
            rest[i] == ","
            and out
            and is_capitalised(out[-1])
            and i + 1 < len(rest)
            and rest[i + 1] in _ARTICLES
        ):
            close = next((k for k in range(i + 1, len(rest)) if rest[k] in (",", ";")), len(rest))
            description = rest[i + 1 : close]
            if not any(t.islower() and is_verb(t) or t in ("who", "which", "that") for t in description):
                i = close + 1 if close < len(rest) and close + 1 < len(rest) and rest[close] == "," else close
                continue
        out.append(rest[i])
        i += 1
    return out


def _fact(clause: Clause, question: str | None, answer: str, probe: str | None, slot: str) -> list[Fact]:
    if question is None:
        return []
    if clause.anchor:
        question = anchored(clause.anchor, question)
        probe = anchored(clause.anchor, probe) if probe else None
    predicate = join([*clause.adverbs, *clause.verb, *clause.rest]) if slot == "subject" else ""
    return [
        Fact(
            question,
            answer,
            probe,
            slot,
            clause.subject,
            (Evidence("", clause.sentence),),
            subject_kind=clause.kind,
            predicate=predicate,
        )
    ]


def anchored(topic: str, question: str) -> str:
    """Context a bare description lacks: "Regarding the Orrin Medal, where did the ceremony take place?"."""
    first, _, rest = question.partition(" ")
    if first.lower() in _LOWERCASE_OPENERS:
        first = first.lower()
    return f"Regarding {topic}, {first} {rest}"


def subject_facts(clause: Clause) -> list[Fact]:
    """The subject asked for: "X and Y founded Quenlow Instruments." -> "Who founded Quenlow Instruments?"."""
    if not clause.named or not clause.rest:
        return []
    wh = "Who" if clause.kind in ("person", "people") else "What"
    question = ask_subject(clause, wh)
    return _fact(clause, question, clause.subject, _agent_probe(clause), "subject")


def _agent_probe(clause: Clause) -> str | None:
    """A differently worded subject question: "Who was the founder of X?" or "By whom was X founded?"."""
    rest = list(clause.rest)
    obj_end = object_end(rest)
    if obj_end is None:
        return None
    obj, remainder = rest[:obj_end], rest[obj_end:]
    verb = clause.verb[-1].lower()
    base = base_form(verb)
    person = clause.kind in ("person", "people")
    if person and base in AGENT_NOUNS and len(clause.verb) == 1:
        be = "was" if verb != base and not verb.endswith("s") else "is"
        if clause.kind == "people":
            be = "were" if be == "was" else "are"
            return finish(f"Who {be} the {AGENT_NOUNS[base]}s of {join(obj)}")
        return finish(f"Who {be} the {AGENT_NOUNS[base]} of {join(obj)}")
    if (
        remainder[:1] == [","]
        or remainder[:1]
        and (remainder[0][:1].isdigit() or remainder[0] in ("a", "an", "the"))
    ):
        return None  # an apposition or a second object: the passive would garble it
    if any(t.lower() in PRONOUNS for t in obj):
        return None
    if person:
        return passive(clause, obj, remainder, "By whom")
    if clause.subject_organisation:
        return finish(
            f"Which organisation {join(list(clause.adverbs))} {join(list(clause.verb))} {join(rest)}"
        )
    return None


def object_end(rest: list[str]) -> int | None:
    """End of a direct object at the start of ``rest`` (a name, or a determiner phrase), or None."""
    if not rest:
        return None
    if is_capitalised(rest[0]) and not is_month(rest[0]):
        return name_end(rest, 0)
    if rest[0].lower() in ("the", "a", "an", "its", "his", "her", "their"):
        for k in range(1, min(len(rest), 10)):
            if (
                rest[k] in _CLAUSE_BREAKS
                or rest[k].lower() in PREPOSITIONS
                and rest[k].lower() != "of"
                or (rest[k].lower() in COUNT_WORDS or rest[k][:1].isdigit())
            ):
                return k if k > 1 and rest[k - 1] != "of" else None  # not "a profit share of" 2,100 euros
        return len(rest) if len(rest) < 10 else None
    return None


def _date_slots(rest: list[str]) -> list[tuple[int, int, int]]:
    """(preposition index, date start, date end) of every time phrase in ``rest``."""
    slots = []
    k = 0
    while k < len(rest) - 1:
        if rest[k].lower() in _TIME_PREPOSITIONS:
            end = date_end(rest, k + 1)
            if end > k + 1:
                if rest[k].lower() == "from" and end < len(rest) - 1 and rest[end] == "to":
                    end = max(date_end(rest, end + 1), end)
                slots.append((k, k + 1, end))
                k = end
                continue
        k += 1
    return slots


def time_facts(clause: Clause) -> list[Fact]:
    """A date asked for: "X founded Y in May 2009." -> "In which month and year did X found Y?"."""
    rest = list(clause.rest)
    slots = _date_slots(rest)
    if len(slots) != 1:
        return []  # two dates in one clause: removing one would leave an ambiguous question
    prep, start, end = slots[0]
    answer_tokens = rest[start:end] if rest[prep].lower() != "from" else rest[prep:end]
    remainder = _drop(rest, prep, end)
    answer = join(answer_tokens)
    words = [t for t in answer_tokens if t.lower() not in ("from", "to")]
    if len(words) == 1 and words[0].isdigit():
        train_wh, probe_wh = f"{rest[prep].capitalize()} which year", "What year"
    elif len(words) == 2 and is_month(words[0]):
        train_wh, probe_wh = f"{rest[prep].capitalize()} which month and year", "When"
    elif len(words) == 3 and is_month(words[1]):
        train_wh, probe_wh = "On which date", "When"
    else:
        train_wh, probe_wh = (
            "When",
            "In what year" if any(len(w) == 4 and w.isdigit() for w in words) else "At what time",
        )
    if rest[prep].lower() in ("since", "by", "until", "before", "after"):
        train_wh, probe_wh = f"{rest[prep].capitalize()} when", f"{rest[prep].capitalize()} what date"
    born = [v.lower() for v in clause.verb][-1] == "born"
    if born:
        train_wh, probe_wh = "When", train_wh
    question = ask(clause, train_wh, remainder)
    probe = ask(clause, probe_wh, remainder)
    return _fact(clause, question, answer, probe, "time")


def place_facts(clause: Clause) -> list[Fact]:
    """A place asked for: "X is headquartered in Tarnholt." -> "Where is X headquartered?"."""
    rest = list(clause.rest)
    for k in range(len(rest) - 1):
        if rest[k].lower() not in _PLACE_PREPOSITIONS:
            continue
        end = _place_end(rest, k + 1)
        if end is None:
            continue
        answer = join(rest[k + 1 : end])
        remainder = _drop(rest, k, end)
        if remainder and remainder[0] == ",":
            remainder = remainder[1:]
        verb = [v.lower() for v in clause.verb]
        question: str | None = ask(clause, "Where", remainder)
        if verb[0] in BE_FORMS and len(verb) == 1 and not remainder:
            question = finish(f"Where {verb[0]} {clause.subject}")
        echo_rest = [*rest[:k], rest[k], "which place", *rest[end:]]
        if rest[k].lower() in ("in", "at", "on"):
            echo_rest = [*rest[:k], "where", *rest[end:]]
        probe = echo(clause, echo_rest)
        return _fact(clause, question, answer, probe, "place")
    return []


def _place_end(rest: list[str], start: int) -> int | None:
    """End of a place phrase: "Tarnholt", "the University of Pellmoor", "the town of Tarnholt"."""
    i = start
    if i < len(rest) and rest[i].lower() == "the":
        i += 1
        if i < len(rest) and not is_capitalised(rest[i]):
            # "the town of Tarnholt", "the north bank of the River Tarn"
            for k in range(i, min(len(rest), i + 4)):
                if rest[k] == "of" and k + 1 < len(rest):
                    inner = k + 2 if rest[k + 1] == "the" else k + 1
                    if inner < len(rest) and is_capitalised(rest[inner]) and not is_month(rest[inner]):
                        return name_end(rest, inner)
                if not rest[k].isalpha() or rest[k] in PREPOSITIONS:
                    break
            return None
    if i >= len(rest) or not is_capitalised(rest[i]) or is_month(rest[i]):
        return None
    end = name_end(rest, i)
    # "the Harnick mill": lowercase nouns after a name belong to it.
    while (
        end < len(rest)
        and end - i < 6
        and rest[end].isalpha()
        and rest[end].islower()
        and (rest[end] not in PREPOSITIONS and rest[end] not in _CLAUSE_BREAKS and not is_verb(rest[end]))
    ):
        end += 1
    # "at the Marlock Research Laboratory in Dunvessel": the town belongs to the answer.
    if (
        end + 1 < len(rest)
        and rest[end] == "in"
        and is_capitalised(rest[end + 1])
        and not is_month(rest[end + 1])
    ):
        end = name_end(rest, end + 1)
    return end


def _quantity_span(rest: list[str]) -> tuple[int, int, int, int] | None:
    """(start, number index, unit start, end) of the first quantity ("about 120 people")."""
    dates = _date_slots(rest)
    inside_date = {k for _, s, e in dates for k in range(s, e)}
    for k, tok in enumerate(rest):
        if not tok[:1].isdigit() or k in inside_date:
            continue
        start = k
        for prefix in QUANTITY_PREFIXES:
            words = prefix.split()
            if [t.lower() for t in rest[max(0, k - len(words)) : k]] == words:
                start = k - len(words)
                break
        unit = k + 1
        while unit < len(rest) and rest[unit].lower() in SCALE_WORDS:
            unit += 1
        end = unit
        while (
            end < len(rest)
            and end - unit < 3
            and rest[end].isalpha()
            and rest[end].lower() not in PREPOSITIONS
            and (rest[end].lower() not in _CLAUSE_BREAKS)
        ):
            end += 1
        if tok.endswith("%"):
            return start, k, unit, unit
        if end > unit:
            # a rate: "75 metres per second", "400 euros a month"
            rate = end + 1 < len(rest) and rest[end] in ("per", "a", "an") and rest[end + 1].isalpha()
            if rate and (rest[end] == "per" or rest[end + 1] in _TIME_UNITS):
                end += 2
            return start, k, unit, end
    return None


def quantity_facts(clause: Clause) -> list[Fact]:
    """A number asked for: "X had 11 employees in 2011." -> "How many employees did X have in 2011?"."""
    rest = list(clause.rest)
    span = _quantity_span(rest)
    if span is None:
        return []
    start, _, unit_start, end = span
    unit = [t.lower() if not is_capitalised(t) else t for t in rest[unit_start:end]]
    if unit and unit[-1] in MEASURE_ADJECTIVES:
        answer = join(rest[start : end - 1])
        question = ask(clause, f"How {unit[-1]}", _drop(rest, start, end))
        return _fact(
            clause, question, answer, echo(clause, [*rest[:start], "how", unit[-1], *rest[end:]]), "quantity"
        )
    answer = join(rest[start:end])
    if unit and unit[-1] in PERCENT_UNITS or rest[unit_start - 1].endswith("%"):
        of_end = end
        if end < len(rest) and rest[end] == "of":
            of_end = next(
                (k for k in range(end + 1, len(rest)) if rest[k] in PREPOSITIONS or rest[k] == ","), len(rest)
            )
        wh = join(["What percentage", *rest[end:of_end]])
        wh_rest = _drop(rest, start, of_end)
        probe_rest = [*rest[:start], "what share", *rest[end:]]
    elif any(u in MONEY_UNITS for u in unit):
        money_end = unit_start + next(i for i, u in enumerate(unit) if u in MONEY_UNITS) + 1
        answer = join(rest[start:money_end])
        wh = "How much" if clause.verb[-1].lower() in ("cost", "costs", *BE_FORMS) else "How much money"
        wh_rest = _drop(rest, start, money_end)
        probe_rest = [*rest[:start], "how much money", *rest[money_end:]]
    else:
        wh = join(["How many", *unit])
        wh_rest = _drop(rest, start, end)
        probe_rest = [*rest[:start], "how many", *unit, *rest[end:]]
    if start == 0:
        question, probe = ask(clause, wh, wh_rest), echo(clause, probe_rest)
    else:
        question, probe = echo(clause, probe_rest), None  # inverting around a preposition garbles it
    return _fact(clause, question, answer, probe, "quantity")


def quantity_subject_facts(clause: Clause) -> list[Fact]:
    """A counted subject: "About 120 people work at X." -> "How many people work at X?"."""
    if clause.kind != "quantity":
        return []
    words = clause.subject.split()
    number = next((k for k, w in enumerate(words) if w[:1].isdigit()), None)
    if number is None or number == len(words) - 1:
        return []
    unit = " ".join(words[number + 1 :])
    rest = join(list(clause.rest))
    question = finish(f"How many {unit} {join(list(clause.adverbs))} {join(list(clause.verb))} {rest}")
    probe = finish(f"What number of {unit} {join(list(clause.adverbs))} {join(list(clause.verb))} {rest}")
    return _fact(clause, question, clause.subject, probe, "quantity")


def copula_facts(clause: Clause) -> list[Fact]:
    """What the subject is: "X is the chief engineer of Y." -> "What role does X have at Y?"."""
    verb = [v.lower() for v in clause.verb]
    rest = list(clause.rest)
    while rest and rest[0].lower() in PRE_VERB_ADVERBS:
        rest = rest[1:]  # "The site was once the Kelderwick Paper Mill"
    if len(verb) != 1 or verb[0] not in BE_FORMS or len(rest) < 2 or not (clause.named or clause.anchor):
        return []
    if rest[0].lower() == "the" and clause.kind in ("person", "people"):
        for k in range(2, min(len(rest), 7)):
            if rest[k] in ("of", "at", "for") and k + 1 < len(rest):
                org_start = k + 2 if rest[k + 1] == "the" else k + 1
                if org_start < len(rest) and is_capitalised(rest[org_start]):
                    org = join(rest[k + 1 : name_end(rest, org_start)])
                    role = join(rest[1:k])
                    tense = "did" if verb[0] in ("was", "were") else ("do" if verb[0] == "are" else "does")
                    prep = "at" if rest[k] == "of" else rest[k]
                    question = finish(f"What role {tense} {clause.subject} have {prep} {org}")
                    probe = finish(f"What {verb[0]} {clause.subject}'s position {prep} {org}")
                    return _fact(clause, question, role, probe, "role")
            if not rest[k].isalpha():
                break
    if rest[0].lower() in ("a", "an", "the"):
        end = next((k for k, t in enumerate(rest) if t in _COMPLEMENT_BREAKS), len(rest))
        if 1 < end <= 9:
            answer = join(rest[:end])
            wh = "Who" if clause.kind == "person" else "What"
            question = finish(f"{wh} {verb[0]} {clause.subject}")
            probe = (
                finish(f"How would you describe {clause.subject} in a few words")
                if clause.kind != "person"
                else (finish(f"What {'did' if verb[0] == 'was' else 'does'} {clause.subject} do"))
            )
            return _fact(clause, question, answer, probe, "kind")
    return []


def field_facts(fields: list[FieldLine], discourse: Discourse) -> list[Fact]:
    """List fields: "- Length: 48 cm" in a document about X -> "What is the length of X?"; a field naming a
    person ("- Chief executive: Tamsin Orlevy") is asked both ways, "regarding" the document's topic."""
    topic = discourse.topic
    if not topic:
        return []
    entity = discourse.entities.get(topic.removeprefix("the "))
    facts = []
    for field in fields:
        label = field.label[0].lower() + field.label[1:]
        evidence = (
            Evidence("", Sentence(f"{field.label}: {field.value}", field.start, field.end, field.chunk, "")),
        )
        tokens = field.value.split()
        person = (
            2 <= len(tokens) <= 3
            and all(t.isalpha() and is_capitalised(t) for t in tokens)
            and not any(t in NON_PERSON_HEADS for t in tokens)
        )
        if person:
            question = anchored(topic, finish(f"Who is the {label}"))
            probe = anchored(topic, finish(f"Who holds the position of {label}"))
            facts.append(
                Fact(question, field.value, probe, "field", field.value, evidence, subject_kind="person")
            )
            role_question = anchored(topic, finish(f"What position does {field.value} hold"))
            facts.append(
                Fact(role_question, label, None, "role", field.value, evidence, subject_kind="person")
            )
        elif entity is not None and entity.kind == "thing":
            question = finish(f"What is the {label} of {entity.display}")
            probe = finish(f"What {label} does {entity.display} have")
            facts.append(
                Fact(question, field.value, probe, "field", entity.display, evidence, subject_kind="thing")
            )
        else:
            question = anchored(topic, finish(f"what is the {label}"))
            probe = anchored(topic, finish(f"what figure is given for {label}"))
            facts.append(Fact(question, field.value, probe, "field", topic, evidence))
    return facts


def _drop(tokens: list[str], start: int, end: int) -> list[str]:
    out = tokens[:start] + tokens[end:]
    while out and out[-1] == ",":
        out = out[:-1]
    return out
