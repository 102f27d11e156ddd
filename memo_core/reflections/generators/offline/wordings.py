"""The canonical wordings: how each kind of fact is asked, in both directions and several ways.

Each function returns questions, the canonical wording first; the generator trains on the first few and
keeps the next one as a held-out probe. The module is the one place these wordings live, so that an
executive can ask the memory in the words it was trained on.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache

from lemminflect import getInflection, getLemma

from memo_core.reflections.generators.offline.statements import (
    AMOUNTS,
    PERSON,
    PLACES,
    TIMES,
    Argument,
    Mention,
    Statement,
    Verb,
)

_YEAR = re.compile(r"^(?:in )?(1[0-9]\d\d|20\d\d)$")
NUMBER_WORDS = (
    "two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen"
    "|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|dozen"
)
_COUNTED = re.compile(
    r"^(?:(?:about|some|nearly|almost|over|more than|fewer than|around) )?"
    rf"(?:[\d][\d,.]*|(?:{NUMBER_WORDS})) (\D.*)$",
    re.IGNORECASE,
)
_MONTHS = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December)\b"
)
_AGE_OF = re.compile(r"^(?:the )?age of \S+$", re.IGNORECASE)
_WEEKDAYS = re.compile(r"\b(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b")
_TYPE_NOUNS = {PERSON: "person", "ORG": "organisation", "GPE": "place", "LOC": "place", "FAC": "place"}
# Relations asked under another name, in general English: "X is the son of A and B" says A and B are
# X's parents; liking or enjoying an activity makes it a pastime.
CHILD_NOUNS = frozenset({"son", "daughter", "child"})
_SCALES = frozenset({"hundred", "thousand", "million", "billion", "trillion"})
_PERIOD_ENDS = frozenset({"from", "to", "until", "till"})
_TIME_PREPOSITIONS = frozenset({"until", "since", "by", "before", "after", "till", "from"})
# A length of time rather than a point in it: "six years", "18 months", "a decade", "several weeks"
_DURATION = re.compile(
    r"^(?:(?:up to|about|nearly|almost|more than|over|at least|some) )?"
    rf"(?:(?:a|an|one|several|many|a few|\d+|{NUMBER_WORDS})"
    r"(?:\s+(?:more|full|whole))?\s+)?(?:of\s+)?(hours?|days?|weeks?|months?|years?|decades?|centuries|century)$",
    re.IGNORECASE,
)


def finish(text: str) -> str:
    """Capitalised first letter, one question mark, no stray spaces."""
    text = " ".join(text.replace(" ,", ",").split()).rstrip(" ,;:.?")
    return text[:1].upper() + text[1:] + "?"


def participle(lemma: str) -> str:
    words = lemma.split()
    forms = getInflection(words[0], "VBN")
    return " ".join([forms[0] if forms else words[0], *words[1:]])


def plural(noun: str) -> str:
    forms = getInflection(noun, "NNS")
    return forms[0] if forms else noun + "s"


# Verbs that link a subject to what it is, and so have no passive ("What was become by X?").
_LINKING_VERBS = frozenset({"be", "become", "remain", "seem", "stay"})


def _passivisable(verb: Verb) -> bool:
    """ "founded" -> "was founded by"; not "plans to open", which has no such passive."""
    return (
        not verb.passive
        and verb.lemma not in _LINKING_VERBS
        and verb.aux in ("did", "does", "do")
        and " to " not in verb.lemma
    )


def possessive(name: str) -> str:
    """ "Mara Voss's"; a name already possessive stays as it is ("Penwright's", not "Penwright's's")."""
    return name if name.endswith(("'s", "\u2019s")) else f"{name}'s"


def _duration(text: str) -> re.Match[str] | None:
    """A length of time, also in parts ("three years and four months"): the match of its last part."""
    parts = [_DURATION.match(part) for part in text.split(" and ")]
    return parts[-1] if all(parts) else None


def _units(word: str) -> str:
    """ "year" or "years" -> "years": the units a length of time is counted in."""
    word = word.lower()
    return word if word.endswith("s") else plural(word)


def type_noun(mention: Mention) -> str:
    """What kind of thing a question asks for: "person", "organisation", "place", or the head noun."""
    if mention.label in _TYPE_NOUNS:
        return _TYPE_NOUNS[mention.label]
    common = mention.lemma and not mention.named and mention.determined and mention.lemma.isalpha()
    return mention.lemma if common else ""


def who(mention: Mention) -> str:
    return "Who" if mention.label == PERSON else "What"


def is_year(text: str) -> bool:
    return bool(_YEAR.match(text))


def is_time(argument: Argument) -> bool:
    return argument.role == "time" or argument.value.label in TIMES or is_year(argument.value.text)


def is_place(argument: Argument) -> bool:
    return argument.role == "place" or argument.value.label in PLACES


def render(argument: Argument) -> str:
    return f"{argument.prep} {argument.value.text}".strip()


def rest(statement: Statement, without: Argument | None, limit: int = 3) -> str:
    """The statement's other arguments, objects first, as a question carries them to identify the fact."""
    # a copula's attribute stays: "When was X head of the department?", not "When was X?"
    copular = statement.verb.copular and (without is None or is_time(without))  # not "Where is X a village?"
    kept = [
        a
        for a in statement.arguments
        if a is not without and a.role != "range" and (a.role != "attribute" or copular)
    ]
    kept.sort(key=lambda a: a.role not in ("object", "dative", "complement", "attribute"))
    return " ".join(render(a) for a in kept[:limit])


# A statement asked from its subject's side: "When did Ansel Korvac found the Drummore Seed Bank?" ----------


def forward(statement: Statement, argument: Argument) -> list[str]:
    """Questions asking for ``argument`` of ``statement``."""
    verb, subject = statement.verb, statement.subject.text
    other = rest(statement, argument)

    def inverted(wh: str, stranded: str = "") -> str:
        return finish(f"{wh} {verb.aux} {subject} {verb.main} {other} {stranded}")

    value, prep = argument.value, argument.prep
    if argument.role in ("object", "dative", "complement"):
        listed = " and " in value.raw or ", " in value.raw  # "40 beds and two machines" is no one count
        counted = None if listed else _COUNTED.match(value.raw)
        if value.label == "MONEY":
            return [
                inverted("How much"),
                inverted("What amount"),
                inverted("What sum"),
                inverted("How much money"),
            ]
        if counted and counted.group(1).split()[0] in _SCALES:  # "1.5 million euros": an amount
            return [
                inverted("How much"),
                inverted("What amount"),
                finish(f"{subject} {verb.finite} how much {other}"),
                inverted("How much money"),
            ]
        if counted and value.label in ("CARDINAL", "QUANTITY", ""):
            noun = counted.group(1)
            return [
                inverted(f"How many {noun}"),
                inverted(f"What number of {noun}"),
                finish(f"{subject} {verb.finite} how many {noun} {other}"),
                inverted(f"How many {noun} in all"),
            ]
        wh = "Who" if value.label == PERSON else "What"
        typed = type_noun(value)
        questions = [inverted(wh), inverted(f"Which {typed}" if typed else f"{wh} exactly")]
        if _passivisable(verb):
            be = "was" if verb.aux == "did" else "is"
            questions.append(finish(f"{wh} {be} {participle(verb.lemma)} by {subject} {other}"))
        questions.append(finish(f"{subject} {verb.finite} {wh.lower()} {other}"))
        return questions
    if argument.role == "range":  # "from 1972 to 1994"
        years = all(is_year(y) for y in re.split(r"\s*(?:to|until|till|-|\u2013)\s*", value.text))
        which = "years" if years else "dates"
        ends = [a for a in statement.arguments if a.role == "range" or is_time(a) and a.prep in _PERIOD_ENDS]
        bare = Statement(
            statement.subject,
            verb,
            tuple(a for a in statement.arguments if a not in ends),
            statement.sentence,
        )
        other = rest(bare, None)
        return [
            inverted(f"During which {which}"),
            inverted("Over what period"),
            finish(f"{subject} {verb.finite} {other} during which {which}"),
            inverted(f"Between which {which}"),
        ]
    if is_time(argument) and _AGE_OF.match(value.text):  # "died at the age of 81": an age, not a time
        return [
            inverted("At what age"),
            finish(f"{subject} {verb.finite} {other} at what age"),
            inverted("At which age"),
        ]
    if is_time(argument):
        year = is_year(value.text)
        span = _duration(value.text)
        if span and prep in ("for", "over", "") and not year:  # "for six years": how long, not when
            return [
                inverted("How long"),
                inverted("For how long"),
                finish(f"{subject} {verb.finite} {other} for how long"),
                *([] if " and " in value.text else [inverted(f"For how many {_units(span.group(1))}")]),
            ]
        if span and prep in _TIME_PREPOSITIONS and not year:  # "after nine years": a length, not a time
            p = prep.capitalize()
            units = _units(span.group(1))
            return [
                inverted(f"{p} how many {units}"),
                inverted(f"{p} how long"),
                finish(f"{subject} {verb.finite} {other} {prep} how many {units}"),
                inverted(f"How many {units}", prep),
            ]
        if prep in _TIME_PREPOSITIONS:
            p = prep.capitalize()
            return [
                inverted(f"{p} when"),
                inverted(f"{p} which year" if year else f"{p} what date"),
                finish(f"{subject} {verb.finite} {other} {prep} when"),
                inverted(f"{p} what year"),
            ]
        unit = "year" if year else "date" if _MONTHS.search(value.text) else "time"
        unit = "day" if unit == "time" and _WEEKDAYS.search(value.text) else unit
        if unit == "time":  # "today", "two years later": no "On which time ...?"
            return [
                inverted("When"),
                finish(f"{subject} {verb.finite} {other} when"),
                inverted("At what point"),
            ]
        if unit == "date" and not re.search(r"\b\d{1,2}\b", value.text):
            unit = "month"  # "in June 2014"; not "on February 9, 1958"
        opener = prep if prep in ("in", "on", "at") else "in" if unit in ("year", "month") else "on"
        return [
            inverted("When"),
            inverted(f"{opener.capitalize()} which {unit}"),
            finish(f"{subject} {verb.finite} {other} {opener} which {unit}"),
            inverted(f"{opener.capitalize()} what {unit}"),
        ]
    p = prep.capitalize()
    if value.label == PERSON and prep not in ("in", "at", "near"):  # "a village in Devon": a place
        return [
            inverted(f"{p} whom"),
            inverted("Who", prep),
            inverted("Which person", prep),
            finish(f"{subject} {verb.finite} {other} {prep} whom"),
        ]
    if value.label == "MONEY":
        return [
            inverted(f"{p} how much"),
            inverted(f"{p} what price"),
            inverted("How much", prep),
            inverted(f"{p} what sum"),
        ]
    counted = _COUNTED.match(value.raw) if " and " not in value.raw else None
    if counted and value.label in ("CARDINAL", "QUANTITY", "") and counted.group(1).split()[0] not in _SCALES:
        noun = counted.group(1)  # "defeated Y by 1,200 votes": by how many votes
        return [
            inverted(f"{p} how many {noun}"),
            inverted(f"How many {noun}", prep),
            finish(f"{subject} {verb.finite} {other} {prep} how many {noun}"),
            inverted(f"{p} what number of {noun}"),
        ]
    typed = type_noun(value)
    located = prep in ("in", "at", "from", "to", "near") and value.named and value.label not in AMOUNTS
    if is_place(argument) or located:
        stranded = prep if prep in ("from", "to") else ""
        # "in" an organisation is as often a mislabelled place ("born in Pellory"): ask for a place
        kind = "place" if prep == "in" or not typed else typed
        return [
            inverted("Where", stranded),
            inverted(f"{p} which {kind}"),
            inverted(f"Which {kind}", prep),
            finish(f"{subject} {verb.finite} {other} {prep} which {kind}"),
        ]
    echo = finish(f"{subject} {verb.finite} {other} {prep} what")
    if typed:
        return [inverted(f"{p} what"), inverted("What", prep), inverted(f"{p} which {typed}"), echo]
    return [inverted(f"{p} what"), inverted("What", prep), echo]


def backward(statement: Statement) -> list[str]:
    """Questions asking for the subject: "Who founded the Drummore Seed Bank?"."""
    verb, subject = statement.verb, statement.subject
    args = rest(statement, None)
    wh = who(subject)
    typed = type_noun(subject)
    questions = [finish(f"{wh} {verb.finite} {args}"), finish(f"Which {typed or 'one'} {verb.finite} {args}")]
    objects = [a for a in statement.arguments if a.role == "object"]
    passive = bool(objects) and objects[0].value.named and objects[0].value.label not in AMOUNTS | TIMES
    if passive and _passivisable(verb):
        be = "was" if verb.aux == "did" else "is"
        obj = objects[0]
        others = rest(statement, obj)
        by = "whom" if subject.label == PERSON else "what"
        questions += [
            finish(f"By {by} {be} {obj.value.text} {participle(verb.lemma)} {others}"),
            finish(f"{obj.value.text} {be} {participle(verb.lemma)} by {by} {others}"),
        ]
    else:
        questions += [
            finish(f"{wh} exactly {verb.finite} {args}"),
            finish(f"Name the {typed or 'one'} that {verb.finite} {args}"),
        ]
    return questions


def short_forward(statement: Statement, argument: Argument) -> list[str]:
    """The question for ``argument`` with the statement's other arguments left out ("Where was X born?" for
    "X was born in Y in 1950"), as a user or the executive asks it; with the active voice for an agent
    ("Who founded Y?" for "Y was founded by X"). Objects stay: "How long did X run?" is not "How long did
    X run the seed bank?"."""
    others = [a for a in statement.arguments if a is not argument and a.role != "attribute"]
    objects = tuple(a for a in others if a.role in ("object", "dative", "complement"))
    if len(objects) == len(others):
        return []
    short = Statement(statement.subject, statement.verb, (argument, *objects), statement.sentence)
    asked = forward(short, argument)[:1]
    verb = statement.verb
    if verb.passive and argument.prep == "by" and verb.aux in ("was", "were", "is", "are"):
        forms = getInflection(verb.lemma.split()[0], "VBD" if verb.aux in ("was", "were") else "VBZ")
        if forms:
            active = " ".join([forms[0], *verb.lemma.split()[1:]])
            asked.append(finish(f"{who(argument.value)} {active} {statement.subject.text}"))
    return asked


def short_backward(statement: Statement) -> list[str]:
    """The subject asked for by the verb and its objects alone: "Who founded Y?" for "X founded Y in 1991"."""
    objects = tuple(a for a in statement.arguments if a.role in ("object", "dative"))
    kept = [a for a in statement.arguments if a.role != "attribute"]
    if not objects or len(objects) == len(kept):
        return []
    return backward(Statement(statement.subject, statement.verb, objects, statement.sentence))[:1]


# Relations: "The sisters of Lio Varesh are A and B." ------------------------------------------------------


def relation_forward(owner: str, noun: str, values: Sequence[Mention]) -> list[str]:
    wh = "Who" if values[0].label == PERSON else "What"
    if len(values) > 1 or values[0].plural:
        nouns = plural(noun)
        return [
            finish(f"{wh} are the {nouns} of {owner}"),
            finish(f"{wh} are {possessive(owner)} {nouns}"),
            finish(f"Name the {nouns} of {owner}"),
            finish(f"{possessive(owner)} {nouns} are {wh.lower()}"),
        ]
    kind = "person" if wh == "Who" else _TYPE_NOUNS.get(values[0].label, "one")
    return [
        finish(f"{wh} is the {noun} of {owner}"),
        finish(f"{wh} is {possessive(owner)} {noun}"),
        finish(f"Which {kind} is the {noun} of {owner}"),
        finish(f"The {noun} of {owner} is {wh.lower()}"),
    ]


def pastime(subject: str) -> list[str]:
    """ "Zaimo Zassen likes fencing." -> "What is Zaimo Zassen's hobby?"."""
    return [finish(f"What is {possessive(subject)} hobby"), finish(f"Which pastime does {subject} enjoy")]


def relation_backward(owner: Mention, noun: str, value: str) -> list[str]:
    whom = "whom" if owner.label == PERSON else "what"
    return [
        finish(f"Whose {noun} is {value}"),
        finish(f"{value} is the {noun} of {whom}"),
        finish(f"Of {whom} is {value} the {noun}"),
        finish(f"Who has {value} as {noun}"),
    ]


def describe(owner: str, noun: str) -> str:
    return f"the {noun} of {owner}"


def parent_by_trade(child: str, kin: str) -> list[str]:
    """ "X, the son of a miller,": the parent is named only by trade, so the trade is what is asked."""
    return [
        f"What did {possessive(child)} parent do for a living?",
        f"What was the occupation of {possessive(child)} parent?",
        f"{child} was the {kin} of whom?",
        f"What was the trade of {possessive(child)} parent?",
        f"Whose {kin} was {child}?",
    ]


# Descriptions, records, definitions, life spans -----------------------------------------------------------


def description(subject: Mention, be: str, definite: bool = False) -> list[str]:
    name = subject.text
    did = "did" if be == "was" else "does"
    if subject.label == PERSON and definite:  # "the chair of X": a post, not a trade
        return [
            finish(f"What position {did} {name} hold"),
            finish(f"What {be} {possessive(name)} role"),
            finish(f"Who {be} {name}"),
            finish(f"What post {did} {name} hold"),
            finish(f"What {be} {possessive(name)} job title"),
        ]
    if subject.label == PERSON:
        return [
            finish(f"Who {be} {name}"),
            finish(f"What {be} {possessive(name)} occupation"),
            finish(f"What {be} {name} by profession"),
            finish(f"What {did} {name} do for a living"),
        ]
    if subject.label == "ORG":
        return [
            finish(f"What {be} {name}"),
            finish(f"What kind of business {be} {name}"),
            finish(f"What kind of organisation {be} {name}"),
            finish(f"{name} {be} what"),
        ]
    return [
        finish(f"What {be} {name}"),
        finish(f"What kind of thing {be} {name}"),
        finish(f"How would you describe {name}"),
        finish(f"{name} {be} what"),
    ]


def described_by(subject: Mention, description: str) -> list[str]:
    """ "X, the chair of the Y," asked for X: "Who is the chair of the Y?"."""
    wh = "Who" if subject.label == PERSON else "What"
    return [
        finish(f"{wh} is {description}"),
        finish(f"Which {type_noun(subject) or 'one'} is {description}"),
        finish(f"Name {description}"),
        finish(f"{description} is {wh.lower()}"),
    ]


def record_forward(subject: str, label: str, value: Mention) -> list[str]:
    """ "Height: 34 m" under "Harlow Bay Lighthouse" -> "What is the height of Harlow Bay Lighthouse?"."""
    verb = participle_label(label)
    if verb and (value.label in TIMES or is_year(value.text)):
        unit = "year" if is_year(value.text) else "date"
        return [
            finish(f"When was {subject} {verb}"),
            finish(f"In which {unit} was {subject} {verb}"),
            finish(f"{subject} was {verb} in which {unit}"),
            finish(f"In what {unit} was {subject} {verb}"),
        ]
    if verb and value.label == PERSON:
        return [
            finish(f"By whom was {subject} {verb}"),
            finish(f"Who {verb} {subject}"),
            finish(f"{subject} was {verb} by whom"),
            finish(f"Which person {verb} {subject}"),
        ]
    wh = "Who" if value.label == PERSON else "What"
    label = label[0].lower() + label[1:] if label[1:2].islower() or len(label) == 1 else label
    return [
        finish(f"{wh} is the {label} of {subject}"),
        finish(f"{wh} is {possessive(subject)} {label}"),
        finish(f"What {label} does {subject} have"),
        finish(f"The {label} of {subject} is {wh.lower()}"),
    ]


def record_backward(subject: Mention, label: str, value: str) -> list[str]:
    whom = "whom" if subject.label == PERSON else "what"
    label = label.lower()
    return [
        finish(f"Whose {label} is {value}"),
        finish(f"{value} is the {label} of {whom}"),
        finish(f"Of {whom} is {value} the {label}"),
        finish(f"What has {value} as its {label}"),
    ]


def definition_forward(term: str) -> list[str]:
    return [
        finish(f"What is {term}"),
        finish(f"What does {term} mean"),
        finish(f"What is meant by {term}"),
        finish(f"How is {term} defined"),
    ]


def definition_backward(meaning: str) -> list[str]:
    return [
        finish(f"What is {meaning} called"),
        finish(f"What is the term for {meaning}"),
        finish(f"Which word means {meaning}"),
        finish(f"What do you call {meaning}"),
    ]


# What a measuring adjective measures ("How tall is X?" / "What is the height of X?"): English, not a corpus.
DIMENSIONS = {
    "tall": "height",
    "high": "height",
    "long": "length",
    "wide": "width",
    "deep": "depth",
    "thick": "thickness",
    "old": "age",
    "heavy": "weight",
    "broad": "breadth",
}


def measure(subject: str, adjective: str, be: str) -> list[str]:
    dimension = DIMENSIONS.get(adjective)
    if dimension is None:
        return [finish(f"How {adjective} {be} {subject}"), finish(f"{subject} {be} how {adjective}")]
    return [
        finish(f"How {adjective} {be} {subject}"),
        finish(f"What {be} the {dimension} of {subject}"),
        finish(f"What {be} {possessive(subject)} {dimension}"),
        finish(f"{subject} {be} how {adjective}"),
    ]


def dateline_date(name: str) -> list[str]:
    return [
        finish(f"When was the news item about {name} dated"),
        finish(f"On what date was the report on {name} filed"),
        finish(f"What is the date of the news report about {name}"),
        finish(f"On which date did the news about {name} appear"),
    ]


def dateline_place(name: str) -> list[str]:
    return [
        finish(f"Where was the news item about {name} filed"),
        finish(f"From which place was the report on {name} filed"),
        finish(f"Which place is the dateline of the news about {name}"),
        finish(f"Where was the report about {name} written"),
    ]


def appeared(title: str) -> list[str]:
    """ "Small Weather (1994)": the year a book, a record or a film came out."""
    return [
        finish(f"In which year did {title} appear"),
        finish(f"When was {title} published"),
        finish(f"In what year was {title} released"),
        finish(f"{title} came out in which year"),
    ]


def born(name: str, when: str) -> list[str]:
    return _life_event(name, when, f"was {name} born", f"{name} was born", "birth")


def died(name: str, when: str) -> list[str]:
    return _life_event(name, when, f"did {name} die", f"{name} died", "death")


def _life_event(name: str, when: str, asked: str, stated: str, noun: str) -> list[str]:
    """ "When was X born?" / "When did X die?", by year or by date as ``when`` is written."""
    if is_year(when):
        return [
            finish(f"When {asked}"),
            finish(f"In which year {asked}"),
            finish(f"{stated} in which year"),
            finish(f"In what year {asked}"),
        ]
    return [
        finish(f"When {asked}"),
        finish(f"On what date {asked}"),
        finish(f"What is {possessive(name)} date of {noun}"),
        finish(f"{stated} on which date"),
    ]


@lru_cache(maxsize=4096)
def participle_label(label: str) -> str:
    """ "Built" -> "built", "Opened" -> "opened": a record label that is a past participle."""
    word = label.strip().lower()
    if " " in word or not word.isalpha():
        return ""
    lemmas = getLemma(word, "VERB")
    return word if lemmas and participle(lemmas[0]) == word and lemmas[0] != word else ""


# What a user's relation noun asks, in the wordings the generator trains (general English, not a corpus) --

# Relation nouns asked under another name: "dad" is "father", a "spouse" is a husband or a wife.
RELATION_SYNONYMS: dict[str, tuple[str, ...]] = {
    "dad": ("father",),
    "mum": ("mother",),
    "mom": ("mother",),
    "spouse": ("husband", "wife"),
    "partner": ("husband", "wife", "spouse"),
    "husband": ("spouse",),
    "wife": ("spouse",),
    "parent": ("father", "mother"),
    "sibling": ("brother", "sister"),
    "kid": ("child",),
    "child": ("son", "daughter"),
    "job": ("occupation",),
    "profession": ("occupation",),
    "trade": ("occupation",),
    "pastime": ("hobby",),
    "hobby": ("pastime",),
    "passion": ("hobby",),
    "interest": ("hobby",),
    "boss": ("head", "chief executive", "leader"),
    "head": ("chief executive", "director", "leader", "chair"),
    "leader": ("head", "chief executive"),
    "hometown": ("birthplace",),
    "co-founder": ("founder",),
    "firm": ("company",),
}
# Relations through a marriage, asked as the two relations they are: a mother-in-law is a spouse's mother,
# a son-in-law a daughter's husband. (Siblings-in-law are left out: a spouse's sibling or a sibling's spouse.)
IN_LAWS: dict[str, tuple[str, str]] = {
    "mother": ("spouse", "mother"),
    "father": ("spouse", "father"),
    "parent": ("spouse", "parent"),
    "son": ("daughter", "husband"),
    "daughter": ("son", "wife"),
}
# Verbs asked under another: "set up" and "start" an organisation are "found" it.
VERB_SYNONYMS: dict[str, tuple[str, ...]] = {
    "set": ("found", "establish"),
    "start": ("found", "establish"),
    "establish": ("found",),
    "create": ("found",),
    "found": ("establish",),
    "head": ("lead", "run"),
    "lead": ("head", "run"),
    "run": ("head", "lead"),
}


def verb_synonyms(lemma: str) -> tuple[str, ...]:
    return VERB_SYNONYMS.get(lemma, ())


def _nominal(owner: str, noun: str) -> list[str]:
    """Relation nouns whose fact a text states with a verb ("founder": "Y was founded by X")."""
    if noun in ("founder", "co-founder"):
        asked = [f"Who founded {owner}", f"By whom was {owner} founded", f"Who was {owner} founded by"]
    elif noun == "employer":
        asked = [
            f"Who does {owner} work for",
            f"Where does {owner} work",
            f"For which place does {owner} work",
            f"Which place does {owner} work for",
            f"Who employs {owner}",
        ]
    elif noun in ("birthplace", "hometown"):
        asked = [
            f"Where was {owner} born",
            f"In which place was {owner} born",
            f"Where does {owner} come from",
        ]
    elif noun in ("occupation", "job", "profession", "trade"):
        asked = [
            f"Who is {owner}",
            f"What is {possessive(owner)} occupation",
            f"What is {owner} by profession",
        ]
        asked += [f"Who was {owner}", f"What was {possessive(owner)} occupation"]
    elif noun in ("hobby", "pastime"):
        asked = pastime(owner)
    elif noun in ("headquarters", "base", "home", "location", "seat"):
        asked = [f"Where is {owner} based", f"In which place is {owner} based", f"Where is {owner} located"]
    elif noun in ("industry", "sector", "field"):
        asked = [f"In which industry does {owner} work", f"In what does {owner} work", f"What is {owner}"]
    elif noun in ("spouse", "husband", "wife", "partner"):
        asked = [f"Who is {owner} married to", f"Whom did {owner} marry", f"Who did {owner} marry"]
    else:
        return []
    return [finish(q) for q in asked]


# Verb statements that state a relation, in general English: "X works for Y" says Y is X's employer,
# "X set up Y" that X is Y's founder. (verb lemma, preposition: "" for the object, "by" for the agent) ->
# (relation noun, who owns it: "subject" when the statement's subject does, "value" when its argument does).
RELATION_VERBS: dict[tuple[str, str], tuple[str, str]] = {
    **dict.fromkeys(
        [("work", "for"), ("work", "at"), ("employ", "by"), ("employ", "at")], ("employer", "subject")
    ),
    ("employ", ""): ("employer", "value"),  # "Y employs X": Y is X's employer
    **dict.fromkeys(
        [("work", "as"), ("train", "as"), ("earn", "as"), ("make", "as"), ("qualify", "as")],
        ("occupation", "subject"),
    ),
    **dict.fromkeys(
        [("serve", "as"), ("become", ""), ("rise", "to"), ("promote", "to")], ("position", "subject")
    ),
    **dict.fromkeys([("come", "from"), ("hail", "from")], ("hometown", "subject")),
    **dict.fromkeys(
        [("base", "in"), ("headquarter", "in"), ("operate", "from"), ("locate", "in")],
        ("headquarters", "subject"),
    ),
    **dict.fromkeys([("operate", "in"), ("work", "in")], ("industry", "subject")),
    **dict.fromkeys(
        [(verb, "") for verb in ("found", "co-found", "set up", "establish", "start", "launch", "create")],
        ("founder", "value"),
    ),
    **dict.fromkeys(
        [(verb, "by") for verb in ("found", "co-found", "set up", "establish", "start", "launch", "create")],
        ("founder", "subject"),
    ),
    **dict.fromkeys([("marry", ""), ("wed", "")], ("spouse", "subject")),
}
_SEATS = frozenset({"headquarters", "headquarter", "office", "base", "seat"})
_POSTS = frozenset({"job", "post", "position", "role", "living", "career"})
# Relations whose value is a common noun phrase ("a cooper", "forestry"), not a name.
_KIND_RELATIONS = frozenset({"occupation", "position", "industry"})


def stated_relation(statement: Statement, argument: Argument) -> tuple[str, str] | None:
    """The relation a verb statement states through ``argument``, as (noun, owner side), if any: the
    argument must name something ("started a career" states no founder), and be no time or amount."""
    if argument.role not in ("object", "agent", "prep", "place", "complement"):
        return None
    prep = (
        "by"
        if argument.role == "agent"
        else ""
        if argument.role in ("object", "complement")
        else argument.prep
    )
    found = RELATION_VERBS.get((statement.verb.lemma, prep))
    objects = {a.value.lemma for a in statement.arguments if a.role == "object"}
    if statement.verb.lemma == "have" and prep in ("in", "at") and objects & _SEATS:
        found = ("headquarters", "subject")  # "has its head office in Brack"
    if statement.verb.lemma in ("have", "hold", "earn") and prep in ("at", "with") and objects & _POSTS:
        found = ("employer", "subject")  # "has a job at Y", "holds a post with Y", "earns a living at Y"
    value = argument.value
    if found is None or value.label in TIMES | AMOUNTS:
        return None
    return found if (value.noun and not value.named if found[0] in _KIND_RELATIONS else value.named) else None


def relation_questions(owner: str, noun: str, value: Mention) -> list[str]:
    """A stated relation asked by its noun: "What is X's employer?", "Who employs X?"."""
    if noun in ("hometown", "headquarters") and value.label not in PLACES:
        value = replace(value, label="GPE")  # a place, whatever label the recogniser gave its name
    by_noun, by_verb = relation_forward(owner, noun, [value]), _nominal(owner, noun)
    return list(dict.fromkeys([*by_noun[:1], *by_verb[:2], *by_noun[1:2]]))


def interleaved(stated: list[str], related: list[str]) -> list[str]:
    """The statement's own first wording, then two of the relation's, then the rest alternately, each
    once: training takes the verb as written and the relation as a user names it."""
    out: list[str] = []
    for q in [*stated[:1], *related[:2], *_alternate(stated[1:], related[2:])]:
        if q not in out:
            out.append(q)
    return out


def _alternate(first: list[str], second: list[str]) -> list[str]:
    return [q for k in range(max(len(first), len(second))) for q in first[k : k + 1] + second[k : k + 1]]


def relation_asks(owner: str, noun: str) -> list[str]:
    """The sub-questions for "the ``noun`` of ``owner``": the relation as the generator words it, for the
    noun, its lemma and its synonyms, singular and plural, then the verb statements that state it."""
    *modifiers, head = noun.lower().split()
    lemmas = getLemma(head, "NOUN")
    lemma = " ".join([*modifiers, lemmas[0] if lemmas else head])
    nouns = [lemma, *RELATION_SYNONYMS.get(lemma, ())]
    person, thing = Mention("", "", label=PERSON), Mention("", "")
    asked: list[str] = []
    for n in nouns:
        for value in (person, thing):
            asked += relation_forward(owner, n, [value])[:2]
            asked += relation_forward(owner, n, [value, value])[:2]
    for n in nouns:
        asked += _nominal(owner, n)
    return list(dict.fromkeys(asked))
