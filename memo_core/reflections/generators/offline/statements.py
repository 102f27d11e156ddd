"""Statements read off spaCy's dependency parse: who did what, to whom, when and where, and what is
said to be what ("X is a botanist", "X, the chair of Y", "The sisters of X are A and B").

Every statement names its subject: pronouns and "the company"-style references are resolved to the
entity they stand for (``Discourse``), and a statement whose subject cannot be resolved is dropped and
counted, never asked about "she".
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from lemminflect import getAllInflections, getAllLemmas, getInflection, getLemma

from memo_core.reflections.generators.sentences import Sentence

if TYPE_CHECKING:
    from spacy.tokens import Span, Token

PERSON = "PERSON"
PLACES = frozenset({"GPE", "LOC", "FAC"})
TIMES = frozenset({"DATE", "TIME"})
AMOUNTS = frozenset({"MONEY", "CARDINAL", "QUANTITY", "PERCENT"})
_SUBJECTS = frozenset({"nsubj", "nsubjpass"})
# Where a name the discourse should remember stands: "Yasmin El-Haddad's first feature" names her too.
_NAMING_DEPS = _SUBJECTS | {"dobj", "pobj", "attr", "oprd", "appos", "poss"}
_NAME_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "PRODUCT", "EVENT", "WORK_OF_ART"})
# Adjectives that say two coordinated subjects stand in a relation to each other: "A and B are married".
_RECIPROCAL = {"married": "to", "engaged": "to"}
# Relations between people: whoever stands in them is a person, whatever label the small recogniser gave.
KIN_NOUNS = frozenset({
    "mother", "father", "parent", "sister", "brother", "sibling", "son", "daughter", "child", "wife",
    "husband", "spouse", "partner", "cousin", "aunt", "uncle", "niece", "nephew", "grandmother",
    "grandfather", "grandparent", "grandson", "granddaughter", "grandchild", "stepmother", "stepfather",
    "widow", "widower", "fiancé", "fiancée", "twin",
})  # fmt: skip
# Verbs of liking: their object is a pastime when it is an activity ("likes falconry", "enjoys rowing").
PASTIME_VERBS = frozenset({"like", "enjoy", "love"})
# Relations that state their converse: the employer of an employee.
_INVERSE_NOUNS = {"employee": "employer", "staff member": "employer", "worker": "employer"}
LIKING_NOUNS = frozenset({"passion", "love", "fondness", "liking"})  # "has a passion for chess"
# Parts of a noun's subtree that say something further about it rather than name it.
_NOT_NAMING = frozenset({"relcl", "acl", "appos", "advcl", "parataxis", "punct", "cc", "conj", "prep"})
# Prepositions whose phrase after a common noun says what the thing is rather than where or when it is.
_WHAT_FOR = frozenset({"for", "about", "with", "against"})
# Nouns of written or studied work, whose "on" phrase is their subject, not a place: "a thesis on measles".
_TOPIC_NOUNS = frozenset(
    {
        "work",
        "research",
        "book",
        "thesis",
        "study",
        "paper",
        "essay",
        "report",
        "lecture",
        "article",
        "treatise",
    }
)
# Forms of address before a name, which are no part of it.
_HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "sir", "dame", "lady", "lord", "rev", "revd"})
# Posts that only an organisation has: "Chief executive Mara Voss said", in an item about a company, is its.
_COMPANY_POSTS = frozenset(
    {
        "executive", "director", "chairman", "chairwoman", "chair", "president", "founder", "officer",
        "manager", "secretary", "treasurer", "spokesman", "spokeswoman", "spokesperson", "owner",
    }
)  # fmt: skip
_RELATIVE = frozenset({"who", "whom", "which", "that", "whose"})
_DEFINITE = frozenset({"the", "this", "that", "these", "those", "each", "every"})
_MONTH = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b", re.IGNORECASE)
_CALENDAR = re.compile(
    r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*|(mon|tues|wednes|thurs|fri|satur|sun)day"
    r"|spring|summer|autumn|fall|winter|today|yesterday|tomorrow|week|month|year|decade|century|morning"
    r"|evening|night|noon|midnight|dawn|christmas|easter"
)
_PERSON_PRONOUNS = frozenset({"he", "she", "him", "her", "his", "hers", "himself", "herself"})
_HE = frozenset({"he", "him", "his", "himself"})
# Verbs whose "as" phrase says what their object is: "employs X as a pilot", "appointed her as chair".
_GIVES_A_ROLE = frozenset(
    {"employ", "hire", "appoint", "name", "elect", "recruit", "engage", "choose", "select"}
)
_MUTUAL = frozenset({"friend", "colleague", "neighbour", "neighbor", "rival", "partner", "cousin"})
_THING_PRONOUNS = frozenset({"it", "its", "itself"})
_GROUP_PRONOUNS = frozenset({"they", "them", "their", "themselves"})
# Nouns a text uses for the organisation, building or place it is talking about ("The company opened
# ...", "The building opened ..."), by the entity labels they stand for: English, not any corpus. A
# definite noun that repeats the last word of a name seen before ("the council" for "Harlow Bay Council")
# is resolved without it.
KIND_NOUNS = {
    **dict.fromkeys(
        (
            "company",
            "firm",
            "business",
            "organisation",
            "organization",
            "group",
            "corporation",
            "society",
            "bank",
            "council",
            "club",
            "team",
            "school",
            "college",
            "university",
            "charity",
            "institute",
            "airline",
            "carrier",
            "retailer",
            "chain",
            "lender",
            "insurer",
            "builder",
            "developer",
            "operator",
            "manufacturer",
            "maker",
            "producer",
            "supplier",
            "publisher",
            "broadcaster",
            "label",
            "studio",
            "brewery",
            "hospital",
            "trust",
            "force",
            "union",
            "party",
            "agency",
            "authority",
            "board",
            "band",
        ),
        "ORG",
    ),
    **dict.fromkeys(
        (
            "building",
            "house",
            "site",
            "station",
            "museum",
            "library",
            "hotel",
            "bridge",
            "factory",
            "plant",
            "mill",
            "hall",
            "theatre",
            "restaurant",
            "shop",
            "store",
            "airport",
            "stadium",
            "ground",
            "gallery",
            "church",
            "cathedral",
            "centre",
            "park",
            "pool",
            "lido",
        ),
        "FAC",
    ),
    **dict.fromkeys(("town", "city", "village", "region", "country", "port", "island", "county"), "GPE"),
}
# What people make: a name described as one ("Small Weather, the story of a widow,") is nobody "she" means.
WORK_NOUNS = frozenset(
    {
        "book", "novel", "novella", "memoir", "story", "poem", "play", "opera", "film", "feature",
        "documentary", "album", "record", "song", "painting", "symphony", "series", "atlas", "guide",
    }
)  # fmt: skip
# Reporting verbs: what someone said is theirs to say, not a fact the text states.
_REPORTING = frozenset({"say", "tell", "add", "state", "explain", "note", "claim", "ask", "reply"})
_YEAR = re.compile(r"\d{3,4}")
_WORK_YEAR = re.compile(r" \((1\d{3}|20\d{2})\)")
_DAY = r"(?:(?:\d{1,2} )?[A-Z][a-z]+ |[A-Z][a-z]+ \d{1,2}, )?"  # "14 April ", "April 14, ", "June "
_BORN = re.compile(rf"\(b\. ?({_DAY}\d{{3,4}})\)")  # "(b. 1986)"
_LIFE_SPAN = re.compile(rf"\((?:c\. ?)?({_DAY}\d{{3,4}})\s*[-\u2013\u2014]\s*(?:c\. ?)?({_DAY}\d{{3,4}})\)")


@dataclass(frozen=True)
class Mention:
    """A noun phrase: ``text`` as a question may name it (pronouns resolved), ``raw`` as written."""

    text: str
    raw: str
    label: str = ""  # spaCy entity label of its head ("PERSON", "ORG", "DATE", ...), "" for none
    named: bool = False  # a proper name, or a reference resolved to one
    plural: bool = False
    lemma: str = ""  # the head noun's lemma ("chair", "sister")
    noun: bool = True  # headed by a noun (not "married", "tall")
    determined: bool = False  # opens with an article or possessive ("the painter", "its site")
    definite: bool = False  # one thing the text has in view: "the sensor", "its cups", "each kit"

    @property
    def is_person(self) -> bool:
        return self.label == PERSON


@dataclass(frozen=True)
class Argument:
    """What a verb says about its subject: an object, a prepositional phrase, a time, a complement."""

    role: str  # "object" | "dative" | "complement" | "attribute" | "prep" | "agent" | "time" | "place"
    value: Mention
    prep: str = ""


@dataclass(frozen=True)
class Verb:
    lemma: str  # "found", "set up", "be"
    aux: str  # the auxiliary an inverted question opens with: "did", "does", "was", "has"
    main: str  # what follows the subject in that question: "found", "born", "been appointed", ""
    finite: str  # the verb group as a wh-subject question needs it: "founded", "was founded", "has worked"
    passive: bool = False
    copular: bool = False


@dataclass(frozen=True)
class Statement:
    subject: Mention
    verb: Verb
    arguments: tuple[Argument, ...]
    sentence: Sentence


@dataclass(frozen=True)
class Relation:
    """ "The R of X is Y", "X's R is Y", "Y, the R of X": ``values`` (one or several) are X's R."""

    owner: Mention
    noun: str  # singular: "sister", "chair"
    values: tuple[Mention, ...]
    sentence: Sentence
    subject: Mention | None = None  # the sentence's grammatical subject, for the discourse
    owners: tuple[Mention, ...] = ()  # every owner of "the son of A and B"


@dataclass(frozen=True)
class Description:
    """ "X is a botanist and translator", "X, a cooper,": what the subject is, said without a relation."""

    subject: Mention
    description: Mention
    sentence: Sentence


@dataclass
class Discourse:
    """Who "he", "she", "it", "they" and "the company" stand for: the entities most recently talked about,
    the document's title entity first."""

    title: Mention | None = None
    person: Mention | None = None
    thing: Mention | None = None
    group: Mention | None = None
    names: list[Mention] = field(default_factory=list)
    subject: Mention | None = None  # the last named grammatical subject, whatever its label
    called_he_or_she: set[str] = field(default_factory=set)  # names a gendered pronoun stood for
    not_people: set[str] = field(default_factory=set)  # names described as a company, a building, a town
    works: set[str] = field(default_factory=set)  # books, films, records: "she" even once called a person
    person_was_subject: bool = False  # ``person`` was last seen as a grammatical subject
    thing_was_subject: bool = False
    kin: set[str] = field(default_factory=set)  # names in relations between people
    lead: Mention | None = None  # the first sentence's subject: what an item without a title is about
    titled: set[str] = field(default_factory=set)  # names with a post before them: "Mayor Hana Ostrow"
    gender: dict[str, str] = field(default_factory=dict)  # "m" or "f", as "he" or "she" stood for a name
    gendered: bool = False  # the text says "he" or "she" somewhere: a person's name in its title is one
    unresolved: Counter[str] = field(default_factory=Counter)
    # What each name was described as, by the description's head noun: "Penwright's, the department store
    # chain," makes "the chain" Penwright's; "the draper Josiah Penwright" makes "the draper" him.
    described: dict[str, Mention] = field(default_factory=dict)
    couple: Mention | None = None  # the two people last said to be married: "the couple"

    def resolve(self, word: str) -> Mention | None:
        word = word.lower()
        title = self.title
        if word in _PERSON_PRONOUNS:
            gender = "m" if word in _HE else "f"
            found = self._person(title)
            if found is not None and self.gender.get(found.raw, gender) != gender:
                # "Anna ... she married Karl Lund. He died": the person of that gender named last
                found = next(
                    (
                        m
                        for m in reversed(self.names)
                        if m.is_person and not m.plural and self.gender.get(m.raw, gender) == gender
                    ),
                    None,
                )
            if found is not None:
                self.called_he_or_she.add(found.raw)
                self.gender[found.raw] = gender
            return found
        if word in _THING_PRONOUNS:
            return self._thing(title)
        if word in _GROUP_PRONOUNS:
            return self._group(title)
        return None

    def _group(self, title: Mention | None) -> Mention | None:
        """ "they": the group last talked about; else, in an article about a person, that person (a couple
        or a singular "they" both ask about them); else an organisation, never a single thing."""
        if self.group is not None:
            return self.group
        if title is not None and title.is_person:
            return self.person if self.person is not None and self.person.raw == title.raw else title
        if self.person is not None and (title is None or not title.named):
            return self.person
        return self.thing if self.thing is not None and self.thing.label == "ORG" else None

    def _person(self, title: Mention | None) -> Mention | None:
        if self.person is not None and self.is_work(self.person):
            self.person = None  # the recogniser's "person" turned out to be a book
        if self.person is not None and (self.person_was_subject or not self._may_be_person(title)):
            return self.person
        if title is not None and title.is_person:
            return title
        if title is not None and self._may_be_person(title) and self.person is not None:
            # "The sister of Closara T. is Draketh T. ... She": the article's subject, not the sister
            self.person = Mention(title.text, title.raw, PERSON, True, False, title.lemma)
            self.person_was_subject = True
            return self.person
        # The small pipeline labels some people's names as organisations: "he" says they are people.
        subject = self.subject
        person_like = (
            subject is not None and subject.label not in PLACES and subject.raw not in self.not_people
        )
        guess = subject if person_like else title
        if guess is None and self.names and self.names[0].label in ("", PERSON) and not self.names[0].plural:
            guess = self.names[0]  # "X (c. 1760 - 1832) was a merchant ..., where he founded": the first name
        if guess is not None and guess.raw in self.not_people:
            return None
        if guess is not None and not guess.plural:
            self.person = Mention(guess.text, guess.raw, PERSON, True, False, guess.lemma)
            return self.person
        return None

    def _may_be_person(self, title: Mention | None) -> bool:
        return (
            title is not None
            and title.named
            and not title.plural
            and title.label not in PLACES | TIMES | AMOUNTS
            and title.raw not in self.not_people
        )

    def is_work(self, mention: Mention) -> bool:
        """A book's or a record's name, alone or owned: "His Atlas of the Marsh"."""
        return any(mention.raw == work or mention.raw.endswith(f" {work}") for work in self.works)

    def _a_person(self, mention: Mention) -> bool:
        return any(mention.raw in names for names in (self.called_he_or_she, self.kin, self.titled))

    def _thing(self, title: Mention | None) -> Mention | None:
        if self.thing is not None and self._a_person(self.thing):
            self.thing = None  # "she" has since stood for it
        if self.thing is not None and self.thing_was_subject:
            return self.thing
        if self._topic_thing(title):  # an article's "it" is what it is about, whatever its label
            return title
        if self.thing is not None:
            return self.thing
        # "it" says the last subject is a thing, whatever label the small pipeline gave its name
        subject = self.subject
        if subject is not None and not self._a_person(subject) and not subject.plural:
            self.thing = Mention(subject.text, subject.raw, "ORG", True, False, subject.lemma)
            return self.thing
        return None

    def shortened(self, words: list[str]) -> Mention | None:
        """A name seen before that ends with ``words`` (two or more): "seed bank" -> "Velsmouth Seed Bank"."""
        if len(words) < 2:
            return None
        for mention in reversed(self.names):
            known = mention.raw.lower().split()
            if len(known) > len(words) and known[-len(words) :] == words:
                return mention
        return None

    def resolve_noun(self, lemma: str) -> Mention | None:
        """ "the council" -> "Harlow Bay Council"; "the chain" -> what was described as one; "the company"
        -> the last organisation named."""
        if lemma in self.described:
            return self.described[lemma]
        if lemma in ("couple", "pair") and self.couple is not None:
            return self.couple
        # "the company" after "the Cask Manufacturing Company"
        title = [self.title] if self.title is not None and self.title.named else []
        for mention in [*reversed(self.names), *title]:
            if mention.named and lemma in mention.raw.lower().split()[1:]:
                return mention
        label = KIND_NOUNS.get(lemma)
        if label is None:
            return None
        if (
            self.thing is not None
            and self.thing_was_subject
            and not self._a_person(self.thing)
            and (label != "GPE" or self.thing.label in PLACES)  # "the town" is no company
        ):
            return self.thing  # "the firm" is the company the item is about
        if self._topic_thing(self.title):
            return self.title
        for mention in reversed(self.names):
            if mention.label == label:
                return mention
        return None

    def organisation(self, holder: Mention) -> Mention | None:
        """The organisation an item is about, whose post ``holder`` holds, if it plainly is about one: its
        title, else its first subject unless that is a person."""
        owner = self.title if self._topic_thing(self.title) else self.lead
        if owner is None or (owner is self.lead and owner.is_person):
            return None
        return owner if owner.raw != holder.raw and not self._a_person(owner) else None

    def _topic_thing(self, title: Mention | None) -> bool:
        """The title names a thing: named, and no "he" or "she" stood for it, nor is it anyone's relative
        (the small recogniser labels many companies as people, so its label does not decide)."""
        return (
            title is not None
            and title.named
            and not title.plural
            and title.raw not in self.called_he_or_she
            and title.raw not in self.kin
            and not (title.is_person and self.gendered and _surname_like(title))
        )  # "# Mara Voss ... the council approved ... under her": the council is not Mara Voss

    def canonical(self, mention: Mention) -> Mention:
        """A shorter reference to a name seen before, as that name: "Van der Holt" -> "Anna van der Holt",
        "Calder" -> "Calder Minerals", "Marta" -> "Marta Kell"."""
        words = mention.raw.lower().split()
        for known in reversed(self.names):
            if known.plural:
                continue  # "Oskar Pellingrew" is one of "Ilvana Dresk and Oskar Pellingrew", not both
            known_words = known.raw.lower().split()
            if known.is_person and known.raw.lower().startswith(f"{mention.raw.lower()}-"):
                return known  # "Dervla O'Hanlon", born so, is Dervla O'Hanlon-Price
            bare = known_words[1:] if known_words[:1] == ["the"] else known_words  # "the Corrin Mill Company"
            if known.label == "ORG" and len(words) == 1 and len(bare) > 1 and bare[0] == words[0]:
                return known
            if len(known_words) > len(words) and known_words[-len(words) :] == words:
                return self.person if self.person is not None and self.person.raw == known.raw else known
        if len(words) == 1 and mention.label in ("", PERSON, "GPE", "NORP"):
            first_named = next(
                (
                    m
                    for m in reversed(self.names)
                    if m.is_person
                    and m.raw not in self.not_people
                    and not m.plural
                    and len(m.raw.split()) > 1
                    and m.raw.lower().split()[0] == words[0]
                ),
                None,
            )
            if first_named is not None:
                return first_named  # a person named again by the first name alone
        return mention

    def saw(self, mention: Mention, as_subject: bool) -> None:
        if not mention.named:
            return
        if mention in self.names:  # the most recently named last
            self.names.remove(mention)
        self.names.append(mention)
        if as_subject and mention.label not in TIMES | AMOUNTS:
            self.subject = mention
        if mention.is_person and not mention.plural and not self.is_work(mention):
            if as_subject or self.person is None:
                self.person = mention
                self.person_was_subject = as_subject
        elif mention.plural:
            if as_subject:
                self.group = mention
        elif mention.label not in TIMES | AMOUNTS and (as_subject or self.thing is None):
            self.thing = mention  # "it" is the thing last talked about, not the last one named
            self.thing_was_subject = as_subject


@dataclass(frozen=True)
class Cloze:
    """A sentence asked in place about one of its names, numbers or dates, pronouns resolved: "During the
    storm Beacon One measured waves how many metres high?". The fallback that asks every stated value at
    least once where the parse yields no statement for it."""

    question: str
    answer: str
    label: str
    subject: Mention
    wh: str = ""  # the question words standing in for the answer ("which place")


@dataclass
class Reading:
    """Everything the rules read in one sentence."""

    sentence: Sentence
    statements: list[Statement] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    descriptions: list[Description] = field(default_factory=list)
    life_spans: list[tuple[Mention, str, str]] = field(default_factory=list)
    works: list[tuple[Mention, str]] = field(default_factory=list)  # "Small Weather (1994)": (work, year)
    measures: list[tuple[Mention, str, str]] = field(default_factory=list)  # (X, "tall", "18 metres")
    subjects: list[Mention] = field(default_factory=list)
    clozes: list[Cloze] = field(default_factory=list)
    # Said of "a former treasurer", "an engineer": kept aside, as a news item may name that person next
    someone: list[Statement] = field(default_factory=list)


def read_sentence(span: Span, sentence: Sentence, discourse: Discourse) -> Reading:
    """Statements, relations and descriptions of one parsed sentence; the discourse learns its subjects."""
    reader = _Reader(discourse, sentence, span)
    reading = Reading(sentence)
    if span.text.rstrip().endswith("?"):
        return reading  # "How many jobs will the plant create?" asks; it states nothing
    quoted = _quoted(span)
    for token in span:
        if token.i in quoted:
            continue
        if token.pos_ in ("VERB", "AUX") and (token.dep_ != "aux" and token.dep_ != "auxpass"):
            relations = reader.mutual(token)
            relation = reader.relation(token) or reader.possession(token)
            found = relations or ([relation] if relation is not None else [])
            reading.relations.extend(found)
            if not found:
                parents = reader.parents(token)  # "born to A and B in 1950 in Leeds": the rest stays
                reading.relations.extend([parents] if parents is not None else [])
                reading.statements.extend(reader.statements(token))
        if token.dep_ == "appos" and _describes(token):
            reader.apposition(token.head, token, reading)
        elif (fronted := _fronted_subject(token)) is not None:
            reader.apposition(fronted, token, reading)  # "The son of a ferry captain, he grew up ..."
        if token.tag_ == "NNS" and (listed := reader.listed_apposition(token)) is not None:
            reading.relations.append(listed)
        if (whereabouts := reader.whereabouts(token)) is not None:
            reading.statements.append(whereabouts)
        if (affiliation := reader.affiliation(token)) is not None:
            reading.statements.append(affiliation)
        if token.pos_ in ("PROPN", "NOUN") and token.dep_ in _NAMING_DEPS:
            mention = reader.mention(token)  # "the collector Ruth Amberley" names her too
            if mention is not None:
                discourse.saw(mention, as_subject=False)
    for token in span:
        if token.lemma_ == "be" and (measure := reader.measure(token)) is not None:
            reading.measures.append(measure)
    for match in _LIFE_SPAN.finditer(span.text):
        before = span.char_span(0, match.start(), alignment_mode="contract")
        person = reader.mention(_name_head(before[-1])) if before is not None and len(before) else None
        if (
            person is not None and person.named and person.label not in PLACES | TIMES | AMOUNTS | {"EVENT"}
        ):  # a life span says its name is a person's; not "the war (1939-1945)"
            reading.life_spans.append((_person(person), match.group(1), match.group(2)))
    for match in _BORN.finditer(span.text):
        before = span.char_span(0, match.start(), alignment_mode="contract")
        person = reader.mention(_name_head(before[-1])) if before is not None and len(before) else None
        if person is not None and person.named and person.label not in PLACES | TIMES | AMOUNTS:
            reading.life_spans.append((_person(person), match.group(1), ""))
    for match in _WORK_YEAR.finditer(span.text):
        before = span.char_span(0, match.start(), alignment_mode="contract")
        work = _titled_run(before) if before is not None and len(before) else None
        if work is not None and work.raw not in discourse.called_he_or_she | discourse.kin:
            reading.works.append((work, match.group(1)))  # a title with its year: when it appeared
            discourse.works.add(work.raw)
            discourse.not_people.add(work.raw)
    reading.descriptions.extend(d for d in dict.fromkeys(reader.found) if d not in reading.descriptions)
    reading.relations.extend(r for r in dict.fromkeys(reader.posts) if r not in reading.relations)
    reading.relations.extend(  # "X is an employee of Y": Y is X's employer
        Relation(value, _INVERSE_NOUNS[r.noun], (r.owner,), r.sentence, r.subject)
        for r in list(reading.relations)
        if r.noun in _INVERSE_NOUNS
        for value in r.values
    )
    reading.subjects = reader.subjects
    reading.someone = reader.someone
    for statement in reading.statements:
        if statement.verb.copular:
            reading.descriptions.extend(reader.descriptions(statement))
    reading.descriptions = _one_per_subject(reading.descriptions)
    reading.relations = [_between_people(r) for r in reading.relations]
    for relation in reading.relations:
        if relation.noun.split()[-1] in KIN_NOUNS:
            discourse.kin.update(m.raw for m in (relation.owner, *relation.values))
        if relation.noun in _SPOUSES and len(relation.values) == 1:
            discourse.couple = _couple(relation.owner, relation.values[0])
    for statement in reading.statements:
        married = statement.verb.lemma in ("marry", "wed", "be married")
        partner = next(
            (a.value for a in statement.arguments if a.role == "object" or a.prep == "to"), None
        )  # "married Y", "has been married to Y"
        if married and partner is not None and partner.named and statement.subject.named:
            discourse.couple = _couple(statement.subject, partner)
    for described in reading.descriptions:
        if described.subject.named and described.description.noun and not described.description.named:
            discourse.described[described.description.lemma] = described.subject
        if described.description.lemma in WORK_NOUNS:  # "Her first book, X,": never "she"
            discourse.works.add(described.subject.raw)
        if described.description.lemma in KIND_NOUNS.keys() | WORK_NOUNS:  # "X is a printing company"
            discourse.not_people.add(described.subject.raw)  # "he" is not X
        if (post := _unowned_post(described, discourse)) is not None:
            reading.relations.append(post)
    reading.clozes = list(reader.clozes(quoted))
    subjects = [s.subject for s in reading.statements if s.subject.named]
    subjects += [r.subject for r in reading.relations if r.subject is not None and r.subject.named]
    # "Her mother, Inês de Souza, was a pianist; ... she worked": the article's person stays "she"
    relatives = {
        v.raw
        for r in reading.relations
        if r.noun.split()[-1] in KIN_NOUNS
        and discourse.person is not None
        and r.owner.raw == discourse.person.raw
        for v in r.values
    }
    for subject in subjects[:1]:
        discourse.saw(subject, as_subject=subject.raw not in relatives)
        discourse.lead = discourse.lead or subject
    return reading


def _describes(appositive: Token) -> bool:
    """A noun phrase in apposition describes its head; an adjective only as a part of a group ("the eldest
    of six children"), not "the largest in the north", which the small parser sometimes hangs there."""
    return appositive.pos_ != "ADJ" or any(c.dep_ == "prep" and c.lower_ == "of" for c in appositive.children)


def _fronted_subject(noun: Token) -> Token | None:
    """The subject that a noun phrase set before it describes: "Born in Halvik, the son of a stonemason,
    he studied ..." -> "he". The parser hangs such a phrase anywhere but on the subject."""
    doc = noun.doc
    first, after = noun.left_edge.i, noun.right_edge.i + 1
    if (
        noun.pos_ != "NOUN"
        or noun.dep_ in _NAMING_DEPS - _SUBJECTS  # a subject too, when the verb has two (below)
        or not any(c.dep_ == "det" for c in noun.children)
        or any(c.dep_ == "poss" for c in noun.children)  # "A cabinetmaker's son": the possessor's relation
        or not (first == noun.sent.start or doc[first - 1].text == ",")
        or after + 1 >= len(doc)
        or doc[after].text != ","
    ):
        return None
    subject = doc[after + 1]
    if subject.dep_ not in _SUBJECTS or subject.head.i < subject.i:
        return None
    return subject if noun.dep_ not in _SUBJECTS or noun.head.i == subject.head.i else None


def _parenthesised(span: Span) -> set[int]:
    """Token positions inside parentheses, the parentheses included."""
    depth, out = 0, set()
    for token in span:
        if token.text == "(":
            depth += 1
        if depth:
            out.add(token.i)
        if token.text == ")" and depth:
            depth -= 1
    return out


def _quoted(span: Span) -> set[int]:
    """Token positions inside quotation marks."""
    inside, out = False, set()
    for token in span:
        if token.text in ('"', "\u201c", "\u201d") or token.tag_ in ("``", "''"):
            inside = not inside if token.text == '"' else token.text == "\u201c" or token.tag_ == "``"
            continue
        if inside:
            out.add(token.i)
    return out


class _Reader:
    def __init__(self, discourse: Discourse, sentence: Sentence, span: Span) -> None:
        self.discourse = discourse
        self.sentence = sentence
        self.span = span
        self.found: list[Description] = []  # descriptions noticed while reading noun phrases
        self.posts: list[Relation] = []  # "Harrow Foods chief executive Mara Voss": relations inside a name
        self.subjects: list[Mention] = []  # named grammatical subjects, in the order read
        self.someone: list[Statement] = []  # statements about an unnamed "a former treasurer"
        self.read: dict[tuple[int, bool], Mention | None] = {}

    # Noun phrases -----------------------------------------------------------------------------------

    def mention(self, token: Token, with_conjuncts: bool = False) -> Mention | None:
        """The noun phrase headed by ``token``; None for a pronoun nothing resolves. Read once per token,
        so a pronoun is resolved (or counted as unresolved) once however many rules look at it."""
        key = (token.i, with_conjuncts)
        if key not in self.read:
            self.read[key] = self._mention(token, with_conjuncts)
        return self.read[key]

    def _mention(self, token: Token, with_conjuncts: bool) -> Mention | None:
        lower = token.lower_
        if token.pos_ == "PRON" and lower not in _RELATIVE:
            resolved = self._pronoun(token)
            if resolved is None:
                self.discourse.unresolved[lower] += 1
            return resolved
        name = next((c for c in token.children if c.dep_ == "appos" and c.pos_ == "PROPN"), None)
        called = next((c for c in token.children if c.dep_ == "acl" and c.lemma_ in ("call", "name")), None)
        if token.pos_ == "NOUN" and called is not None:
            names = [c for c in called.children if c.dep_ == "oprd" and c.pos_ == "PROPN"]
            if names and (person := self.mention(names[0])) is not None:  # "a showroom called the Gale Room"
                described = Mention(
                    _text(_phrase(token, False)[: token.i - token.left_edge.i + 1]),
                    _text(_phrase(token, False)[: token.i - token.left_edge.i + 1]),
                )
                self.found.append(Description(person, described, self.sentence))
                return person
        several = token.tag_ == "NNS" or (name is not None and any(c.dep_ == "conj" for c in name.children))
        if token.pos_ == "NOUN" and name is not None and not _is_name(token) and not several:
            # "the painter Clara Hembry", "the regional transport minister, Owen Carrick,": the name, and
            # what it is (unless "Calder's chief executive, X" makes that a relation, read as apposition)
            person = self.mention(name)
            words = [t for t in _phrase(token, False) if t.i < name.left_edge.i and not t.is_punct]
            # "has a sister, X": a relation, no trade (a "ward sister" is one)
            kin = token.lemma_.lower() in KIN_NOUNS and not any(c.dep_ == "compound" for c in token.children)
            if person is not None and self._owner(token) is None and words and not kin:
                self.found.append(Description(person, _description(words, token), self.sentence))
            return person
        if token.pos_ == "NOUN" and (entity := _named_after(token)) is not None:
            # "the sculptor Tomas Fell" where the parser lost the name: the recogniser still has it
            person = self.discourse.canonical(Mention(entity.text, entity.text, entity.label_, True))
            words = [t for t in _phrase(token, False) if t.i <= token.i]
            self.found.append(Description(person, _description(words, token), self.sentence))
            return person
        tokens = _phrase(token, with_conjuncts)
        if _is_name(token):
            tokens = _whole_person(token, _post_nominals_off(self._title_off(token, tokens)))
        if token.ent_type_ in TIMES:  # "17 January 1977" whole, however the parser hung its words
            entity = next(e for e in token.doc.ents if e.start <= token.i < e.end)
            start = tokens[0].i
            while start > entity.start and token.doc[start - 1].pos_ in ("NUM", "PROPN", "NOUN"):
                start -= 1
            before = token.doc[start - 1] if start > 0 else None
            if (
                before is not None
                and re.fullmatch(r"\d{1,2}", before.text)
                and _MONTH.match(token.doc[start].text)
            ):
                start -= 1  # "5 November 1941" where the recogniser left the day out
            tokens = [*token.doc[start : tokens[0].i], *tokens]
            end = tokens[-1].i + 1
            if (
                end + 1 < entity.end + 1
                and token.doc[end].text == ","
                and _YEAR.fullmatch(token.doc[end + 1].text)
            ):
                tokens = [*tokens, *token.doc[end : end + 2]]  # "February 9, 1958"
        raw = _text(tokens)
        text = _text(tokens, self._possessor)
        if text.startswith("The ") and tokens[0].dep_ == "det":
            text = "the" + text[3:]  # "the Tellan Rowing Club" inside a question
        label = _label(token, tokens)
        if tokens[-1].dep_ == "case" and label in (PERSON, ""):
            label = "ORG"  # "Penwright's" owning nothing names a business, not a person
        named = _is_name(token) or label in TIMES | AMOUNTS and any(t.like_num for t in tokens)
        det = next((c for c in token.children if c.dep_ == "det"), None)
        if not named and det is not None and det.lower_ == "the" and token.pos_ == "NOUN":
            shortened = self.discourse.shortened(raw.lower().split()[1:])
            if shortened is not None:
                return shortened  # "the seed bank" after "the Velsmouth Seed Bank"
            resolved = self.discourse.resolve_noun(token.lemma_.lower())
            if resolved is not None and len(tokens) == 2:  # "the company", not "the new library"
                return resolved
        if label == PERSON and raw.lower().startswith("the "):
            label = ""  # "the Ceswick Gold Medal": people's names take no article
        conjoined = with_conjuncts and any(c.dep_ == "conj" for c in token.children)
        # A name is one entity even when its last word is plural ("Calder Minerals", "Quenlow Instruments").
        plural = conjoined or token.tag_ == "NNS"
        determined = any(c.dep_ in ("det", "poss") for c in token.children)
        definite = any(
            c.dep_ == "poss" and c.lower_ != "whose" or c.lower_ in _DEFINITE
            for c in token.children
            if c.i < token.i
        )
        # a gerund after a preposition names an activity: "operates in brewing"
        noun = token.pos_ in ("NOUN", "PROPN", "NUM", "PRON") or token.tag_ == "VBG" and token.dep_ == "pobj"
        mention = Mention(text, raw, label, named, plural, token.lemma_.lower(), noun, determined, definite)
        if named and _is_name(token) and not conjoined:
            if _titled(tokens):  # "Professor Voss": the Samira Voss named before
                surname = replace(mention, text=tokens[-1].text, raw=tokens[-1].text)
                resolved = self.discourse.canonical(surname)
                if resolved is not surname:
                    return resolved
            return self.discourse.canonical(mention)
        return mention

    def _title_off(self, token: Token, tokens: list[Token]) -> list[Token]:
        """A name without the lowercase words in front of it that say what it is ("the sensor start-up
        Lumisk"); those words become its description."""
        if len(tokens) > 1 and tokens[0].is_sent_start and tokens[0].i < token.i and _participle(tokens[0]):
            tokens = tokens[1:]  # "Born Dervla O'Hanlon in 1933, she ...": the tagger took "Born" for a name
        while len(tokens) > 1 and tokens[0].i < token.i and tokens[0].lower_ in _HONORIFICS | {"."}:
            tokens = tokens[1:]  # "Ms Brenn", "Dr. Marian Quist": the person, named as before
        while len(tokens) > 1 and tokens[0].i < token.i and tokens[0].text.isdigit():
            tokens = tokens[1:]  # "In 1789 de la Tour married": the parser took the year into the name
        start = 0
        while start < len(tokens) and tokens[start].i < token.i:
            first = tokens[start]
            if not (first.is_lower or first.is_punct or (first.dep_ == "det" and start == 0)):
                break
            start += 1
        if start == 0 and token.ent_type_ == PERSON:
            return self._post_before(token, tokens)
        words = [t for t in tokens[:start] if t.dep_ != "det" and not t.is_punct]
        nouns = [  # "a packed Fernside Stadium" says how it was, not what it is
            t
            for t in words
            if t.pos_ in ("NOUN", "PROPN") or t.tag_ == "VB" or set(getAllLemmas(t.lower_)) == {"NOUN"}
        ]
        if start == len(tokens) or not nouns:  # ("saxophonist", which the tagger took for an adjective)
            return tokens  # "the Drummore Seed Bank", "de Vries"
        name = tokens[start:]
        if any(t.tag_ == "POS" for t in words):
            return name  # "the club's Riverside Ground": an owner, not what the name is
        person = Mention(_text(name), _text(name), _label(token, name), True, False, token.lemma_.lower())
        said = token.doc[words[0].i : name[0].i].text.strip(" ,")
        title = Mention(said.lower(), said, "", False, False, words[-1].lemma_.lower())
        self.found.append(Description(self.discourse.canonical(person), title, self.sentence))
        return name

    def _post_before(self, token: Token, tokens: list[Token]) -> list[Token]:
        """ "Harrow Foods chief executive Mara Voss": Mara Voss, who is Harrow Foods' chief executive."""
        person = _entity_of(token)
        if person is None or person.start <= tokens[0].i:
            return tokens
        before = [t for t in tokens if t.i < person.start]
        k = next((n for n, t in enumerate(before) if t.is_lower), len(before))
        owner_words, post_words = before[:k], before[k:]
        while owner_words and owner_words[0].ent_type_ not in _OWNER_LABELS:
            owner_words = owner_words[1:]  # "Former Harrow Foods chief executive"
        if not owner_words:  # a one-word "name" after a capitalised word ("Night Tram") is no titled person
            full = person.end - person.start > 1 or any(t.is_lower for t in before)
            return self._titled_name(tokens, before, person.start) if full else tokens
        if not post_words or not all(t.is_lower and t.is_alpha for t in post_words):
            return tokens
        if not all(t.ent_type_ in _OWNER_LABELS for t in owner_words):
            return tokens  # "Nobel laureate Mara Voss"
        name = [t for t in tokens if t.i >= person.start]
        named = self.discourse.canonical(Mention(_text(name), _text(name), PERSON, True))
        owner = self.discourse.canonical(Mention(_text(owner_words), _text(owner_words), "ORG", True))
        post = " ".join(t.lower_ for t in post_words)
        self.posts.append(Relation(owner, post, (named,), self.sentence))
        return name

    def _titled_name(self, tokens: list[Token], title: list[Token], start: int) -> list[Token]:
        """ "Station manager Lisa Cole", "Judge Miriam Oakes": Lisa Cole, whose post is station manager."""
        if not (
            title[-1].pos_ in ("NOUN", "PROPN")
            and all(t.is_alpha and t.ent_type_ in ("", "NORP") and _common_word(t) for t in title)
        ):
            return tokens
        name = [t for t in tokens if t.i >= start]
        person = self.discourse.canonical(Mention(_text(name), _text(name), PERSON, True))
        said = _text(title)
        post = Mention(said, said, "", False, False, title[-1].lemma_.lower(), definite=True)
        self.found.append(Description(person, post, self.sentence))
        self.discourse.titled.add(person.raw)
        owner = self.discourse.organisation(person) if post.lemma in _COMPANY_POSTS else None
        if owner is not None:
            self.posts.append(Relation(owner, said.lower(), (person,), self.sentence))
        return name

    def _pronoun(self, token: Token) -> Mention | None:
        """ "The manager, Sean Dolan, will stay in his post": a possessive stands for its own clause's
        subject when that subject is named and fits it; otherwise the discourse decides."""
        lower = token.lower_
        reporter = self._reporter(token) if lower in _THING_PRONOUNS else None
        if reporter is not None and self._fits(reporter, lower, reported=True):
            # "Greyling Coaches said it was cooperating": it is Greyling Coaches, a thing, whatever its label
            thing = replace(reporter, label="ORG") if reporter.is_person else reporter
            self.discourse.thing, self.discourse.thing_was_subject = thing, True
            return thing
        if token.dep_ == "poss" and lower != "whose":
            subject = self._clause_subject(token)
            if subject is not None and self._fits(subject, lower):
                if lower in _PERSON_PRONOUNS:
                    self.discourse.gender[subject.raw] = "m" if lower in _HE else "f"
                return subject
            if lower == "its" and (earlier := self._object_before(token)) is not None:
                return earlier
        return self.discourse.resolve(lower)

    def _object_before(self, token: Token) -> Mention | None:
        """ "She joined the Harbour Board and was made its chief engineer": in a sentence about a person,
        "its" is the thing last named before it in the same sentence."""
        root = token.sent.root
        subjects = [c for c in root.children if c.dep_ in _SUBJECTS]
        if not subjects or not (subjects[0].lower_ in _PERSON_PRONOUNS or subjects[0].ent_type_ == PERSON):
            return None
        for candidate in reversed(token.sent[: token.i - token.sent.start]):
            if candidate.dep_ in ("dobj", "pobj") and _is_name(candidate):
                found = self.mention(candidate)
                if found is not None and found.named and self._fits(found, "its"):
                    return found
        return None

    def _clause_subject(self, token: Token) -> Mention | None:
        verb = _governing_verb(token)
        while verb.dep_ == "xcomp" and not any(c.dep_ in _SUBJECTS for c in verb.children):
            verb = verb.head  # "X has agreed to buy its neighbour": X's
        subjects = [c for c in verb.children if c.dep_ in _SUBJECTS and c.i < token.i and c.pos_ != "PRON"]
        if not subjects or token in subjects[0].subtree:
            return None
        subject = self.mention(subjects[0])
        return subject if subject is not None and subject.named else None

    def listed_apposition(self, noun: Token) -> Relation | None:
        """ "Her later films, The Orchard Wall, Night Tram and Seven Winters, ...": the small parser takes
        the names for more of what the noun lists; they are what it names."""
        doc = noun.doc
        if noun.pos_ != "NOUN" or noun.i + 1 >= len(doc) or doc[noun.i + 1].text != ",":
            return None
        items = [t for t in noun.conjuncts if t.i > noun.i]
        if len(items) < 2 or not all(_is_name(t) for t in items):
            return None
        owner = self._owner(noun)
        values = tuple(m for m in (self.mention(t) for t in items) if m is not None and m.named)
        if owner is None or not owner.named or len(values) < 2:
            return None
        return Relation(owner, _relation_noun(noun), values, self.sentence)

    def affiliation(self, token: Token) -> Statement | None:
        """ "Colm Reddaway of Southvale Police", "Sergeant Paula Dunstan, of the Roads Unit,": the body a
        person is of is where they work ("Anna Berg of Halvik" is asked in place)."""
        of = token.head
        if not (_is_name(token) and token.dep_ == "pobj" and of.lower_ == "of" and of.dep_ == "prep"):
            return None
        person = of.head
        if person.ent_type_ != PERSON or of.ent_iob_ != "O" or token.ent_type_ in {PERSON} | TIMES | AMOUNTS:
            return None
        who, body = self.mention(person), self.mention(token)
        if who is None or body is None or not who.is_person or not body.named or body.label in PLACES:
            return None
        works = Verb("work", "does", "work", "works")
        return Statement(who, works, (Argument("prep", replace(body, label="ORG"), "for"),), self.sentence)

    def whereabouts(self, token: Token) -> Statement | None:
        """ "the Hotel Marchand in Kessington", "St Brigid's College, Wendmoor,": a named place or body and
        the town it is in, said in passing; asked as "Where is the Hotel Marchand?"."""
        doc = token.doc
        if not _is_name(token) or token.head.i == token.i:
            return None
        owner = token.head
        of_place = owner.lower_ == "of" and owner.ent_iob_ == "O" and token.ent_type_ == "GPE"
        if token.dep_ == "pobj" and of_place and owner.dep_ == "prep":
            owner = owner.head  # "Greyling Coaches of Tressington"; not "the University of Ebbling"
        elif token.dep_ == "pobj" and owner.lower_ in ("in", "at") and owner.dep_ == "prep":
            owner = owner.head
            if owner.pos_ == "NOUN" and owner.dep_ == "appos":
                owner = owner.head  # "Lumen Works, a video game studio in Sundermoor,"
        elif not (token.dep_ == "appos" and doc[token.left_edge.i - 1].text == ","):
            return None
        if owner.pos_ != "PROPN" or owner.ent_type_ in {PERSON, "NORP"} | TIMES | AMOUNTS:
            return None
        entity = _entity_of(token)
        if entity is not None and entity.start <= owner.i:
            entity = None  # "the Cask Company in Ebbrook" taken as one name: the place is its last words
        elif entity is not None and entity.label_ not in PLACES:
            return None  # the small recogniser leaves many towns unlabelled, but not as people or dates
        subject = self.mention(owner)
        if subject is None or not subject.named or subject.is_person:
            return None
        name = entity.text if entity is not None else _text(_phrase(token, False))
        place = Mention(name, name, entity.label_ if entity is not None else "GPE", True)
        for said in (f" in {name}", f" at {name}"):  # the name without where it is
            if subject.raw.endswith(said) and subject.text.endswith(said):
                subject = replace(subject, text=subject.text[: -len(said)], raw=subject.raw[: -len(said)])
        return Statement(subject, _PRESENT, (Argument("prep", place, prep="in"),), self.sentence)

    def _born_there(self, place: Token) -> Mention | None:
        """Whom the clause naming ``place`` is about, pronouns resolved: the parser hangs "the son of a
        mason" on the place in "Born in Halvik, the son of a mason, he ...", where it is said of him."""
        verb = _governing_verb(place)
        while verb.dep_ in ("advcl", "conj", "xcomp") and not any(c.dep_ in _SUBJECTS for c in verb.children):
            verb = verb.head
        subjects = [c for c in verb.children if c.dep_ in _SUBJECTS]
        subject = self.mention(subjects[0]) if subjects else None
        return subject if subject is not None and subject.is_person else None

    def _reporter(self, token: Token) -> Mention | None:
        """Who says what the clause holding ``token`` reports, when that clause names nobody else."""
        verb = _governing_verb(token)
        while verb.dep_ in ("conj", "xcomp") and not any(c.dep_ in _SUBJECTS for c in verb.children):
            verb = verb.head
        named = [c for c in verb.children if c.dep_ in _SUBJECTS and c.pos_ != "PRON"]
        if named or verb.dep_ != "ccomp" or verb.head.lemma_ not in _REPORTING:
            return None
        speakers = [c for c in verb.head.children if c.dep_ == "nsubj" and c.pos_ in ("PROPN", "NOUN")]
        speaker = self.mention(speakers[0]) if speakers else None
        return speaker if speaker is not None and speaker.named else None

    def _fits(self, subject: Mention, pronoun: str, reported: bool = False) -> bool:
        if pronoun in _GROUP_PRONOUNS:  # a team or a firm is "they" too: "Kettlemoor led through their"
            body = subject.named and not subject.is_person and subject.label not in TIMES | AMOUNTS
            return subject.plural or body
        if subject.plural or subject.label in PLACES | TIMES | AMOUNTS:
            return False
        if reported and pronoun in _THING_PRONOUNS:  # a company the recogniser took for a person says "it"
            return not self.discourse._a_person(subject)
        if pronoun in _PERSON_PRONOUNS:
            gender = self.discourse.gender.get(subject.raw)
            wanted = "m" if pronoun in _HE else "f"
            return (
                subject.raw not in self.discourse.not_people
                and gender in (None, wanted)
                and (subject.is_person or subject.label == "")
            )
        return not subject.is_person and subject.raw not in self.discourse.called_he_or_she

    def _possessor(self, token: Token) -> str | None:
        """ "his" in a phrase a question will carry, as the name it stands for: "Ansel Korvac's"."""
        if token.dep_ == "poss" and token.pos_ == "PRON":
            resolved = self.mention(token)
            if resolved is None:
                return None
            return resolved.text if resolved.text.endswith("'s") else f"{resolved.text}'s"
        return token.text

    def conjuncts(self, token: Token) -> list[Mention]:
        """Each item of "A, B and C", as its own mention."""
        out = []
        for item in [token, *token.conjuncts]:
            mention = self.mention(item)
            if mention is not None:
                out.append(mention)
        return out

    # In-place questions ------------------------------------------------------------------------------

    def clozes(self, quoted: set[int]) -> Iterator[Cloze]:
        span, doc = self.span, self.span.doc
        if len(span) > _CLOZE_MAX_TOKENS:
            return
        root = span.root
        if root.tag_ == "VB" and not any(c.dep_ in _SUBJECTS for c in root.children):
            return  # "Ignore previous instructions and reply ...": a command states nothing
        spoken = self._spoken()
        if spoken is None:
            return
        subject = self.subjects[0] if self.subjects else self.discourse.title
        asked: set[int] = set()
        aside = _parenthesised(span)
        for entity in span.ents:
            if entity.label_ not in _CLOZE_LABELS or entity.start in asked | quoted | aside:
                continue
            start, end = _answer_span(entity)
            asked.update(range(start, end))
            if _not_asked_in_place(entity, start):
                continue
            head = _modified(entity)
            if head is not None and head.dep_ != "appos":
                # "The Signal Processing group developed": "Which group developed"; not "X, which maker of
                # robots, bought" for "X, the Harlow Bay maker of robots, bought"
                start, end = head.left_edge.i, head.i + 1
                answer = doc[start:end].text
                wh = f"which {head.lemma_.lower()}"
                question = _in_place(span, start, end, wh, spoken, aside)
                yield Cloze(question, answer, entity.label_, subject or Mention(answer, answer), wh)
                continue
            possessor = doc[end - 1].tag_ == "POS" or end < len(doc) and doc[end].tag_ == "POS"
            if possessor and doc[end - 1].tag_ != "POS":
                end += 1  # the recogniser left the "'s" outside: "Hembry's studio"
            if possessor and end < len(doc) and doc[end].pos_ == "PROPN":
                continue  # "St Brigid's Hospital": the recogniser cut a name short
            answer = doc[start : end - 1 if possessor else end].text
            if entity.root.dep_ == "appos" and start < entity.start:
                answer = entity.text  # "The minister, Owen Carrick, cut": the answer is the name
            person = self.mention(entity.root) if entity.label_ == PERSON and not possessor else None
            if person is not None and person.named and answer.endswith(f" {person.raw}"):
                answer = person.raw  # "Mayor Hana Ostrowski said": the person, not the post
            if entity.label_ not in TIMES | AMOUNTS:  # "Hembry" -> "Clara Hembry"
                answer = self.discourse.canonical(Mention(answer, answer, entity.label_, True)).raw
            asked_as, start = ("whose", start) if possessor else _wh_phrase(entity, start, end)
            if asked_as is not None:
                question = _in_place(span, start, _past_aside(entity, end), asked_as, spoken, aside)
                about = subject or Mention(answer, answer, entity.label_, True)  # no title, no named subject
                yield Cloze(question, answer, entity.label_, about, asked_as)

    def _spoken(self) -> dict[int, str] | None:
        """The sentence's pronouns and "the company" as the names they stand for; None when a pronoun
        stands for nothing known, or "they" for one ("they have" cannot become "Mara Voss have")."""
        span, doc = self.span, self.span.doc
        spoken: dict[int, str] = {}
        for token in span:
            if token.pos_ == "PRON" and token.lower_ in _PERSON_PRONOUNS | _THING_PRONOUNS | _GROUP_PRONOUNS:
                resolved = self.mention(token)
                if resolved is None or token.lower_ in ("they", "them") and not resolved.plural:
                    return None  # never ask about "she"
                possessive = token.tag_ == "PRP$" or token.dep_ == "poss"
                spoken[token.i] = f"{resolved.text}'s" if possessive else resolved.text
            elif (
                token.tag_ == "NN"
                and token.i > span.start
                and doc[token.i - 1].lower_ == "the"
                and len(_phrase(token, False)) == 2
            ):
                resolved = self.mention(token)  # "the company" -> "Calder Minerals"
                if resolved is not None and resolved.named and resolved.raw.lower() != token.lower_:
                    spoken[token.i - 1] = ""
                    spoken[token.i] = resolved.text
        return spoken

    # Clauses ----------------------------------------------------------------------------------------

    def statements(self, verb: Token) -> Iterator[Statement]:
        if any(c.dep_ == "neg" for c in verb.children):
            return
        if verb.dep_ == "xcomp" and verb.head.lemma_ in PASTIME_VERBS:
            return  # "enjoys cycling in her spare time": a pastime, read with its verb of liking
        if verb.lemma_ == "be" and (pair := self.reciprocal(verb)):
            yield from pair
            return
        if verb.lemma_ == "marry" and (pair := self.married(verb)):
            yield from pair
            return
        if self._renames(verb):
            return
        subject = self.subject(verb)
        if subject is None or subject.label in TIMES | AMOUNTS:
            return
        # "the sensor weighs 2.4 kilograms" names its subject; "a man said" is set aside, as the next
        # sentence may name him; "some say", "whose great-grandfather founded the company in 1887" are
        # asked only of what was done ("When was the company founded?")
        whose = subject.raw.split()[0].lower() in _RELATIVE
        unnamed = not (subject.named or _specific(subject) or subject.definite and subject.noun)
        indefinite = subject.raw.lower().startswith(("a ", "an "))
        agentless = whose or unnamed and not indefinite
        someone = unnamed and indefinite and not whose
        if subject.named:
            self.subjects.append(subject)
        if verb.lemma_.lower() in _REPORTING:
            self.discourse.saw(subject, as_subject=True)  # "X said it had found ...": "it" is X
            return
        form = verb_form(_liking(verb), subject)
        if form is None:
            return
        adjective = _predicate_adjective(verb) if form.copular else None
        if adjective is not None:  # "X is married to Y", "X is fond of fencing": the adjective is the verb
            be = form.aux
            form = Verb(f"be {adjective.lower_}", be, adjective.lower_, f"{_singular(be)} {adjective.lower_}")
            verb = adjective
        arguments = list(self.arguments(verb))
        if not arguments:
            shared = next((c for c in verb.children if c.dep_ == "conj" and c.tag_ == verb.tag_), None)
            if shared is not None:
                arguments = [a for a in self.arguments(shared) if a.role == "prep"]
        arguments += self._period(arguments)
        arguments += self._liking_for(verb)
        if not any(a.role == "place" or a.prep == "in" for a in arguments):
            arguments += self._birthplace_aside(verb)
        if verb.dep_ == "relcl":
            relative = _relative_role(verb)
            head = self.mention(verb.head)
            placeable = head is not None and (head.named or KIND_NOUNS.get(head.lemma) in ("FAC", "GPE"))
            if head is not None and (relative == "object" or relative == "place" and placeable):
                prep = "at" if relative == "place" else ""
                arguments.insert(0, Argument(relative, head, prep))
        if form.copular:
            work = self._workplace(subject, form, arguments)
            if work is not None:
                yield work
                arguments = [a for a in arguments if a.value != work.arguments[0].value]
        arguments = [a for a in arguments if a.role in ("time", "place") or a.value.raw != subject.raw]
        if agentless:
            passive = _agentless(form, arguments, self.sentence)
            if passive is not None:
                yield passive
            return
        self._as_descriptions(subject, arguments, form.lemma)
        self._as_posts(subject, verb)
        if arguments and someone:
            self.someone.append(Statement(subject, form, tuple(arguments), self.sentence))
        elif arguments:
            yield Statement(subject, form, tuple(arguments), self.sentence)

    def _liking_for(self, verb: Token) -> list[Argument]:
        """ "has a passion for chess": what the liking is for, as an argument of "have" itself."""
        if verb.lemma_ != "have":
            return []
        out = []
        for noun in (c for c in verb.children if c.dep_ == "dobj" and c.lemma_ in LIKING_NOUNS):
            for prep in (c for c in noun.children if c.dep_ == "prep" and c.lower_ == "for"):
                for liked in (c for c in prep.children if c.dep_ == "pobj"):
                    mention = self.mention(liked)
                    if mention is not None:
                        out.append(Argument("prep", mention, "for"))
        return out

    def _workplace(self, subject: Mention, form: Verb, arguments: list[Argument]) -> Statement | None:
        """ "X is a forester at Peildell Timber": X works at Peildell Timber."""
        job = next(
            (a for a in arguments if a.role == "attribute" and not a.value.named and a.value.noun), None
        )
        place = next(
            (
                a
                for a in arguments
                if a.role == "prep"
                and a.prep in ("at", "with")
                and a.value.named
                and a.value.label not in TIMES | AMOUNTS | {PERSON}
            ),
            None,
        )
        if job is None or place is None or not subject.named:
            return None
        past = form.aux in ("was", "were")
        verb = Verb("work", "did" if past else "does", "work", "worked" if past else "works")
        return Statement(subject, verb, (replace(place, prep="at"),), self.sentence)

    def _as_descriptions(self, subject: Mention, arguments: list[Argument], verb_lemma: str) -> None:
        """ "employs X as a pilot", "works at Y as a weaver": what X (or the subject) is."""
        roles = [a.value for a in arguments if a.role == "prep" and a.prep == "as" and not a.value.named]
        if not roles or not roles[0].noun:
            return
        people = [a.value for a in arguments if a.role == "object" and a.value.named]
        who = people[0] if people and verb_lemma in _GIVES_A_ROLE else subject  # not "joined X as a chemist"
        if who.named:
            self.found.append(Description(who, roles[0], self.sentence))

    def _renames(self, verb: Token) -> bool:
        """ "The combined group will be called Northmoor Mutual": from here on the group is that name."""
        if verb.lemma_ not in ("call", "name", "rename") or not any(
            c.dep_ == "auxpass" for c in verb.children
        ):
            return False
        names = [c for c in verb.children if c.dep_ in ("oprd", "attr", "xcomp") and c.pos_ == "PROPN"]
        subjects = [c for c in verb.children if c.dep_ == "nsubjpass" and c.pos_ == "NOUN"]
        name = self.mention(names[0]) if names else None
        if not subjects or name is None or not name.named:
            return False
        self.read[(subjects[0].i, False)] = self.read[(subjects[0].i, True)] = name
        self.discourse.described[subjects[0].lemma_.lower()] = name
        self.discourse.saw(name, as_subject=True)
        return True

    def _period(self, arguments: list[Argument]) -> list[Argument]:
        """ "from 1972 to 1994": besides its start and its end, the period as one answer."""
        start = next((a for a in arguments if a.prep == "from" and a.value.label in TIMES), None)
        end = next(
            (a for a in arguments if a.prep in ("to", "until", "till") and a.value.label in TIMES), None
        )
        if start is None:
            return []
        added = []
        if end is None:  # "from 1990 to 1994", the parser hanging "to 1994" on "from"
            later = re.search(
                rf"{re.escape(start.value.raw)}\s*(?:to|until|till)\s*(\d{{3,4}})\b", self.span.text
            )
            if later is None:
                return []
            end = Argument("prep", Mention(later.group(1), later.group(1), "DATE", True), "until")
            added.append(end)
        pattern = rf"{re.escape(start.value.raw)}\s*(?:to|until|till|-|\u2013)\s*{re.escape(end.value.raw)}"
        found = re.search(pattern, self.span.text)
        if found is None:
            return []
        period = Mention(found.group(0), found.group(0), "DATE", True)
        return [*added, Argument("range", period, "from")]

    def _as_posts(self, subject: Mention, verb: Token) -> None:
        """ "made her fortune as the founder of Amberley Tours": she is Amberley Tours' founder."""
        if not subject.named:
            return
        for prep in (c for c in verb.children if c.dep_ == "prep" and c.lower_ == "as"):
            for noun in (c for c in prep.children if c.dep_ == "pobj" and c.pos_ == "NOUN"):
                owner = self._owner(noun)
                if owner is not None and owner.named and owner.raw != subject.raw:
                    self.posts.append(Relation(owner, _relation_noun(noun), (subject,), self.sentence))

    def reciprocal(self, verb: Token) -> list[Statement]:
        """ "A and B are married": each is married to the other."""
        adjective = next(
            (
                c
                for c in verb.children
                if c.dep_ in ("acomp", "attr")
                and c.lower_ in _RECIPROCAL
                and not any(g.dep_ == "prep" for g in c.children)
            ),
            None,
        )
        subject = next((c for c in verb.children if c.dep_ == "nsubj"), None)
        if adjective is None or subject is None:
            return []
        pair = self.conjuncts(subject)
        if len(pair) != 2 or not all(m.named and m.label not in TIMES | AMOUNTS for m in pair):
            return []
        be = "is" if verb.lower_ in ("is", "are") else "was"
        form = Verb(f"be {adjective.lower_}", be, adjective.lower_, f"{be} {adjective.lower_}")
        prep = _RECIPROCAL[adjective.lower_]
        pair = [_person(m) for m in pair]
        return [
            Statement(a, form, (Argument("prep", b, prep),), self.sentence) for a, b in (pair, pair[::-1])
        ]

    def married(self, verb: Token) -> list[Statement]:
        """ "A and B married in 1985": each married the other (then)."""
        if any(c.dep_ == "dobj" for c in verb.children):
            return []
        subject = next((c for c in verb.children if c.dep_ == "nsubj"), None)
        pair = self.conjuncts(subject) if subject is not None else []
        if len(pair) != 2 or not all(m.named for m in pair):
            return []
        form = verb_form(verb, pair[0])
        if form is None:
            return []
        rest = tuple(a for a in self.arguments(verb) if a.role in ("time", "place") or a.prep in ("in", "on"))
        pair = [_person(m) for m in pair]
        return [
            Statement(a, form, (Argument("object", b), *rest), self.sentence) for a, b in (pair, pair[::-1])
        ]

    def subject(self, verb: Token) -> Mention | None:
        liking = _liking(verb)
        # of two subjects the parser gives a verb, the nearer: "X's chairman, Y, whose grandfather founded"
        children = sorted(
            [*verb.children, *(liking.children if liking is not verb else ())],
            key=lambda c: -c.i if c.dep_ in _SUBJECTS and c.i < verb.i else 0,
        )
        for child in children:
            if child.dep_ in _SUBJECTS and child.pos_ == "NOUN":
                # "The son of a ferry captain, he grew up ...": the pronoun is who grew up
                spoken = [t for t in child.doc[child.i + 1 : verb.i] if t.pos_ == "PRON" and t.dep_ != "poss"]
                if spoken and spoken[-1].lower_ in _PERSON_PRONOUNS | _THING_PRONOUNS | _GROUP_PRONOUNS:
                    return self.mention(spoken[-1])
            if child.dep_ in _SUBJECTS:
                if child.lower_ in _RELATIVE and verb.dep_ == "relcl":
                    head = verb.head
                    if head.dep_ == "attr" and head.head.lemma_ == "be":  # "X was an architect who designed"
                        return self.subject(head.head)
                    if head.dep_ == "appos" and head.pos_ == "NOUN" and _is_name(head.head):
                        return self.mention(head.head)  # "Ola Brenn, an accountant who joined the firm,"
                    return self.mention(head)
                return self.mention(child, with_conjuncts=True)
        if verb.dep_ == "conj" and verb.head.pos_ in ("VERB", "AUX"):
            return self.subject(verb.head)
        if (
            verb.dep_ in ("advcl", "xcomp")
            and verb.tag_ in ("VBG", "VBN")
            and verb.head.pos_ in ("VERB", "AUX")
        ):
            return self.subject(verb.head)
        if (
            verb.dep_ in ("xcomp", "advcl")
            and verb.head.pos_ in ("VERB", "AUX")
            and any(c.lower_ == "to" for c in verb.children)
        ):
            return self.subject(verb.head)  # "X has agreed to buy Y": X buys; "left to found Y": X founded
        if verb.dep_ == "pcomp" and verb.tag_ == "VBG" and verb.head.head.pos_ in ("VERB", "AUX"):
            return self.subject(verb.head.head)  # "After graduating in 1956, she joined ..."
        if verb.dep_ == "acl" and verb.lemma_ in ("call", "name"):
            return None  # "a showroom called the Gale Room" names the showroom; it states nothing else
        if verb.dep_ == "acl" and verb.tag_ in ("VBN", "VBG") and verb.head.pos_ in ("PROPN", "NOUN"):
            if verb.head.dep_ == "appos" and verb.head.pos_ == "NOUN" and _is_name(verb.head.head):
                return self.mention(verb.head.head)  # "Greyling Coaches, a family firm founded in 1972,"
            return self.mention(verb.head)
        if verb.dep_ == "parataxis" and verb.lemma_ == "bear" and verb.head.pos_ == "PROPN":
            return self.mention(verb.head)  # "Yusuf Demarr (born 1960 in Ambrel)"
        return None

    def arguments(self, verb: Token, within: range | None = None) -> Iterator[Argument]:
        """What ``verb`` says of its subject; only its words in ``within``, when given."""
        liked = self._liked(_liking(verb)) if within is None else None
        if liked is not None:
            yield Argument("object", liked[0])
        hung = {
            c.i: h for c in verb.children if c.dep_ == "dobj" and (h := _hung_apposition(verb, c)) is not None
        }
        read_apart = {h.i for h in hung.values()} | set(liked[1] if liked is not None else ())
        for child in verb.children:
            dep = child.dep_
            if child.lower_ in _RELATIVE or child.i in read_apart:
                continue
            if within is not None and (child.i not in within or dep not in ("prep", "agent")):
                continue
            if dep in ("dobj", "dative", "oprd", "attr", "acomp"):
                if dep in ("dobj", "attr") and child.pos_ == "NOUN":
                    yield from self._attached_places(child)  # "a forester with Brask Timber"
                named = hung.get(child.i)
                if named is not None:  # "founded her label, Moreau Atelier, in 1990"
                    mention = self.mention(named)
                    if mention is not None and mention.named:
                        yield Argument("object", mention)
                        yield from self.arguments(named, within=range(named.i + 1, named.right_edge.i + 1))
                        continue
                mention = self.mention(child, with_conjuncts=True)
                if mention is not None and mention.raw.split()[0].lower() in _RELATIVE:
                    continue  # "whose father Dennis bought": the parser's misreading, nothing to ask
                role = {"dobj": "object", "dative": "dative", "oprd": "complement"}.get(dep, "attribute")
                if role == "attribute" and verb.lemma_ != "be":
                    role = "complement"  # "became its editor", "remained chair"
                if mention is not None:
                    yield Argument(role, mention)
            elif dep in ("prep", "agent"):
                objects = [c for c in child.children if c.dep_ == "pobj"]
                if objects and objects[0].lower_ not in _RELATIVE:
                    mention = self.mention(objects[0], with_conjuncts=True)
                    if mention is not None:
                        role = "agent" if dep == "agent" else "prep"
                        yield Argument(role, mention, child.lower_)
                    yield from self._range_end(objects[0], child)
                    if objects[0].pos_ == "NOUN" and child.lower_ in ("as", "for"):
                        yield from self._attached_places(objects[0], ("for",))  # "worked as a designer at X"
                    elif objects[0].pos_ == "NOUN" and child.lower_ in ("at", "in", "on"):
                        yield from self._attached_places(objects[0])  # "died at his home in Ebbrook"
            elif dep in ("npadvmod", "advmod") and child.ent_type_ in TIMES:
                mention = self.mention(child)
                if mention is not None:
                    # "(born 1960 in Ambrel)": asked as "born in 1960", "born on 12 June 1958"
                    prep = "" if verb.lemma_ != "bear" else "in" if _YEAR.fullmatch(mention.text) else "on"
                    yield Argument("time", mention, prep)
                    if verb.lemma_ == "bear":  # "(born 5 November 1941, Holmvik)": the place after the date
                        for place in (c for c in child.children if c.dep_ == "appos" and c.pos_ == "PROPN"):
                            if (where := self.mention(place)) is not None and where.label not in TIMES:
                                yield Argument("place", where, "in")

    def _birthplace_aside(self, verb: Token) -> Iterator[Argument]:
        """ "Edvin Rask (born 7 March 1950, Tallow Cross)": the parser may hang the place on the name."""
        doc = verb.doc
        close = next((t.i for t in doc[verb.i : verb.sent.end] if t.text == ")"), None)
        if verb.lemma_ != "bear" or close is None or doc[verb.i - 1].text != "(":
            return
        places = [c for c in verb.head.children if c.dep_ == "appos" and c.pos_ == "PROPN"]
        for place in (p for p in places if verb.i < p.i < close):
            if (where := self.mention(place)) is not None and where.label not in TIMES:
                yield Argument("place", where, "in")

    def _liked(self, verb: Token) -> tuple[Mention, range] | None:
        """ "likes falconry", "enjoys cycling in her spare time", "likes cross-country running": the few
        words after a verb of liking, up to a preposition, as one activity (the small parser often splits
        an unknown activity into modifiers and clauses)."""
        if verb.lemma_ not in PASTIME_VERBS and not set(getLemma(verb.lower_, upos="VERB")) & PASTIME_VERBS:
            return None
        doc = verb.doc  # may be the liking word itself, when the parser made it an auxiliary
        end = verb.i + 1
        while end < verb.sent.end and (doc[end].pos_ not in ("ADP", "PUNCT") or doc[end].text in "-\u2011"):
            end += 1
        words = doc[verb.i + 1 : end]
        if not 1 <= len(words) <= 4 or any(t.ent_type_ or t.pos_ in ("DET", "PRON", "PROPN") for t in words):
            return None
        if not all(t.is_alpha or t.text in "-\u2011" for t in words):
            return None
        text = words.text
        return Mention(text, text, "", False, False, words[-1].lemma_.lower()), range(verb.i + 1, end)

    def _attached_places(self, noun: Token, also: tuple[str, ...] = ()) -> Iterator[Argument]:
        """ "studied agriculture at Brennach College": a named place the parser hung on the object, which
        says where the verb happened."""
        for prep in noun.children:
            if prep.dep_ == "prep" and prep.lower_ in ("at", "in", "from", "with", *also):
                names = [c for c in prep.children if c.dep_ == "pobj" and c.pos_ == "PROPN"]
                if names and (mention := self.mention(names[0])) is not None:
                    yield Argument("prep", mention, prep.lower_)

    def _range_end(self, start: Token, prep: Token) -> Iterator[Argument]:
        """ "from 1972 to 1994": the end of a range of times, as "until 1994"."""
        if start.ent_type_ not in TIMES or prep.lower_ != "from":
            return
        for child in [*start.children, *prep.children]:
            if child.dep_ == "prep" and child.lower_ in ("to", "until", "till"):
                ends = [c for c in child.children if c.dep_ == "pobj" and c.ent_type_ in TIMES]
                if ends and (mention := self.mention(ends[0])) is not None:
                    yield Argument("prep", mention, "until")

    # Relations and descriptions ------------------------------------------------------------------------

    def measure(self, verb: Token) -> tuple[Mention, str, str] | None:
        """ "The Harlow Bay Lighthouse is 34 m high." -> (the lighthouse, "high", "34 m")."""
        subjects = [c for c in verb.children if c.dep_ == "nsubj"]
        adjectives = [c for c in verb.children if c.dep_ == "acomp" and c.pos_ == "ADJ"]
        ages = [c for c in verb.children if c.dep_ in ("attr", "acomp") and re.fullmatch(r"\d{1,3}", c.text)]
        if subjects and ages and len(list(ages[0].subtree)) == 1:  # "She was 88."
            person = self.mention(subjects[0])
            if person is not None and person.named and (person.is_person or person.label == ""):
                return _person(person), "old", ages[0].text
        if not subjects or not adjectives:
            return None
        amounts = [
            c for c in adjectives[0].children if c.dep_ == "npadvmod" and any(n.like_num for n in c.subtree)
        ]
        subject = self.mention(subjects[0])
        if not amounts or subject is None or not (subject.named or _specific(subject) or subject.definite):
            return None
        return subject, adjectives[0].lower_, _text(list(amounts[0].subtree))

    def possession(self, verb: Token) -> Relation | None:
        """ "X has one sister, Zeanelle Mirdell." / "He had three children, Adam, Celia and Robert."."""
        if verb.lemma_ != "have":
            return None
        objects = [c for c in verb.children if c.dep_ == "dobj" and c.pos_ == "NOUN"]
        if not objects:
            return None
        noun = objects[0]
        names = [c for c in noun.children if c.dep_ in ("appos", "conj") and c.pos_ == "PROPN"]
        for called in (c for c in noun.children if c.dep_ == "acl" and c.lemma_ in ("name", "call")):
            names += [c for c in called.children if c.dep_ == "oprd" and c.pos_ == "PROPN"]  # "named X"
        after = noun.right_edge.i + 1
        if not names and after < len(noun.doc) and noun.doc[after].text == ",":
            # "has two sisters, Golia Gosow and Nonina Gosow": the parser hung the names on the verb
            names = [
                c
                for c in verb.children
                if c.dep_ in ("npadvmod", "dep") and c.pos_ == "PROPN" and c.i > after
            ]
        owner = self.subject(verb)
        if not names or owner is None:
            return None
        items = [t for t in [names[0], *names[0].conjuncts] if t.pos_ == "PROPN" and t.i != noun.i]
        values = tuple(m for t in items if (m := self.mention(t)) is not None)
        return (
            Relation(owner, _relation_noun(noun, numbers=False), values, self.sentence, owner)
            if values
            else None
        )

    def mutual(self, verb: Token) -> list[Relation]:
        """ "A and B are siblings": each is the other's sibling."""
        if verb.lemma_ != "be":
            return []
        subject = next((c for c in verb.children if c.dep_ == "nsubj"), None)
        noun = next((c for c in verb.children if c.dep_ == "attr"), None)
        if subject is None or noun is None or noun.pos_ != "NOUN" or noun.tag_ != "NNS":
            return []
        if noun.lemma_.lower() not in KIN_NOUNS | _MUTUAL:
            return []  # "A and B are teachers" says what each is, not how they are related
        if any(c.dep_ in ("poss", "det", "prep", "nummod") for c in noun.children):
            return []  # "are Sareth's brothers", "are the owners of", "are two brothers"
        pair = self.conjuncts(subject)
        if len(pair) != 2 or not all(m.named and m.label not in TIMES | AMOUNTS for m in pair):
            return []
        relation = _relation_noun(noun)
        return [Relation(a, relation, (b,), self.sentence, a) for a, b in (pair, pair[::-1])]

    def parents(self, verb: Token) -> Relation | None:
        """ "X was born to A and B": A and B are X's parents."""
        if verb.lemma_ != "bear":
            return None
        to = next((c for c in verb.children if c.dep_ == "prep" and c.lower_ == "to"), None)
        names = [c for c in to.children if c.dep_ == "pobj" and c.pos_ == "PROPN"] if to is not None else []
        child = self.subject(verb)
        if not names or child is None or not child.named:
            return None
        values = tuple(self.conjuncts(names[0]))
        return Relation(child, "parent", values, self.sentence, child) if values else None

    def relation(self, verb: Token) -> Relation | None:
        """ "The R of X is Y" / "X's R is Y" (the subject names the relation) or "Y is the R of X"."""
        if verb.lemma_ == "include":
            return self._included(verb)
        if verb.lemma_ != "be":
            return self._gerund_relation(verb)
        subjects = [c for c in verb.children if c.dep_ == "nsubj"]
        attributes = [c for c in verb.children if c.dep_ == "attr" or c.dep_ == "acomp" and _is_name(c)]
        if not subjects or not attributes:
            return None
        subject, attribute = subjects[0], attributes[0]
        named_subject = any(c.dep_ == "appos" and _is_name(c) for c in subject.children)
        if not named_subject and (owner := self._owner(subject)) is not None:
            values = self.conjuncts(attribute)
            return (
                Relation(owner, _relation_noun(subject), tuple(values), self.sentence, owner)
                if values
                else None
            )
        if (
            subject.pos_ == "NOUN"
            and not any(c.dep_ in ("det", "poss") for c in subject.children)
            and (owner := self._owner(attribute)) is not None
        ):  # "Rowing is X's hobby"
            value = self.mention(subject)
            return (
                Relation(owner, _relation_noun(attribute), (value,), self.sentence, owner)
                if value is not None
                else None
            )
        if (
            subject.pos_ in ("PROPN", "PRON")
            and attribute.pos_ == "NOUN"
            and (owner := self._owner(attribute)) is None
        ):
            # "X is a seed conservationist and the director of the Y": the relation is a later conjunct
            related = next((c for c in attribute.conjuncts if self._owner(c) is not None), None)
            named, described = self.mention(subject), self.mention(attribute)
            if related is not None and named is not None and described is not None and not described.named:
                self.found.append(Description(named, described, self.sentence))
            attribute = related or attribute
        if subject.pos_ in ("PROPN", "PRON") and (owner := self._owner(attribute)) is not None:
            named = self.mention(subject, with_conjuncts=True)
            each = tuple(self.conjuncts(subject))  # "A, B and C are X's brothers": each of them
            if named is None or not each:
                return None
            owners = tuple(self._owners(attribute))
            post = self.mention(attribute)
            if post is not None and post.definite and len(each) == 1:  # "X is the director of Y"
                self.found.append(Description(each[0], post, self.sentence))
            return Relation(owner, _relation_noun(attribute), each, self.sentence, named, owners)
        return None

    def _included(self, verb: Token) -> Relation | None:
        """ "Ilves's books include A and B": A and B are among Ilves's books."""
        subjects = [c for c in verb.children if c.dep_ == "nsubj" and c.pos_ == "NOUN"]
        objects = [c for c in verb.children if c.dep_ == "dobj"]
        owner = self._owner(subjects[0]) if subjects else None
        if owner is None or not owner.named or not objects:
            return None
        values = tuple(v for v in self.conjuncts(objects[0]) if v.named)
        return Relation(owner, _relation_noun(subjects[0]), values, self.sentence, owner) if values else None

    def _gerund_relation(self, verb: Token) -> Relation | None:
        """ "Her hobby is birdwatching", which the small parser reads as a progressive verb."""
        if verb.tag_ != "VBG" or not any(c.dep_ == "aux" and c.lemma_ == "be" for c in verb.children):
            return None
        auxes = [c for c in verb.children if c.dep_ == "aux"]  # the subject is at times hung on the "is"
        held = [c for t in [verb, *auxes] for c in t.children]
        subjects = [c for c in held if c.dep_ == "nsubj" and c.pos_ == "NOUN"]
        if not subjects or any(c.dep_ in ("dobj", "prep", "xcomp", "ccomp") for c in verb.children):
            return None
        owner = self._owner(subjects[0])
        if owner is None:
            return None
        value = Mention(verb.text, verb.text, "", False, False, verb.lemma_.lower())
        return Relation(owner, _relation_noun(subjects[0]), (value,), self.sentence, owner)

    def _owners(self, noun: Token) -> Iterator[Mention]:
        for child in noun.children:
            if child.dep_ == "prep" and child.lower_ == "of":
                for pobj in (c for c in child.children if c.dep_ == "pobj"):
                    yield from self.conjuncts(pobj)

    def _owner(self, noun: Token) -> Mention | None:
        """X in "the R of X" or "X's R", when R is a common noun and X a name."""
        if noun.pos_ != "NOUN":
            return None
        for child in noun.children:
            if child.dep_ == "poss":  # "Calder's chief executive", not "a children's author"
                if child.pos_ == "PRON" or _is_name(child):
                    return self.mention(child)
                if child.text[:1].isupper():  # "Ilves's books", the tagger calling the name a noun
                    bare = Mention(child.text, child.text)
                    known = self.discourse.canonical(bare)
                    if known is not bare:
                        return known
                owner = self.mention(child) if child.pos_ == "NOUN" else None
                return owner if owner is not None and owner.named else None  # "the firm's director"
            if child.dep_ == "prep" and child.lower_ == "of":
                objects = [c for c in child.children if c.dep_ == "pobj"]
                if objects and (objects[0].pos_ == "PROPN" or objects[0].pos_ == "PRON"):
                    return self.mention(objects[0])
                owner = self.mention(objects[0]) if objects and objects[0].pos_ == "NOUN" else None
                return owner if owner is not None and owner.named else None  # "of the firm Amberley Tours"
        return None

    def descriptions(self, statement: Statement) -> Iterator[Description]:
        for argument in statement.arguments:
            if (
                argument.role == "attribute"
                and statement.subject.named
                and not argument.value.named
                and argument.value.noun
            ):
                yield Description(statement.subject, argument.value, self.sentence)

    def apposition(self, head: Token, appos: Token, reading: Reading) -> None:
        """ "X, the chair of Y," -> Y's chair is X; "X, a cooper," -> X is a cooper; "X, 54," -> X's age."""
        doc = head.doc
        between_commas = (
            doc[appos.i - 1].text == "," and appos.i + 1 < len(doc) and doc[appos.i + 1].text == ","
        )
        if appos.like_num and _is_name(head) and not list(appos.children) and between_commas:
            person = self.mention(head)
            if person is not None and person.named and person.label not in PLACES | TIMES | AMOUNTS:
                reading.measures.append((_person(person), "old", appos.text))
            return
        if (
            head.pos_ == "NOUN"
            and appos.pos_ in ("PROPN", "NOUN")
            and (owner := self._owner(head)) is not None
        ):
            # "Calder's chief executive, Frances Ward", "his wife, the physician X"; "their sons, A and B"
            items = self.conjuncts(appos) if head.tag_ == "NNS" else [self.mention(appos)]
            values = tuple(m for m in items if m is not None and m.named)
            if values:
                reading.relations.append(Relation(owner, _relation_noun(head), values, self.sentence))
            return
        subject = self.mention(head)
        if head.ent_type_ in PLACES and appos.lemma_ in KIN_NOUNS:
            subject = self._born_there(head)  # "She was born in Norrith, the daughter of a shipwright"
        if subject is None or not subject.named:
            return
        if head.dep_ == "dobj" and head.head.lemma_ == "have":
            return  # read as a possession
        owner = self._owner(appos)
        if owner is not None:
            reading.relations.append(Relation(owner, _relation_noun(appos), (subject,), self.sentence))
        description = self.mention(appos)
        if description is not None and description.label in TIMES | AMOUNTS:
            return  # "(1951–2008)": a life span, read as one
        if description is not None and not description.named:  # "X, the chair of Y,": X's post too
            reading.descriptions.append(Description(subject, description, self.sentence))
            places = list(self._attached_places(appos)) if appos.pos_ == "NOUN" else []
            work = self._workplace(subject, _PRESENT, [Argument("attribute", description), *places])
            if work is not None:  # "X, a sawyer at Brask Timber,"
                reading.statements.append(work)
            if appos.pos_ == "NOUN":
                reading.statements += self._said_by_description(subject, appos)

    def _said_by_description(self, subject: Mention, noun: Token) -> list[Statement]:
        """ "Corvane Robotics, the Harlow Bay maker of warehouse robots,": Corvane Robotics makes warehouse
        robots and is based in Harlow Bay. A maker of things in general makes them as a habit; "the
        designer of the bridge" did so once, and is left as the description it is."""
        out = []
        verb = _agent_verb(noun.lemma_)
        made = [c for p in noun.children if p.dep_ == "prep" and p.lower_ == "of" for c in p.children]
        made = [c for c in made if c.dep_ == "pobj" and c.pos_ == "NOUN"]
        generic = made and not any(c.dep_ in ("det", "nummod", "poss") for c in made[0].children)
        if verb is not None and generic and (value := self.mention(made[0])) is not None:
            finite = getInflection(verb, "VBZ")
            made_it = (Argument("object", value),)
            if finite:
                out.append(Statement(subject, Verb(verb, "does", verb, finite[0]), made_it, self.sentence))
        places = [c for c in noun.children if c.dep_ == "compound" and c.ent_type_ in PLACES]
        entity = next((e for e in noun.doc.ents if places and e.start <= places[0].i < e.end), None)
        if entity is not None and entity.end == noun.i:
            place = Mention(entity.text, entity.text, entity.label_, True)
            based = Verb("base", "is", "based", "is based", passive=True)
            out.append(Statement(subject, based, (Argument("prep", place, prep="in"),), self.sentence))
        return out


def _agent_verb(noun: str) -> str | None:
    """The verb an agent noun is made from, where English has it: "maker" -> "make", "supplier" ->
    "supply", "operator" -> "operate"; None for "mother" or "member"."""
    for suffix in ("er", "or"):
        stem = noun.removesuffix(suffix)
        if stem == noun or len(stem) < 3:
            continue
        doubled = stem[:-1] if stem[-1] == stem[-2] else ""  # "runner" -> "run"
        ied = f"{stem[:-1]}y" if stem.endswith("i") else ""
        for verb in (stem, f"{stem}e", doubled, ied):
            if verb and "VERB" in getAllLemmas(verb):
                return verb
    return None


def _predicate_adjective(verb: Token) -> Token | None:
    """The adjective or participle a copula links to when it carries the facts: "married" in "is married to
    Y", "fond" in "is fond of fencing", "located" in "is located in Vell"."""
    for child in verb.children:
        if (
            child.dep_ in ("acomp", "attr")
            and child.pos_ in ("ADJ", "VERB")
            and any(c.dep_ == "prep" for c in child.children)
        ):
            return child
    return None


def _is_name(token: Token) -> bool:
    """A proper name, also where the small tagger calls an unknown one a noun ("Corvane's")."""
    if token.pos_ == "PROPN":
        return True
    return token.pos_ == "NOUN" and token.text[:1].isupper() and token.ent_type_ in _NAME_LABELS


_PRESENT = Verb("be", "is", "", "is", copular=True)


def _one_per_subject(descriptions: list[Description]) -> list[Description]:
    """One description of each subject per sentence and kind (a trade, a post), the one the sentence states
    last ("X is a footballer who plays as a goalkeeper": a footballer), so "Who is X?" has one answer."""
    last = {(d.subject.raw, d.description.definite): d for d in descriptions}
    return [d for d in descriptions if last[(d.subject.raw, d.description.definite)] is d]


_SPOUSES = frozenset({"husband", "wife", "spouse", "partner"})


def _couple(one: Mention, other: Mention) -> Mention:
    text, raw = f"{one.text} and {other.text}", f"{one.raw} and {other.raw}"
    return Mention(text, raw, PERSON, True, True, "couple", definite=True)


def _person(mention: Mention) -> Mention:
    return mention if mention.label == PERSON else replace(mention, label=PERSON)


def _between_people(relation: Relation) -> Relation:
    """ "The mother of X is Y": X and Y are people."""
    if relation.noun.split()[-1] not in KIN_NOUNS:
        return relation
    return replace(
        relation,
        owner=_person(relation.owner),
        values=tuple(_person(v) for v in relation.values),
        owners=tuple(_person(o) for o in relation.owners),
        subject=_person(relation.subject) if relation.subject is not None else None,
    )


_OWNER_LABELS = frozenset({"ORG", "GPE", "FAC", "LOC"})
_CLOZE_MAX_TOKENS = 45
_CLOZE_LABELS = frozenset({
    "PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "PRODUCT", "EVENT", "WORK_OF_ART", "DATE", "TIME",
    "MONEY", "QUANTITY", "CARDINAL", "PERCENT",
})  # fmt: skip
_PLACE_PREPOSITIONS = frozenset({"in", "at", "on", "near", "from", "to", "into", "across", "over"})


def _surname_like(name: Mention) -> bool:
    """A name ending in a word no dictionary knows ("Voss"), as people's do and "Kelloway Mining" does not."""
    words = name.raw.split()
    return len(words) > 1 and not getAllLemmas(words[-1].lower())


def _description(words: list[Token], head: Token) -> Mention:
    """The words before a name that say what it is ("the painter", "the regional transport minister")."""
    text = _text(words)
    text = text[:1].lower() + text[1:] if words[0].dep_ == "det" else text
    return Mention(text, text, "", False, False, head.lemma_.lower(), definite=_owned(words))


def _owned(words: list[Token]) -> bool:
    """ "the chair of X", "X's mayor": a post; "the painter" alone is a trade."""
    return any(t.dep_ == "poss" for t in words) or any(t.lower_ == "of" for t in words)


def _not_asked_in_place(entity: Span, start: int) -> bool:
    """Names and numbers an in-place question would garble or that other rules ask better."""
    doc, root = entity.doc, entity.root
    if entity.label_ in AMOUNTS and start > entity.sent.start and doc[start - 1].dep_ == "det":
        return True  # "the three fishermen"
    if root.dep_ == "appos" and entity.label_ in TIMES | AMOUNTS:
        return True  # "Mara Voss, 54,": her age, asked as such
    if root.dep_ == "nsubj" and root.head.lemma_ == "be":
        attribute = next((c for c in root.head.children if c.dep_ == "attr"), None)
        if attribute is not None and any(c.lower_ in ("a", "an") for c in attribute.children):
            return True  # "X is a chemist": asked as X's description
    return False


def _modified(entity: Span) -> Token | None:
    """The common noun a name only modifies ("the Leeds office", "the Signal Processing group")."""
    root = entity.root
    head = root.head
    if root.dep_ in ("compound", "amod", "nmod") and head.pos_ == "NOUN" and head.i == entity.end:
        return head
    return None


def _in_place(span: Span, start: int, end: int, wh: str, spoken: dict[int, str], aside: set[int]) -> str:
    """The sentence with tokens ``start:end`` replaced by ``wh``, its pronouns spoken, its parentheses
    left out, as a question."""
    doc, words = span.doc, []
    for token in span:
        if token.i == start:
            words.append(wh + doc[end - 1].whitespace_)
        elif token.i in aside:
            if words and token.text == ")":
                words[-1] = words[-1].rstrip() + token.whitespace_
        elif not start <= token.i < end:
            said = spoken.get(token.i, token.text)
            words.append(said + token.whitespace_ if said else "")
    question = "".join(words).strip().rstrip(".!;:,")
    if question and question[0].islower() and start == span.start:
        question = question[0].upper() + question[1:]
    return question.rstrip() + "?"


def _past_aside(entity: Span, end: int) -> int:
    """Where a question that asks for ``entity`` in place goes on: past a clause set off by commas after
    it ("Mayor Ostrowski, who has pushed for it, said": "Who said"), which would ask "Who, who ..."."""
    doc = entity.doc
    clause = next((c for c in entity.root.rights if c.dep_ == "relcl"), None)
    if clause is None or end >= len(doc) or doc[end].text != "," or clause.left_edge.i != end + 1:
        return end
    after = clause.right_edge.i + 1
    return after + 1 if after < len(doc) and doc[after].text == "," else end


def _answer_span(entity: Span) -> tuple[int, int]:
    """Where the answer lies: the entity, with its article, or the whole list it heads ("in Merrick,
    Tarrow and Brack")."""
    doc = entity.doc
    start, end = min(entity.start, entity.root.left_edge.i), entity.end  # "Chief executive X", "Y's Z"
    if entity.root.dep_ == "appos" and entity.root.head.dep_ in _SUBJECTS and not entity.root.conjuncts:
        head = entity.root.head  # "The minister, Owen Carrick, cut": asked as "Who cut"
        start, end = head.left_edge.i, entity.end
        if end < len(doc) and doc[end].text == ",":
            end += 1
        return start, end
    items = [entity.root, *entity.root.conjuncts]
    if len(items) > 1 and all(_is_name(t) and t.ent_type_ not in TIMES | AMOUNTS for t in items):
        start = min(t.left_edge.i for t in items)
        end = max(max(t.i for t in items) + 1, end)
        while end < len(doc) and doc[end].ent_iob_ == "I":
            end += 1
    if start > 0 and doc[start - 1].lower_ == "the" and entity.label_ not in TIMES | AMOUNTS:
        start -= 1
    if (
        entity.label_ == "CARDINAL"
        and end < len(doc)
        and doc[end].tag_ == "NNS"
        and doc[end - 1].head.i == end
    ):
        end += 1  # "2,100 euros", "340 people": the number and what it counts
    if entity.label_ in AMOUNTS and end + 1 < len(doc) and doc[end].lower_ == "per":
        end += 2  # "75 metres per second"
    return start, end


_TIME_UNITS = frozenset({"minute", "hour", "day", "week", "month", "year", "decade"})


def _wh_phrase(entity: Span, start: int, end: int) -> tuple[str | None, int]:
    """The question words that stand in for ``entity`` (and where they begin: a preposition before a
    place or time stays), None when nothing fits."""
    doc, label = entity.doc, entity.label_
    before = doc[start - 1] if start > entity.sent.start else None
    if label == PERSON:
        return ("whom" if before is not None and before.pos_ == "ADP" else "who"), start
    if label in PLACES:
        return "which place", start
    if label in ("ORG", "NORP"):
        return "which organisation" if label == "ORG" else "what", start
    if label in TIMES:
        if not any(t.like_num for t in entity):
            return None, start  # "Monday", "last year": relative, asked by the statement if at all
        text = entity.text
        if label == "TIME":
            return "what time", start
        if _YEAR.fullmatch(text):
            return "which year", start
        unit = entity[-1].lower_.rstrip("s")
        if unit in _TIME_UNITS and any(t.like_num for t in entity[:-1]):
            return f"how many {unit}s", start  # "to take two years": a length, not a time
        if re.match(r"\d", text):
            return "which date", start
        return ("which month" if _MONTH.search(text) else "when"), start
    if label == "MONEY":
        return "how much", start
    if label == "PERCENT":
        return "what percentage", start
    if label in ("CARDINAL", "QUANTITY"):
        number = next((t for t in entity if t.like_num), None)  # "about 800 residents"
        if number is None:
            return None, start
        units = doc[number.i + 1 : end].text
        return (f"how many {units}" if units else "what number"), start
    return "what", start


def _liking(verb: Token) -> Token:
    """The verb of liking the small parser took for an auxiliary ("loves rowing" as "is rowing"), else
    ``verb``."""
    for child in verb.children:
        if child.dep_ == "aux" and set(getLemma(child.lower_, upos="VERB")) & PASTIME_VERBS:
            return child
    return verb


def _unowned_post(described: Description, discourse: Discourse) -> Relation | None:
    """ "The chief executive, Mara Voss, said": in an item about a company, its chief executive."""
    words = described.description.raw.split()
    if not (
        described.subject.named
        and described.subject.label in ("", PERSON)
        and len(words) > 1
        and words[0].lower() == "the"
        and all(w.isalpha() and w.islower() for w in words[1:])
        and described.description.lemma in _COMPANY_POSTS
    ):
        return None
    owner = discourse.organisation(described.subject)
    if owner is None:
        return None
    return Relation(owner, " ".join(words[1:]), (described.subject,), described.sentence)


def _titled_run(before: Span) -> Mention | None:
    """The title that ends ``before``: capitalised words and the small words between them ("A House for
    Gulls"), never a place, a date or an amount."""
    words: list[Token] = []
    for token in reversed(before):
        if token.text[:1].isupper() or (words and token.is_lower and token.is_stop and token.is_alpha):
            words.insert(0, token)
            continue
        break
    while words and (not words[0].text[:1].isupper() or words[0].tag_ == "PRP$"):
        words.pop(0)  # "His Atlas of the Marsh (1884)": the work is "Atlas of the Marsh"
    if not words or any(t.ent_type_ in PLACES | TIMES | AMOUNTS for t in words) or words[0].is_sent_start:
        return None
    text = _text(words)
    return Mention(text, text, "WORK_OF_ART", True)


def _governing_verb(token: Token) -> Token:
    """The verb whose clause ``token`` stands in (the root when there is none)."""
    verb = token.head
    while verb.pos_ not in ("VERB", "AUX") and verb.head.i != verb.i:
        verb = verb.head
    return verb


def _participle(token: Token) -> bool:
    """A capitalised past participle that is no noun ("Born", "Raised"), whatever the tagger made of it."""
    lemmas = getAllLemmas(token.lower_)
    return token.lower_.endswith(("ed", "n", "t")) and "VERB" in lemmas and "NOUN" not in lemmas


def _common_word(token: Token) -> bool:
    """An English noun or adjective, even where capitalised as a title: "Judge", "Chief"; not "Ilse"."""
    if token.pos_ == "ADJ":
        return True
    upos = "NOUN" if token.pos_ in ("NOUN", "PROPN") else ""
    return bool(upos) and bool(getAllInflections(token.lower_, upos=upos))


def _titled(tokens: list[Token]) -> bool:
    """A title and a surname: the recogniser leaves the title ("Professor", "Mayor") outside the person."""
    if len(tokens) != 2:
        return False
    title, surname = tokens
    return (
        surname.ent_type_ == PERSON
        and title.ent_iob_ == "O"
        and bool(getAllInflections(title.lower_, upos="NOUN"))
    )


def _named_after(noun: Token) -> Span | None:
    """The person or organisation named right after a common noun that is not part of it."""
    doc = noun.doc
    if noun.ent_type_ or noun.i + 1 >= len(doc) or doc[noun.i + 1].ent_iob_ != "B":
        return None
    following = doc[noun.i + 1]
    entity = next((e for e in doc.ents if e.start == following.i), None)
    if entity is None or entity.label_ not in (PERSON, "ORG") or not following.text[:1].isupper():
        return None
    if entity.end < len(doc) and doc[entity.end].tag_ == "POS":
        return None  # "gives the company Lumisk's technology": Lumisk owns what follows
    if noun.dep_ == "pobj" and entity.root.dep_ in _SUBJECTS:
        return None  # "In her free time Ora Wence plays chess": the time is no title of hers
    return entity


def _specific(mention: Mention) -> bool:
    """A common noun phrase that still names one thing: "the ground floor of Quenlow House"."""
    return any(word[:1].isupper() for word in mention.raw.split()[1:])


def _relation_noun(noun: Token, numbers: bool = True) -> str:
    """The relation a noun names, with its modifiers, singular: "chief executive", "younger sister"."""
    modifiers = [
        c.lower_
        for c in noun.children
        if c.dep_ in ("amod", "compound") and c.i < noun.i and (numbers or not c.like_num)
    ]
    return " ".join([*modifiers, noun.lemma_.lower()])


def _name_head(token: Token) -> Token:
    """The last word of the name ``token`` is part of ("Anna" -> "Holt" in "Anna van der Holt")."""
    while token.dep_ in ("compound", "flat") and token.head.i > token.i:
        token = token.head
    return token


def _relative_role(verb: Token) -> str:
    """What the relative word of a relative clause stands for: "which he ran" (object), "where she taught"
    (place), "who founded" (subject)."""
    for child in verb.children:
        if child.lower_ in _RELATIVE:
            return "subject" if child.dep_ in _SUBJECTS else "object" if child.dep_ == "dobj" else ""
        if child.lower_ == "where":
            return "place"
    return ""


def _entity_of(token: Token) -> Span | None:
    """The named entity ``token`` is part of, if any."""
    return next((e for e in token.doc.ents if e.start <= token.i < e.end), None)


def _hung_apposition(verb: Token, noun: Token) -> Token | None:
    """The name set after an object in commas that the small parser hung on the verb instead: "founded her
    label, Moreau Atelier, in 1990" ("Atelier" a modifier of "founded")."""
    after = noun.right_edge.i + 1
    doc = noun.doc
    if noun.pos_ != "NOUN" or after + 1 >= len(doc) or doc[after].text != ",":
        return None
    return next(
        (
            c
            for c in verb.children
            if c.dep_ in ("npadvmod", "dep") and c.pos_ == "PROPN" and c.left_edge.i == after + 1
        ),
        None,
    )


def _whole_person(token: Token, tokens: list[Token]) -> list[Token]:
    """A person's name as the recogniser holds it, where the parser hung its first words on the verb
    ("Tithen Mirdell comes from Wosby", "Tithen" an adverb)."""
    entity = _entity_of(token)
    if entity is None or entity.label_ != PERSON or not tokens or entity.start >= tokens[0].i:
        return tokens
    before = list(token.doc[entity.start : tokens[0].i])
    if all(
        t.pos_ == "PROPN" and t.dep_ in ("advmod", "npadvmod", "nmod", "dep") and t.lower_ not in _HONORIFICS
        for t in before
    ):
        return [*before, *tokens]
    return tokens


def _post_nominals_off(tokens: list[Token]) -> list[Token]:
    """ "Sir Edwin Pratt KBE", "Ada Lowe FRS": a person's name without the letters of honours and degrees
    after it (not "Calder Minerals PLC", a company's)."""
    while (
        len(tokens) > 2
        and re.fullmatch(r"[A-Z]{2,5}", tokens[-1].text)
        and any(t.ent_type_ == PERSON for t in tokens[:-1])
        and not any(t.ent_type_ in ("ORG", "GPE", "FAC") for t in tokens[:-1])
        and all(t.text[:1].isupper() and not t.text.isupper() for t in tokens[:-1] if t.is_alpha)
    ):
        tokens = tokens[:-1]
    return tokens


def _full_name(token: Token) -> bool:
    """A person's name of two words or more: "Colm Reddaway", not the lone "Atlas" of "Atlas of the Marsh"."""
    entity = _entity_of(token)
    return entity is not None and len(entity) >= 2


def _phrase(token: Token, with_conjuncts: bool) -> list[Token]:
    """The contiguous words naming ``token``'s phrase: its own subtree, without clauses and appositions
    said about it (prepositional phrases stay when they are part of a name: "University of Ebbling")."""
    keep = {token.i}

    def names(parent: Token, child: Token) -> bool:
        dep = child.dep_
        if dep in ("cc", "conj"):  # "portraits, landscapes and murals"; "Hale, Dunmore and Price"
            ampersand = any(c.text == "&" for c in parent.children if c.dep_ == "cc")
            return with_conjuncts or parent.i != token.i or ampersand  # "Marlow & Quince" is one name
        if dep == "prep":  # "University of Ebbling", "The Fox in Winter"; not "the Company in Ebbrook"
            if child.ent_iob_ == "I":
                return True
            if child.lower_ == "of":  # "University of Ebbling"; not "Greyling Coaches of Tressington"
                outside = bool(parent.ent_type_) and child.ent_iob_ == "O"
                if outside and parent.ent_type_ == PERSON and _full_name(parent):
                    return False  # "Colm Reddaway of Southvale Police": he is of it, it is no part of him
                return not (outside and any(c.ent_type_ in PLACES for c in child.children))
            objects = [c for c in child.children if c.dep_ == "pobj"]
            places = [c for c in objects if c.ent_type_ in PLACES | TIMES]  # nor "Harvestmoor in 2022"
            # "The Fox in Winter", "Saltmarsh Bridge over the river Tarrow"; not "Timber as a joiner"
            named = any(t.text[:1].isupper() or t.like_num for c in objects for t in c.subtree)
            on_topic = child.lower_ == "on" and token.lemma_.lower() in _TOPIC_NOUNS  # "her work on corals"
            if parent.i == token.i and token.pos_ == "NOUN" and (child.lower_ in _WHAT_FOR or on_topic):
                return not places  # "software for hospitals", "a book about tides": what the thing is
            return (parent.pos_ == "PROPN" or bool(parent.ent_type_)) and named and not places
        if dep == "punct":  # "Hale, Dunmore and Price" holds its commas when read as one list
            listed = child.text == "," and with_conjuncts and any(c.dep_ == "conj" for c in parent.children)
            return listed or child.text in ("-", "\u2011", "'", ".")
        if dep == "case":  # "Brask Timber's headquarters" keeps its "'s"; the name "Brask Timber" does not,
            return parent.i != token.i or token.dep_ != "poss"  # but "Penwright's" owning nothing does
        return dep not in _NOT_NAMING

    def visit(t: Token) -> None:
        for child in t.children:
            if names(t, child):
                keep.add(child.i)
                visit(child)

    visit(token)
    start = end = token.i
    while start - 1 in keep:
        start -= 1
    while end + 1 in keep:
        end += 1
    doc = token.doc
    tokens = [doc[i] for i in range(start, end + 1)]
    while tokens and (tokens[-1].is_punct or tokens[-1].dep_ == "cc") and tokens[-1].text != ".":
        tokens.pop()
    while tokens and tokens[0].is_punct:
        tokens.pop(0)
    if tokens and tokens[-1].text == "." and not (len(tokens[-1].whitespace_) == 0 and len(tokens) > 1):
        tokens.pop()
    return tokens or [token]


def _text(tokens: list[Token], word: object = None) -> str:
    parts = []
    for token in tokens:
        text = word(token) if callable(word) else token.text
        parts.append((text if text is not None else token.text) + token.whitespace_)
    return "".join(parts).strip()


_YEAR_PREPOSITIONS = frozenset(
    {"in", "from", "to", "until", "till", "since", "by", "after", "before", "during"}
)


def _label(token: Token, tokens: list[Token]) -> str:
    """The entity label of a phrase's head ("the director of the Velsmouth Seed Bank" is no organisation;
    "Tarrow" is no date, whatever the recogniser says, without a number or a calendar word)."""
    if token.ent_type_ in TIMES and not any(t.like_num or _CALENDAR.fullmatch(t.lower_) for t in tokens):
        return ""
    if token.ent_type_:
        return token.ent_type_
    if _YEAR.fullmatch(token.text) and token.dep_ == "pobj" and token.head.lower_ in _YEAR_PREPOSITIONS:
        return "DATE"  # "from 1990 to 1994", where the recogniser left the end of the span unlabelled
    compounds = [t.ent_type_ for t in tokens if t.head == token and t.dep_ == "compound" and t.ent_type_]
    return compounds[0] if compounds else ""


def verb_form(verb: Token, subject: Mention) -> Verb | None:
    """How questions about ``verb`` are formed: the inversion auxiliary and what follows the subject."""
    auxes = [c for c in verb.children if c.dep_ in ("aux", "auxpass") and c.i < verb.i]
    particle = " ".join(c.lower_ for c in verb.children if _particle(verb, c))
    base = getLemma(verb.lower_, upos="VERB")[0] if verb.dep_ == "aux" else verb.lemma_.lower()  # "loves"
    lemma = base + (f" {particle}" if particle else "")
    text = verb.lower_ + (f" {particle}" if particle else "")
    plural = subject.plural
    passive = any(c.dep_ == "auxpass" for c in auxes) or (
        verb.tag_ == "VBN" and not any(c.dep_ == "aux" for c in auxes)
    )
    if lemma == "be" and not auxes:
        be = verb.lower_ if verb.lower_ in ("is", "was", "are", "were") else None
        return Verb("be", be, "", be, copular=True) if be else None
    if auxes and auxes[0].lower_ == "having":  # "Having spent a decade with X, she joined Y": past
        if passive:
            be = _past_of_head(verb, plural)
            return Verb(lemma, be, text, f"{_singular(be)} {text}", passive=True)
        return Verb(lemma, "did", lemma, _inflect(lemma, "VBD"))
    if auxes:
        aux = auxes[0].lower_
        if aux == "to":  # the word after "to" is its own base form: "to found" is no "find"
            infinitive = verb.lower_ + (f" {particle}" if particle else "")
            return _to_infinitive(verb, subject, infinitive, infinitive, passive)
        rest = " ".join([*(a.lower_ for a in auxes[1:]), text])
        if aux in ("do", "does", "did"):
            return Verb(lemma, aux, rest, _inflect(lemma, "VBD" if aux == "did" else "VBZ"), passive)
        copular = lemma == "be" and not passive  # "has been professor", "will be chair"
        return Verb(lemma, aux, rest, f"{_singular(aux)} {rest}", passive, copular)
    if passive:  # a participle without its auxiliary: "born in 1958", "founded in 1990", "based in Vell"
        be = _past_of_head(verb, plural)
        return Verb(lemma, be, text, f"{_singular(be)} {text}", passive=True)
    tense = verb.tag_
    if verb.dep_ in ("advcl", "conj", "xcomp", "pcomp") and tense in ("VBG", "VB"):
        head = verb.head.head if verb.dep_ == "pcomp" else verb.head
        tense = "VBD" if _past(head) else "VBZ"
    if tense == "VBD":
        return Verb(lemma, "did", lemma, text if verb.tag_ == "VBD" else _inflect(lemma, "VBD"))  # "set up"
    if tense in ("VBZ", "VBP", "VB"):
        return Verb(lemma, "do" if plural else "does", lemma, _inflect(lemma, "VBZ"))
    if tense == "VBG" and verb.dep_ == "acl":
        return Verb(lemma, "do" if plural else "does", lemma, _inflect(lemma, "VBZ"))
    return None


_ADVERB_PARTICLES = frozenset({"forward", "back", "away", "off", "out", "down", "up", "over"})


def _particle(verb: Token, child: Token) -> bool:
    """A verb's particle, also where the parser calls it an adverb: "put forward by", "called off"."""
    if child.dep_ == "prt":
        return True
    return child.dep_ == "advmod" and child.i == verb.i + 1 and child.lower_ in _ADVERB_PARTICLES


def _agentless(form: Verb, arguments: list[Argument], sentence: Sentence) -> Statement | None:
    """What a past deed by someone unnamed says of the named thing it was done to, in the passive: "When
    was the company founded?"."""
    done_to = next(
        (
            a
            for a in arguments
            if a.role == "object" and a.value.named and a.value.label not in TIMES | AMOUNTS
        ),
        None,
    )
    rest = tuple(a for a in arguments if a.role not in ("object", "dative", "complement", "attribute"))
    if form.passive or form.copular or form.aux != "did" or done_to is None or not rest:
        return None
    participle = _inflect(form.lemma, "VBN")
    be = "were" if done_to.value.plural else "was"
    return Statement(
        done_to.value, Verb(form.lemma, be, participle, f"was {participle}", True), rest, sentence
    )


def _to_infinitive(verb: Token, subject: Mention, lemma: str, text: str, passive: bool) -> Verb | None:
    """ "has agreed to buy", "plans to open": the verb that governs the infinitive carries the tense. An
    infinitive of purpose says what was done: "left the firm in 2014 to found Tidewater Audio"."""
    head = verb.head
    if verb.dep_ == "advcl" and head.pos_ in ("VERB", "AUX") and not passive:
        if _past(head):
            return Verb(lemma, "did", lemma, _inflect(lemma, "VBD"))
        return Verb(lemma, "do" if subject.plural else "does", lemma, _inflect(lemma, "VBZ"))
    if verb.dep_ != "xcomp" or head.pos_ not in ("VERB", "AUX") or head.lemma_ in _REPORTING:
        return None
    governing = verb_form(head, subject)
    if governing is None or governing.passive:
        return None
    main = f"{governing.main} to {lemma}".strip()
    return Verb(f"{governing.lemma} to {lemma}", governing.aux, main, f"{governing.finite} to {lemma}")


def _past(token: Token) -> bool:
    if token.tag_ == "VBD":
        return True
    return any(
        c.dep_ in ("aux", "auxpass") and c.lower_ in ("was", "were", "had", "did") for c in token.children
    )


def _past_of_head(verb: Token, plural: bool) -> str:
    head = verb.head
    present = head.tag_ in ("VBZ", "VBP") or any(
        c.lower_ in ("is", "are", "has", "have") for c in head.children if c.dep_ in ("aux", "auxpass")
    )
    if present and verb.lemma_ != "bear":
        return "are" if plural else "is"
    return "were" if plural else "was"


def _inflect(lemma: str, tag: str) -> str:
    words = lemma.split()
    forms = getInflection(words[0], tag)
    return " ".join([forms[0] if forms else words[0], *words[1:]])


def _singular(aux: str) -> str:
    """A wh-subject question agrees in the singular: "Who has worked ...", "Who was appointed ..."."""
    return {"have": "has", "are": "is", "were": "was", "do": "does"}.get(aux, aux)
