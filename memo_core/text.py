"""The one text normaliser: the form in which questions and answers are compared, hashed, deduplicated and
scored."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^\w\s]")
_SPACES = re.compile(r"\s+")


def normalise_text(text: str) -> str:
    """Lowercase, punctuation stripped, spaces folded: the form questions are compared and hashed in."""
    text = unicodedata.normalize("NFKC", text).lower()
    return _SPACES.sub(" ", _NON_WORD.sub(" ", text)).strip()


_ARTICLES = frozenset({"a", "an", "the"})


def answer_form(text: str) -> str:
    """``normalise_text`` without articles: the form answers are scored in (exact match and token F1), so
    "the Osterby plant" and "Osterby plant" are the same answer."""
    return " ".join(word for word in normalise_text(text).split() if word not in _ARTICLES)
