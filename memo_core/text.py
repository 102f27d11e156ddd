"""How text is compared and names are found: ``normalise_text`` for questions and answers compared, hashed
and deduplicated, ``answer_form`` for answers scored, ``NAME`` for the proper names a text mentions."""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Sequence

# A proper name: capitalised words in a row, joined by a space or hyphen or by a lower-case particle
# ("Quenlow Instruments", "Anna Brenn-Oduya", "Bank of Tarnholt", "Luca de Vries").
NAME_PATTERN = r"\b[A-Z][\w'\u2019-]*(?:[ -](?:(?:of|de|van|von|da|del|der|du|la|le) )?[A-Z][\w'\u2019-]*)*"
NAME = re.compile(NAME_PATTERN)

_NON_WORD = re.compile(r"[^\w\s]")
_SPACES = re.compile(r"\s+")


def normalise_text(text: str) -> str:
    """Lowercase, punctuation stripped, spaces folded: the form questions are compared and hashed in."""
    text = unicodedata.normalize("NFKC", text).lower()
    return _SPACES.sub(" ", _NON_WORD.sub(" ", text)).strip()


_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans("", "", string.punctuation)


def answer_form(text: str) -> str:
    """The form answers are scored in (exact match and token F1): lowercase, punctuation deleted rather than
    spaced (so "1,200" is "1200" and "O'Neil" "oneil"), articles dropped, as SQuAD scores answers."""
    text = text.lower().translate(_PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def and_list(items: Sequence[str]) -> str:
    """ "A, B and C": how a set-valued answer is written."""
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else items[0]


_ITEM_SEPARATORS = re.compile(r",\s+(?:and\s+)?|\s+and\s+|;\s*")


def answer_items(answer: str) -> list[str]:
    """A set-valued answer's items: "A, B and C" -> ["A", "B", "C"]."""
    return [p for p in (part.strip() for part in _ITEM_SEPARATORS.split(answer)) if p]
