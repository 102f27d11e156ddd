"""A user's question read as a chain of hops, with spaCy's tags and lemmas underneath.

A hop is a phrase that names an entity through another one: "the mother of X", "X's husband", "the firm
that employs X", "the company X works for". The innermost hop (one whose entity is a name) is asked of the
memory first; its answer replaces the phrase and the question is read again, so nested phrases of any depth
resolve from the inside out. A question left without hops is asked as written and in the wordings the
generator trains (``wordings``), so that the memory hears the words it learnt.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lemminflect import getAllLemmas, getInflection

from memo_core.reflections.generators.offline import wordings
from memo_core.reflections.generators.offline.pipeline import load_pipeline

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Token

_PARTICLES = frozenset({"of", "de", "van", "von", "da", "del", "der", "du", "la", "le", "&"})
_RELATIVES = frozenset({"that", "which", "who", "whom"})
_WH = frozenset({"who", "whom", "what", "which", "where", "when", "how", "whose"})
_NOUN_TAGS = frozenset({"NN", "NNS"})
_MODIFIER_TAGS = frozenset({"JJ", "JJS", "JJR", "NN", "NNS", "VBN", "VBG", "CD"})
_VERB_TAGS = frozenset({"VBZ", "VBD", "VBP"})
_DO = {"VBZ": "does", "VBD": "did", "VBP": "do"}


@dataclass(frozen=True)
class Unit:
    """A token, or a whole name: what the hop patterns read."""

    text: str
    lower: str
    lemma: str
    tag: str
    start: int  # character offsets in the question
    end: int
    name: bool = False


@dataclass(frozen=True)
class Hop:
    """A phrase of the question that names an entity, and the sub-questions that ask the memory for it."""

    phrase: str
    start: int
    end: int
    asks: tuple[str, ...]  # canonical wordings first, the user's own words last
    plural: bool  # "the sisters of X": every value is followed
    whole: bool  # the question only asks who or what the phrase names ("Who is the mother of X?")


def units(doc: Doc, names: Sequence[tuple[int, int]] = ()) -> list[Unit]:
    """The question's tokens with each name merged into one unit: proper nouns, capitalised words after the
    first and the spans of entities already put in by earlier hops. Hyphenated words ("Wren-Harcourt",
    "mother-in-law") are one unit."""
    out: list[Unit] = []
    tokens = list(doc)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        inserted = next(((s, e) for s, e in names if s == token.idx), None)
        if inserted is not None:
            j = i
            while j < len(tokens) and tokens[j].idx < inserted[1]:
                j += 1
            out.append(_name_unit(doc, tokens[i:j]))
            i = j
            continue
        if _starts_name(token):
            j = _hyphenated(tokens, i)
            while j < len(tokens) and (
                _in_name(tokens[j])
                or (tokens[j].lower_ in _PARTICLES and j + 1 < len(tokens) and _in_name(tokens[j + 1]))
            ):
                j = _hyphenated(tokens, j)
            out.append(_name_unit(doc, tokens[i:j]))
            i = j
            continue
        j = _hyphenated(tokens, i)
        # the head of a compound: "mothers-in-law" inflects its first part, "well-known" its last
        head = token if any(t.tag_ == "IN" for t in tokens[i + 1 : j]) else tokens[j - 1]
        text = doc.text[token.idx : tokens[j - 1].idx + len(tokens[j - 1])]
        lemma = "".join(t.lemma_.lower() if t is head else t.lower_ + t.whitespace_ for t in tokens[i:j])
        out.append(Unit(text, text.lower(), lemma.strip(), head.tag_, token.idx, token.idx + len(text)))
        i = j
    return out


def _hyphenated(tokens: Sequence[Token], i: int) -> int:
    """The end of the word starting at token i, its hyphenated parts included."""
    j = i + 1
    while j + 1 < len(tokens) and tokens[j].text == "-" and not tokens[j - 1].whitespace_:
        if tokens[j].whitespace_ or not tokens[j + 1].is_alpha:
            break
        j += 2
    return j


def _starts_name(token: Token) -> bool:
    if token.lower_ in _WH or token.tag_ == "POS":
        return False
    capital = token.text[:1].isupper()
    return (token.tag_ in ("NNP", "NNPS") and capital) or (token.i > 0 and capital and token.is_alpha)


def _in_name(token: Token) -> bool:
    return token.tag_ != "POS" and token.text[:1].isupper() and token.lower_ not in _WH


def _name_unit(doc: Doc, tokens: Sequence[Token]) -> Unit:
    first, last = tokens[0], tokens[-1]
    start, end = first.idx, last.idx + len(last)
    text = doc.text[start:end]
    return Unit(text, text.lower(), text.lower(), "NAME", start, end, name=True)


_IN_LAW = re.compile(rf"\b(the |'s )({'|'.join(wordings.IN_LAWS)})(s?)-in-law\b( of )?", re.IGNORECASE)


def without_in_laws(question: str) -> str:
    """ "X's mother-in-law" -> "X's spouse's mother", "the sons-in-law of X" -> "the husbands of the daughter
    of X": relations the memory was told as two."""

    def plain(match: re.Match[str]) -> str:
        through, relation = wordings.IN_LAWS[match[2].lower()]
        if match[1] == "'s ":
            return f"'s {through}'s {relation}{match[3]}{match[4] or ''}"
        if match[4]:
            return f"{match[1]}{relation}{match[3]} of the {through} of "
        return match[0]

    return _IN_LAW.sub(plain, question)


class QuestionReader:
    """Reads questions with the generator's spaCy pipeline."""

    def __init__(self, spacy_model: str) -> None:
        self.nlp: Language = load_pipeline(spacy_model)

    def read(self, question: str, names: Sequence[tuple[int, int]] = ()) -> list[Unit]:
        return units(self.nlp(question), names)

    def innermost_hop(self, question: str, names: Sequence[tuple[int, int]] = ()) -> Hop | None:
        """The first hop whose entity is a name, or None when the question names its subject directly."""
        us = self.read(question, names)
        for finder in (_possessive, _of_phrase, _subject_relative, _object_relative):
            for i in range(len(us)):
                found = finder(us, i)
                if found is not None:
                    start, end, asks, plural = found
                    return _hop(question, us, start, end, asks, plural)
        return None

    def wordings(self, question: str, names: Sequence[tuple[int, int]] = ()) -> list[str]:
        """The question in the wordings the generator trains, then as the user wrote it."""
        return _dedupe([*_canonical(self.read(question, names)), question])


def _hop(question: str, us: list[Unit], start: int, end: int, asks: list[str], plural: bool) -> Hop:
    phrase = question[us[start].start : us[end - 1].end]
    before, after = us[:start], [u for u in us[end:] if u.tag != "."]
    # "Who is the mother of X?", "Where is X's home port?": the phrase's entity is the answer
    whole = not after and len(before) == 2 and before[0].lower in _WH and before[1].lemma == "be"
    if whole:
        asks = [*asks, question]
    return Hop(phrase, us[start].start, us[end - 1].end, tuple(_dedupe(asks)), plural, whole)


# Hop patterns: each returns (first unit, end unit, sub-questions, plural) for a match at unit i ------------


def _relation_noun(us: list[Unit], i: int) -> int:
    """End of a relation noun phrase starting at i ("chief executive", "home port"), or i if none."""
    j = i
    while j < len(us) and not us[j].name and us[j].tag in _MODIFIER_TAGS:
        j += 1
    while j > i and us[j - 1].tag not in _NOUN_TAGS:
        j -= 1
    return j


def _possessive(us: list[Unit], i: int) -> tuple[int, int, list[str], bool] | None:
    """ "X's husband"."""
    if not (us[i].name and i + 2 < len(us) and us[i + 1].tag == "POS"):
        return None
    end = _relation_noun(us, i + 2)
    if end == i + 2:
        return None
    noun = " ".join(u.text for u in us[i + 2 : end])
    return i, end, wordings.relation_asks(us[i].text, noun), us[end - 1].tag == "NNS"


def _of_phrase(us: list[Unit], i: int) -> tuple[int, int, list[str], bool] | None:
    """ "the mother of X", "the librarian at the Eastgate Branch" (not followed by "'s": then the
    possessive is the inner hop)."""
    if us[i].lower != "the":
        return None
    end = _relation_noun(us, i + 1)
    if end == i + 1 or end + 1 >= len(us) or us[end].lower not in ("of", "at", "for"):
        return None
    owner = end + 1 + (us[end + 1].lower == "the" and end + 2 < len(us))
    if not us[owner].name or (owner + 1 < len(us) and us[owner + 1].tag == "POS"):
        return None
    noun = " ".join(u.text for u in us[i + 1 : end])
    asks = wordings.relation_asks(us[owner].text, noun)
    if owner > end + 1:
        asks += wordings.relation_asks(f"the {us[owner].text}", noun)
    return i, owner + 1, asks, us[end - 1].tag == "NNS"


def _subject_relative(us: list[Unit], i: int) -> tuple[int, int, list[str], bool] | None:
    """ "the firm that employs X", "the person who founded X"."""
    if us[i].lower != "the":
        return None
    end = _relation_noun(us, i + 1)
    if end == i + 1 or end + 2 >= len(us) or us[end].lower not in _RELATIVES:
        return None
    verb = end + 1
    if us[verb].tag not in _VERB_TAGS and us[verb].tag != "MD":
        return None
    j = verb + 1
    while j < len(us) and not us[j].name and us[j].tag in ("RP", "IN", "DT", "RB", "VBN", "VB", "TO"):
        j += 1
    if j >= len(us) or not us[j].name:
        return None
    head = us[end - 1].lemma
    clause = " ".join(u.text for u in us[verb : j + 1])
    asks = [f"Who {clause}", f"What {clause}", f"Which {head} {clause}"]
    asks += [q for alt in wordings.verb_synonyms(us[verb].lemma) for q in _resaid(asks[:2], us[verb], alt)]
    if us[verb].lemma == "employ":
        asks += wordings.relation_asks(us[j].text, "employer")
    return i, j + 1, [wordings.finish(q) for q in asks], us[end - 1].tag == "NNS"


def _object_relative(us: list[Unit], i: int) -> tuple[int, int, list[str], bool] | None:
    """ "the company X works for", "the seed bank that X now runs"."""
    if us[i].lower != "the":
        return None
    end = _relation_noun(us, i + 1)
    if end == i + 1:
        return None
    j = end + (1 if end < len(us) and us[end].lower in _RELATIVES else 0)
    if j >= len(us) or not us[j].name:
        return None
    subject, k = us[j], j + 1
    while k < len(us) and us[k].tag == "RB":
        k += 1
    if k >= len(us) or us[k].tag not in _VERB_TAGS:
        return None
    verb, stop = us[k], k + 1
    passive = verb.lemma in ("be", "have") and stop < len(us) and us[stop].tag == "VBN"
    stop += passive  # "the bridge that Hewitt Brothers were fined over"
    stranded = ""
    if stop < len(us) and us[stop].tag in ("IN", "RP") and (stop + 1 >= len(us) or not us[stop + 1].name):
        stranded, stop = us[stop].lower, stop + 1
    do, base, head = _DO[verb.tag], verb.lemma, us[end - 1].lemma
    if passive:
        do, base = verb.text, us[k + 1].text
    said = f"{do} {subject.text} {base} {stranded}".strip()
    asks = [f"Who {said}", f"What {said}", f"Which {head} {said}"]
    if stranded in ("for", "at", "in"):
        asks += [
            f"Where {do} {subject.text} {base}",
            f"{stranded.capitalize()} which place {do} {subject.text} {base}",
        ]
    if base == "work" and stranded in ("for", "at"):
        asks += wordings.relation_asks(subject.text, "employer")
    return i, stop, [wordings.finish(q) for q in asks], us[end - 1].tag == "NNS"


def _resaid(asks: list[str], verb: Unit, lemma: str, tag: str = "") -> list[str]:
    """The sub-questions with the verb replaced by a synonym in the same form (``tag``, the verb's own by
    default)."""
    forms = getInflection(lemma.split()[0], tag or verb.tag)
    said = " ".join([forms[0] if forms else lemma.split()[0], *lemma.split()[1:]])
    return [re.sub(rf"\b{re.escape(verb.text)}\b( up| out)?", said, q, count=1) for q in asks]


# Canonical wordings of a question without hops ------------------------------------------------------------

_PLACE_NOUNS = frozenset(
    {"city", "town", "village", "country", "place", "county", "region", "state", "island", "port"}
)
_KINDS = frozenset({"kind", "type", "sort"})
_ORG_NOUNS = frozenset({"company", "firm", "business", "organisation", "organization", "employer"})


def _canonical(us: list[Unit]) -> list[str]:
    """The wordings the generator trains for this question: "In which city was X born?" is asked "Where
    was X born?" and "In which place was X born?"; "Which company employs X?" also "Who employs X?"."""
    if len(us) < 3:
        return []
    kinds = (i for i in (1, 2) if i + 2 < len(us) and us[i].lemma in _KINDS and us[i + 1].lower == "of")
    kind = next(kinds, 0)
    if kind and us[kind - 1].lower in ("which", "what"):  # "What kind of boat is X?" asks what boat X is
        return _canonical([*us[:kind], *us[kind + 2 :]])
    out: list[str] = []
    words = [u.text for u in us if u.tag != "."]
    lead = 1 if us[0].tag == "IN" else 0
    prep = us[0].lower if lead else ""
    if lead < len(us) - 2 and us[lead].lower in ("which", "what") and us[lead + 1].tag in _NOUN_TAGS:
        noun, rest = us[lead + 1].lemma, " ".join(words[lead + 2 :])
        if noun in _PLACE_NOUNS:
            stranded = prep if prep in ("from", "to") else ""
            out += [f"Where {rest} {stranded}", f"{(prep or 'in').capitalize()} which place {rest}"]
            out += [f"Which place {rest} {prep}"]
        elif noun == "year":
            out += [f"When {rest}", f"In which year {rest}", f"In what year {rest}"]
        elif noun in ("date", "day"):
            out += [f"When {rest}", f"On what date {rest}", f"On which date {rest}"]
        elif noun in ("person", "man", "woman"):
            out += [f"Who {rest}", f"{prep.capitalize()} whom {rest}" if prep else f"Who {rest}"]
        elif noun in _ORG_NOUNS:
            out += [f"Who {rest} {prep}", f"What {rest} {prep}", f"Which place {rest} {prep}"]
            out += [f"{(prep or 'for').capitalize()} which place {rest}"] if prep else []
        elif us[-2].lemma in ("have", "be"):  # "Which sisters does X have?": "What does X have?" asks nothing
            out += [f"Which {noun} {rest} {prep}"]
        else:
            out += [f"What {rest} {prep}", f"Which {noun} {rest} {prep}"]
    out += _restated(us)
    for at, u in enumerate(us):
        if u.tag in _VERB_TAGS or u.tag in ("VB", "VBN"):
            supported = any(v.lemma == "do" for v in us[:at])  # "What did X set up?": "found", not "founded"
            for alt in wordings.verb_synonyms(u.lemma):
                out += _resaid([" ".join(words), *out], u, alt, "VB" if supported else "")
    out += _relational(us, words)
    return [wordings.finish(q) for q in out]


def _relational(us: list[Unit], words: list[str]) -> list[str]:
    """A question about one name that asks a relation in other words: "Which sisters does X have?", "What
    industry is X in?", "What does X do for a living?", "Which company employs X?", "Where was X born?"."""
    names = [u for u in us if u.name]
    if len(names) != 1:
        return []
    name, lemmas = names[0], {u.lemma for u in us}
    lowered = " ".join(w.lower() for w in words)
    asked: list[str] = []
    at = us.index(name)
    if (
        at > 0 and us[at - 1].lower == "the"
    ):  # "Who chairs the Tallisk Society?": asked with and without "the"
        the = Unit(
            f"the {name.text}", f"the {name.lower}", name.lemma, "NAME", us[at - 1].start, name.end, True
        )
        asked += _relational([*us[: at - 1], the, *us[at + 1 :]], words)
    if re.search(rf"does {re.escape(name.lower)} do( for a living| for work)?$", lowered):
        asked += wordings.relation_asks(name.text, "occupation")
    if "employ" in lemmas and us.index(name) > 0:
        asked += wordings.relation_asks(name.text, "employer")
    born = next((i for i, u in enumerate(us) if u.lemma in ("bear", "born")), -1)
    if born > us.index(name):  # "Where was X born?", not "Who was born in X?"
        wh = us[0].lower if us[0].tag != "IN" else us[1].lower
        noun = us[2].lemma if us[0].tag == "IN" and len(us) > 2 else us[1].lemma
        if wh == "where" or noun in _PLACE_NOUNS:
            asked += wordings.relation_asks(name.text, "birthplace")
        else:
            asked += [*wordings.born(name.text, "1900"), *wordings.born(name.text, "1 May 1900")]
    if us[0].lower == "how" and us[1].tag == "JJ" and us[2].lemma == "be":  # "How tall is X?"
        asked += wordings.measure(name.text, us[1].lower, us[2].lower)
        if us[1].lower in wordings.DIMENSIONS:
            asked += wordings.relation_asks(name.text, wordings.DIMENSIONS[us[1].lower])
    if us[0].lower == "who" and us[1].tag in ("VBZ", "VBD") and us.index(name) in (2, 3):
        # "Who chairs X?" asks X's chair; "Who designed X?" X's designer; "Who set up X?" X's founder
        phrasal = us.index(name) == 3 and us[2].tag == "RP"
        verbs = [*([] if phrasal else [us[1].lemma]), *wordings.verb_synonyms(us[1].lemma)]
        nouns = [noun for verb in verbs for noun in _agent_nouns(verb)]
        asked += [q for noun in dict.fromkeys(nouns) for q in wordings.relation_asks(name.text, noun)]
    lead = 1 if us[0].tag == "IN" else 0
    if lead + 1 < len(us) and us[lead].lower in ("which", "what") and us[lead + 1].tag in _NOUN_TAGS:
        noun = us[lead + 1].text
        if us[lead + 1].lemma not in _PLACE_NOUNS | {"year", "date", "day", "person"}:
            asked += wordings.relation_asks(name.text, noun)
    return asked


def _agent_nouns(verb: str) -> list[str]:
    """Who does what a verb says, where English has the noun: a "designer" designs, a "conductor" conducts,
    and where it has no such noun, the verb's own: the "chair" chairs."""
    stem = verb[:-1] if verb.endswith("e") else verb
    agents = [noun for noun in (f"{stem}er", f"{stem}or") if "NOUN" in getAllLemmas(noun)]
    return agents or ([verb] if "NOUN" in getAllLemmas(verb) else [])


def _restated(us: list[Unit]) -> list[str]:
    """ "Who does X work for?" with the other question words the generator uses for a stranded
    preposition: "Where does X work?", "For which place does X work?", "For what does X work?"."""
    if len(us) < 5 or us[-1].tag != ".":
        return []
    wh, aux, subject, verb, prep = us[0], us[1], us[2], us[3], us[-2]
    if wh.lower not in ("who", "what", "whom") or aux.lemma not in ("do", "be", "have") or not subject.name:
        return []
    if prep.tag not in ("IN", "RP") or verb.tag not in ("VB", "VBN", "VBG"):
        return []
    middle = " ".join(u.text for u in us[3:-2])
    said = f"{aux.text} {subject.text} {middle}"
    p = prep.lower
    asked = [f"{p.capitalize()} what {said}", f"{p.capitalize()} whom {said}", f"Who {said} {p}"]
    asked += [f"What {said} {p}", f"Which place {said} {p}", f"{p.capitalize()} which place {said}"]
    if p in ("for", "at", "in"):
        asked.append(f"Where {said}")
    return asked


def _dedupe(questions: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(q for q in questions if q))
