"""How text is compared: ``normalise_text`` for questions and answers compared, hashed and deduplicated,
``answer_form`` for answers scored."""

from __future__ import annotations

import re
import string
import unicodedata

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
