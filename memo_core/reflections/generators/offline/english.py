"""Small English morphology: tokens, verb forms and their base forms, joining tokens back into text."""

from __future__ import annotations

import re

from memo_core.reflections.generators.offline.lexicon import (
    ALL_BASE_VERBS,
    AUXILIARIES,
    FUNCTION_WORDS,
    IRREGULAR_BASES,
    IRREGULAR_PAST,
    MONTHS,
)

_TOKEN = re.compile(r"\d[\d,]*(?:\.\d+)?%?|\w+(?:[-'\u2019]\w+)*(?:'s|\u2019s)?|[^\w\s]")
_NO_SPACE_BEFORE = frozenset(",.;:!?)]%'\u2019")
_NO_SPACE_AFTER = frozenset("([")
_VOWELS = "aeiou"


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text)


def join(tokens: list[str]) -> str:
    """Tokens back into text, with English spacing around punctuation."""
    out = ""
    for tok in tokens:
        if out and tok not in _NO_SPACE_BEFORE and out[-1] not in _NO_SPACE_AFTER:
            out += " "
        out += tok
    return out


def is_capitalised(token: str) -> bool:
    return token[:1].isupper() and token.lower() not in ("i",)


def is_month(token: str) -> bool:
    return token in MONTHS


def base_form(word: str) -> str | None:
    """The base form of an inflected verb (``founded`` -> ``found``), or None if it is not a known form."""
    w = word.lower()
    if w in IRREGULAR_PAST:
        return IRREGULAR_PAST[w]
    if w in ALL_BASE_VERBS:
        return w
    for candidate in _candidates(w):
        if candidate in ALL_BASE_VERBS:
            return candidate
    return None


def _candidates(w: str) -> list[str]:
    out: list[str] = []
    if w.endswith("ied") or w.endswith("ies"):
        out.append(w[:-3] + "y")
    if w.endswith("ed"):
        stem = w[:-2]
        out += [stem, w[:-1]]
        if len(stem) > 2 and stem[-1] == stem[-2]:
            out.append(stem[:-1])
    if w.endswith("es"):
        out.append(w[:-2])
    if w.endswith("s") and not w.endswith("ss"):
        out.append(w[:-1])
    if w.endswith("ing"):
        stem = w[:-3]
        out += [stem, stem + "e"]
        if len(stem) > 2 and stem[-1] == stem[-2]:
            out.append(stem[:-1])
    return out


def guess_base_of_past(word: str) -> str:
    """Base form of a past-tense verb, known or not (regular ``-ed`` rules for unknown ones)."""
    known = base_form(word)
    if known:
        return known
    w = word.lower()
    if w.endswith("ied"):
        return w[:-3] + "y"
    if w.endswith("ed"):
        stem = w[:-2]
        if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
            return stem[:-1]
        if stem.endswith(
            ("v", "c", "g", "z", "u", "at", "ir", "ur", "bl", "pl", "tl", "dl", "gl", "kl", "ib")
        ):
            return stem + "e"
        if len(stem) > 1 and stem[-1] == "s" and stem[-2] in _VOWELS:
            return stem + "e"
        if len(stem) == 3 and stem[0] not in _VOWELS and stem[1] in "aio" and stem[2] not in _VOWELS + "wxy":
            return stem + "e"  # "filed" -> "file", "timed" -> "time", "voted" -> "vote"
        return stem
    return w


def is_past(word: str) -> bool:
    w = word.lower()
    if w.endswith("ed") and base_form(w) is not None:
        return True
    # "cost", "put", "set": a past form spelled like its base counts as past after a singular subject.
    return w in IRREGULAR_PAST and (w not in IRREGULAR_BASES or IRREGULAR_PAST[w] == w)


def is_third_person(word: str) -> bool:
    w = word.lower()
    return w.endswith("s") and not w.endswith("ss") and base_form(w) not in (None, w)


def is_verb(word: str) -> bool:
    """Whether ``word`` reads as a finite verb (an auxiliary, a past form or a third-person form)."""
    w = word.lower()
    if w in AUXILIARIES:
        return True
    if w in FUNCTION_WORDS or not w.isalpha() and "-" not in w:
        return False
    return is_past(w) or is_third_person(w)


def past_participle_like(word: str) -> bool:
    """``born``, ``founded``, ``made``: the participle of a passive or perfect verb group."""
    w = word.lower()
    return (
        w.endswith("ed") or w.endswith("en") or w in IRREGULAR_PAST or w in {"born", "made", "built", "sold"}
    )
