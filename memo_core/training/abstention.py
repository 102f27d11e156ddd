"""Questions about people, places and things the corpus never mentions, answered "I don't know".

A memory trained only on what the corpus states answers every question with something it learnt, and so
invents. Mixing in questions shaped like the real ones but about invented names, with the answer
``ABSTAIN_ANSWER``, teaches it to abstain instead; an evaluation suite built the same way (another seed, so
other invented names) measures how often it does.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence

from memo_core.text import NAME

ABSTAIN_ANSWER = "I don't know."
_WORD = re.compile(r"[A-Za-z]+")
_ONSETS = ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "dr", "kr", "tr", "st")
_VOWELS = ("a", "e", "i", "o", "u", "ae", "ei", "ou")
_CODAS = ("", "", "", "n", "r", "l", "s", "k", "th", "m")


def invented_words(rng: random.Random, count: int, syllables: Sequence[int], taken: set[str]) -> list[str]:
    """``count`` new capitalised words of syllables like "Varo" or "Tesslim", none already in ``taken``
    (lower case), each added to it."""
    words: list[str] = []
    while len(words) < count:
        parts = [
            rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS)
            for _ in range(rng.choice(syllables))
        ]
        word = "".join(parts).capitalize()
        if word.lower() not in taken:
            taken.add(word.lower())
            words.append(word)
    return words


def vocabulary(texts: Iterable[str]) -> set[str]:
    """Every word of ``texts``, lower case: invented names must avoid all of them."""
    return {word.lower() for text in texts for word in _WORD.findall(text)}


def names_in(question: str) -> list[str]:
    """The names a question mentions, leaving out its capitalised first word ("Who", "Regarding")."""
    first = _WORD.match(question)
    skip = first.end() if first else 0
    return NAME.findall(question[skip:])


def abstention_questions(questions: Sequence[str], count: int, taken: set[str], seed: int) -> list[str]:
    """``count`` questions made from ``questions`` by putting invented names in place of every name they
    mention; questions without a name are passed over. ``taken`` (the corpus's words) grows with the
    invented words, so two calls with the same set never invent the same name."""
    rng = random.Random(seed)
    with_names = [q for q in questions if names_in(q)]
    made: list[str] = []
    for question in rng.sample(with_names, min(count, len(with_names))):
        for name in sorted(set(names_in(question)), key=len, reverse=True):
            words = len(re.split(r"[ -]", name))
            invented = " ".join(invented_words(rng, words, (2, 3), taken))
            question = re.sub(rf"\b{re.escape(name)}\b", invented, question)
        made.append(question)
    return made
