"""Question forms built from a parsed clause: inverted ("When did X found Y?"), subject ("Who founded Y?")
and echo ("X founded Y in which year?"), the last being the safe fallback when inversion would garble."""

from __future__ import annotations

from memo_core.reflections.generators.offline.english import (
    base_form,
    guess_base_of_past,
    is_past,
    is_third_person,
    join,
)
from memo_core.reflections.generators.offline.lexicon import (
    BE_FORMS,
    DO_FORMS,
    HAVE_FORMS,
    MODALS,
    PARTICIPLES,
)
from memo_core.reflections.generators.offline.parse import Clause


def finish(text: str) -> str:
    """Capitalised first letter, one question mark, no stray spaces."""
    text = " ".join(text.replace(" ,", ",").split()).rstrip(" ,;:")
    return text[:1].upper() + text[1:] + "?"


def _tokens(words: list[str] | tuple[str, ...]) -> str:
    return join(list(words))


def inverted_parts(clause: Clause) -> tuple[str, list[str]] | None:
    """(auxiliary, verb tail) for a question: ("did", ["found"]), ("was", ["born"]), ("is", [])."""
    verb = [v.lower() for v in clause.verb]
    first = verb[0]
    if len(verb) > 1 and (first in BE_FORMS or first in HAVE_FORMS or first in MODALS or first in DO_FORMS):
        return first, list(clause.verb[1:])
    if first in BE_FORMS or first in MODALS:
        return first, []
    if first in HAVE_FORMS:
        return {"has": "does", "have": "do", "had": "did"}[first], ["have"]
    if is_past(first) or first.endswith("ed"):
        return "did", [guess_base_of_past(first)]
    if is_third_person(first):
        base = base_form(first)
        return ("does", [base]) if base else None
    if base_form(first) == first:
        return "do", [first]
    return None


def ask(clause: Clause, wh: str, rest: list[str]) -> str | None:
    """``wh`` fronted with subject-auxiliary inversion: "In which year did X found Y?"."""
    parts = inverted_parts(clause)
    if parts is None:
        return None
    aux, tail = parts
    return finish(f"{wh} {aux} {clause.subject} {_tokens(clause.adverbs)} {_tokens(tail)} {_tokens(rest)}")


def ask_subject(clause: Clause, wh: str) -> str:
    """The subject replaced by ``wh``: "Who founded Quenlow Instruments in May 2009?"."""
    return finish(f"{wh} {_tokens(clause.adverbs)} {_tokens(clause.verb)} {_tokens(clause.rest)}")


def echo(clause: Clause, rest: list[str]) -> str:
    """The statement with its asked-for part already replaced by a wh-phrase inside ``rest``."""
    return finish(f"{clause.subject} {_tokens(clause.adverbs)} {_tokens(clause.verb)} {_tokens(rest)}")


def passive(clause: Clause, obj: list[str], remainder: list[str], by: str) -> str | None:
    """An agent question in the passive voice: "By whom was the Wrenfield Anemometer designed?"."""
    verb = [v.lower() for v in clause.verb]
    if len(verb) != 1 or verb[0] in BE_FORMS or verb[0] in HAVE_FORMS:
        return None
    base = base_form(verb[0])
    if base is None:
        return None
    participle = PARTICIPLES.get(base) or (verb[0] if verb[0].endswith("ed") else None)
    if participle is None:
        return None
    be = "was" if is_past(verb[0]) else "is"
    return finish(f"{by} {be} {_tokens(obj)} {participle} {_tokens(remainder)}")
