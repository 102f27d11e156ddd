"""A shallow clause parser for declarative English: subject, verb group, the rest.

It also keeps the discourse state of one document (named entities met so far, their kind, the nouns that
describe them), which resolves "She", "The company" and "Her father" to names, so that every question
built from a clause can name its subject.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from memo_core.reflections.generators.offline.english import (
    base_form,
    is_capitalised,
    is_month,
    is_verb,
    past_participle_like,
    tokenize,
)
from memo_core.reflections.generators.offline.lexicon import (
    AUXILIARIES,
    BE_FORMS,
    DETERMINERS,
    DO_FORMS,
    FUNCTION_WORDS,
    GENDER,
    HAVE_FORMS,
    MODALS,
    NON_PERSON_HEADS,
    OBJECT_PRONOUNS,
    ORGANISATION_NOUNS,
    PERSON_TITLES,
    POSSESSIVE_PRONOUNS,
    PRE_VERB_ADVERBS,
    PREPOSITIONS,
    QUANTITY_PREFIXES,
    SUBJECT_PRONOUNS,
    words,
)
from memo_core.reflections.generators.sentences import Sentence

# Words that open a fronted adverbial ("In April 2013 the company ...", "Together they ...").
_FRONT_PREPOSITIONS = words(
    """
    in on at during before after since by from until between throughout within as for under over with
    without among despite following unlike like
    """
)
_FRONT_ADVERBS = words(
    """
    together later today now then also however meanwhile eventually finally initially originally
    recently currently afterwards subsequently soon
    """
)
_TIME_OPENERS = words("early late mid spring summer autumn winter")
_TIME_SPANS = words("year years month months week weeks day days")
_TIME_PARTS = words("end start beginning middle")
_CONNECTORS = frozenset({"of", "and", "for", "&", "de", "du", "von", "van", "der", "la", "le", "the"})
_ORGANISATION_HEADS = words(
    """
    Inc Ltd Llc Plc Co Corp Corporation Company Group Holdings Industries Instruments Systems
    Technologies Partners Enterprises Ventures Motors Airlines Studios Labs
    """
)
_FOUNDING_VERBS = frozenset({"found", "establish", "start", "create", "co-found", "set"})
_PLURAL_NOUNS = frozenset({"people", "staff", "children", "men", "women", "police", "crew", "team"})


@dataclass
class Entity:
    """A named entity met in a document."""

    name: str
    kind: str  # "person" | "thing" | "people"
    article: bool = False  # reads "the Halcy Probe"
    gender: str = ""
    organisation: bool = False
    nouns: set[str] = field(default_factory=set)
    described: bool = False  # a description taken as a name ("the weather mast on the roof of X")

    @property
    def display(self) -> str:
        return f"the {self.name}" if self.article else self.name


@dataclass(frozen=True)
class Clause:
    """One clause: a subject that can be named in a question, its verb group, and everything after it."""

    subject: str
    kind: str  # "person" | "people" | "thing" | "quantity" | "anchored" (asked "regarding" the topic)
    named: bool  # the subject is a name (a short, answerable span)
    verb: tuple[str, ...]
    adverbs: tuple[str, ...]
    rest: tuple[str, ...]
    sentence: Sentence
    resolved: bool = False  # the subject came from a pronoun or a description
    subject_organisation: bool = False
    anchor: str = ""  # the topic an unnamed subject is asked "regarding" ("the Orrin Medal")
    appositions: tuple[tuple[str, str], ...] = ()  # (name, description) stated in the sentence


@dataclass
class Discourse:
    """What one document has said so far about its named entities."""

    entities: dict[str, Entity] = field(default_factory=dict)
    recent: list[str] = field(default_factory=list)  # subjects, most recent last (for pronouns)
    seen: list[str] = field(default_factory=list)  # every mention, most recent last (for descriptions)
    title: str = ""

    @property
    def topic(self) -> str:
        """What the document is about, as a question can name it: its title (before any colon)."""
        title = self.title.split(":")[0].strip()
        entity = self.entities.get(title) or self.entities.get(title.removeprefix("The "))
        if entity is not None:
            return entity.display
        return "the " + title[4:] if title.startswith("The ") else title

    proper_words: set[str] = field(default_factory=set)  # words seen capitalised mid-sentence
    family_words: set[str] = field(default_factory=set)  # first words of several different names

    def learn_vocabulary(self, sentences: list[Sentence]) -> None:
        """Words capitalised mid-sentence are names; a capitalised first word is a name only if among them.
        A first word shared by several names ("Skylark Kit", "Skylark Weather Day") marks a family of
        things, not a person's given name."""
        firsts: dict[str, set[str]] = {}
        for sentence in sentences:
            tokens = tokenize(sentence.text)
            for k, (prev, tok) in enumerate(zip(tokens, tokens[1:], strict=False), start=1):
                if is_capitalised(tok) and prev not in (".", ":", "!", "?"):
                    self.proper_words.add(tok)
                    if not is_capitalised(prev) and k + 1 < len(tokens) and is_capitalised(tokens[k + 1]):
                        firsts.setdefault(tok, set()).add(tokens[k + 1])
        self.family_words = {word for word, seconds in firsts.items() if len(seconds) > 1}

    def entity(self, name: str, article: bool = False) -> Entity:
        found = self.entities.get(name)
        if found is None:
            tokens = name.split()
            kind = "thing" if tokens[0] in self.family_words else _classify(tokens, article)
            found = Entity(name=name, kind=kind, article=article)
            if name.split()[-1] in _ORGANISATION_HEADS:
                found.organisation = True
            self.entities[name] = found
        return found

    def mention(self, entity: Entity) -> None:
        _move_last(self.recent, entity.name)
        self.see(entity)

    def see(self, entity: Entity) -> None:
        _move_last(self.seen, entity.name)

    def last(self, kinds: tuple[str, ...], gender: str = "") -> Entity | None:
        for name in reversed(self.recent):
            entity = self.entities[name]
            if entity.kind in kinds and (not gender or entity.gender in ("", gender)):
                return entity
        return None

    def by_noun(
        self, noun: str, declared_only: bool = False, modifiers: tuple[str, ...] = ()
    ) -> Entity | None:
        """The entity a definite description ("the probe", "the field station") most likely means: one the
        text called that noun ("X is a probe"), or, unless ``declared_only``, one whose name ends with it
        and holds every modifier ("Saltmere Point Field Station")."""
        for name in reversed(self.seen):
            entity = self.entities[name]
            words = [w.lower() for w in name.split()]
            named_so = (
                not declared_only
                and not entity.described
                and words[-1] == noun
                and all(m in words for m in modifiers)
            )
            if entity.kind == "thing" and (noun in entity.nouns and not modifiers or named_so):
                return entity
        if noun in ORGANISATION_NOUNS and not modifiers:
            for name in reversed(self.seen):
                if self.entities[name].organisation:
                    return self.entities[name]
        return None

    def resolve_pronoun(self, pronoun: str) -> Entity | None:
        p = pronoun.lower()
        kind = SUBJECT_PRONOUNS.get(p) or POSSESSIVE_PRONOUNS.get(p)
        if kind == "person":
            person = self.last(("person",), GENDER.get(p, ""))
            if person is not None and not person.gender:
                person.gender = GENDER.get(p, "")
            return person
        if kind == "plural":
            return self.last(("people",))
        if kind == "thing":
            return self.last(("thing",))
        return None


def _as_subject(pronoun: str) -> str:
    return {"him": "he", "her": "she", "it": "it", "them": "they"}[pronoun]


def _move_last(names: list[str], name: str) -> None:
    if name in names:
        names.remove(name)
    names.append(name)


def _classify(tokens: list[str], article: bool) -> str:
    if " and " in f" {' '.join(tokens)} " and not any(t in NON_PERSON_HEADS for t in tokens):
        return "people" if len(tokens) >= 4 else "thing"
    if tokens[0] in PERSON_TITLES:
        return "person"
    if article or any(t in NON_PERSON_HEADS or any(c.isdigit() for c in t) for t in tokens):
        return "thing"
    if 2 <= len(tokens) <= 3 and all(t.isalpha() and is_capitalised(t) for t in tokens):
        return "person"
    return "thing"


def name_end(tokens: list[str], start: int) -> int:
    """End of the capitalised name starting at ``start`` (connectors allowed between capitalised words)."""
    i = start
    end = start
    while i < len(tokens):
        tok = tokens[i]
        if is_capitalised(tok) and not is_month(tok) or tok.isdigit() and end > start and len(tok) <= 2:
            i += 1
            end = i
        elif tok in _CONNECTORS and end > start and i + 1 < len(tokens) and is_capitalised(tokens[i + 1]):
            i += 1
        else:
            break
    return end


class ClauseParser:
    """Parses the sentences of one document in order, resolving references as it goes."""

    def __init__(self, discourse: Discourse) -> None:
        self.discourse = discourse

    def parse(self, sentence: Sentence) -> list[Clause]:
        tokens = tokenize(sentence.text)
        while tokens and tokens[-1] in (".", "!", '"', "'"):
            tokens = tokens[:-1]
        if not tokens or "?" in tokens:
            return []
        fronted, main = _split_fronted(tokens, self.discourse)
        clauses = self._clauses(main, fronted, sentence)
        self._remember_names(tokens, clauses)
        pairs = tuple(
            (self._display(name), " ".join(self._explicit(description.split())))
            for name, description in appositions(tokens)
        )
        if clauses and pairs:
            clauses[0] = dataclasses.replace(clauses[0], appositions=pairs)
        return clauses

    def _display(self, name: str) -> str:
        entity = self.discourse.entities.get(name)
        return entity.display if entity is not None else name

    def _clauses(self, tokens: list[str], fronted: list[str], sentence: Sentence) -> list[Clause]:
        head = self._clause(tokens, sentence)
        if head is None:
            return []
        rest = list(head.rest)
        # A coordinated second clause ("... and her mother Runa Dresk taught mathematics") is split off.
        for i, tok in enumerate(rest):
            if tok in ("and", "but", ";") and 0 < i < len(rest) - 2:
                second = self._clause(rest[i + 1 :], sentence, strict=True)
                if second is not None:
                    first_rest = rest[: i - 1] if rest[i - 1] == "," else rest[:i]
                    first = _replace_rest(head, self._explicit(first_rest, head.subject) + fronted)
                    return [
                        first,
                        _replace_rest(second, self._explicit(list(second.rest), second.subject) + fronted),
                    ]
        return [_replace_rest(head, self._explicit(rest, head.subject) + fronted)]

    def _explicit(self, rest: list[str], subject: str = "") -> list[str]:
        """The rest of a clause made explicit: "the company" and "the field station" replaced by the names
        they stand for, pronouns that do not refer to the subject replaced by their referent."""
        out: list[str] = []
        i = 0
        while i < len(rest):
            tok = rest[i]
            low = tok.lower()
            if low == "the":
                entity, k = self._described_at(rest, i + 1)
                if entity is not None and entity.display != subject:
                    out += entity.display.split()
                    i = k
                    continue
            if low in OBJECT_PRONOUNS or low in POSSESSIVE_PRONOUNS or low in SUBJECT_PRONOUNS:
                referent = self.discourse.resolve_pronoun(_as_subject(low) if low in OBJECT_PRONOUNS else low)
                if referent is not None and referent.display != subject and subject:
                    possessive = low in POSSESSIVE_PRONOUNS and (
                        low != "her"
                        or i + 1 < len(rest)
                        and rest[i + 1].isalpha()
                        and rest[i + 1].islower()
                        and rest[i + 1] not in DETERMINERS
                    )
                    out += [
                        *referent.display.split()[:-1],
                        referent.display.split()[-1] + ("'s" if possessive else ""),
                    ]
                    i += 1
                    continue
            out.append(tok)
            i += 1
        return out

    def _described_at(self, rest: list[str], start: int) -> tuple[Entity | None, int]:
        """The entity "the [field] station" (one or two lowercase words at ``start``) stands for, if any."""
        for size in (2, 1):
            k = start + size
            words = rest[start:k]
            if len(words) < size or not all(w.isalpha() and w.islower() for w in words):
                continue
            if k < len(rest) and rest[k].isalpha() and rest[k].islower() and rest[k] not in FUNCTION_WORDS:
                continue  # the phrase goes on: "the medal ceremony" is not "the medal"
            entity = self.discourse.by_noun(words[-1], modifiers=tuple(words[:-1]))
            if entity is not None:
                return entity, k
        return None, start

    def _clause(self, tokens: list[str], sentence: Sentence, strict: bool = False) -> Clause | None:
        subject = self._subject(tokens, strict)
        if subject is None:
            return None
        text, kind, named, resolved, i = subject
        adverbs: list[str] = []
        while i < len(tokens) and tokens[i].lower() in PRE_VERB_ADVERBS:
            adverbs.append(tokens[i])
            i += 1
        plural = (
            kind in ("people", "quantity")
            or text.split()[-1].lower().endswith("s")
            or (text.split()[-1].lower() in _PLURAL_NOUNS)
        )
        verb = _verb_group(tokens, i, plural)
        if verb is None:
            return None
        clause = Clause(
            subject=text,
            kind=kind,
            named=named,
            verb=tuple(tokens[i:verb]),
            adverbs=tuple(adverbs),
            rest=tuple(tokens[verb:]),
            sentence=sentence,
            resolved=resolved,
            anchor=self.discourse.topic if kind == "anchored" else "",
        )
        self._learn(clause)
        entity = self.discourse.entities.get(clause.subject.removeprefix("the "))
        if entity is not None and entity.organisation:
            clause = dataclasses.replace(clause, subject_organisation=True)
        return clause

    def _subject(self, tokens: list[str], strict: bool) -> tuple[str, str, bool, bool, int] | None:
        """(text, kind, named, resolved, index after the subject), or None when it cannot be named."""
        if not tokens:
            return None
        first = tokens[0]
        low = first.lower()
        d = self.discourse
        if low in SUBJECT_PRONOUNS:
            entity = d.resolve_pronoun(low)
            if entity is None:
                return None
            d.mention(entity)
            return entity.display, entity.kind, True, True, 1
        if low in POSSESSIVE_PRONOUNS:
            owner = d.resolve_pronoun(low)
            end = _np_end(tokens, 1)
            if owner is None or end is None or end == 1:
                return None
            phrase = [f"{owner.display}'s", *tokens[1:end]]
            name_start = next((k for k in range(1, end) if is_capitalised(tokens[k])), None)
            kind = "person" if name_start is not None and owner.kind == "person" else "thing"
            return " ".join(phrase), kind, False, True, end
        article = low == "the" and len(tokens) > 1 and is_capitalised(tokens[1])
        start = 1 if article else 0
        if is_capitalised(tokens[start]) and (
            start == 1 or tokens[0] in d.proper_words or len(tokens) > 1 and is_capitalised(tokens[1])
        ):
            end = name_end(tokens, start)
            if end > start and (end >= len(tokens) or not is_capitalised(tokens[end])):
                name = " ".join(tokens[start:end])
                if end < len(tokens) and (tokens[end].islower() and not _verbish(tokens, end)):
                    return self._description(tokens, strict)
                entity = d.entity(name, article)
                d.mention(entity)
                return entity.display, entity.kind, True, False, _skip_apposition(tokens, end)
        if strict:
            return None
        return self._description(tokens, strict)

    def _description(self, tokens: list[str], strict: bool) -> tuple[str, str, bool, bool, int] | None:
        """A common noun phrase subject: resolved to a name where the text allows ("The company"), kept
        when it names something itself ("The Signal Processing group"), else anchored to the topic."""
        if strict:
            return None
        end = _np_end(tokens, 0)
        if end is None:
            return None
        phrase = tokens[:end]
        lows = [t.lower() for t in phrase]
        if lows[0] in ("that", "this", "these", "those", "such"):
            return None
        number = next((k for k, t in enumerate(phrase) if t[:1].isdigit()), None)
        if number is not None and " ".join(lows[:number]) in ("", *QUANTITY_PREFIXES):
            return _lower_first(phrase), "quantity", False, False, end
        plain = all(t.isalpha() and t.islower() for t in lows[1:]) and not any(
            is_capitalised(t) for t in phrase[1:]
        )
        if lows[0] in ("the", "each", "every") and plain and len(phrase) <= 4:
            entity = self.discourse.by_noun(lows[-1], modifiers=tuple(lows[1:-1])) or self.discourse.by_noun(
                lows[-1]
            )
            if entity is not None:
                self.discourse.mention(entity)
                words = [w.lower() for w in entity.name.split()]
                kept = [t for t in phrase[1:-1] if t.lower() not in words]
                if kept and words[-1] == lows[-1]:
                    # "the first kit" -> "the first Skylark Kit": the modifiers are part of the fact.
                    return " ".join([lows[0], *kept, entity.name]), entity.kind, True, True, end
                text = entity.display if lows[0] == "the" else f"{lows[0]} {entity.name}"
                return text, entity.kind, True, True, end
            return self._anchored(phrase, end)
        if lows[0] in ("a", "an") and plain and len(phrase) <= 4:
            return _lower_first(phrase), "thing", True, False, end
        resolved = self._resolve_inner(phrase)
        if resolved is None:
            return self._anchored(phrase, end)
        if lows[0] == "the" and is_capitalised(phrase[1]) and len(phrase) <= 8:
            # "The Signal Processing group": a name with a common head noun is a name all the same.
            entity = self.discourse.entity(resolved.removeprefix("the "), article=True)
            entity.described = entity.described or "of" in lows or not phrase[-1][:1].isupper()
            head = next(
                (t for t in reversed(lows[: lows.index("of")] if "of" in lows else lows) if t.islower()), ""
            )
            if head:
                entity.nouns.add(head)
            self.discourse.mention(entity)
            return entity.display, entity.kind, True, False, end
        return resolved, "thing", len(phrase) <= 8, False, end

    def _anchored(self, phrase: list[str], end: int) -> tuple[str, str, bool, bool, int] | None:
        """A description the text never ties to a name ("The award ceremony"): asked about "regarding" the
        document's topic, or not at all when the document has none."""
        if not self.discourse.topic:
            return None
        return _lower_first(phrase), "anchored", False, False, end

    def _resolve_inner(self, phrase: list[str]) -> str | None:
        """``phrase`` with "of the probe" made explicit, or None if it names no entity at all."""
        out: list[str] = []
        named = False
        i = 0
        while i < len(phrase):
            tok = phrase[i]
            if i > 0 and tok.lower() == "the" and i + 1 < len(phrase) and phrase[i + 1].islower():
                entity = self.discourse.by_noun(phrase[i + 1].lower())
                if entity is not None and (i + 2 == len(phrase) or phrase[i + 2] in PREPOSITIONS):
                    out.append(entity.display)
                    named = True
                    i += 2
                    continue
            if is_capitalised(tok) and (i > 0 or tok in self.discourse.proper_words):
                named = True
            out.append(tok)
            i += 1
        return _lower_first(out) if named else None

    def _learn(self, clause: Clause) -> None:
        """Evidence for later sentences: persons are born; "X is a company" or "X serves as a museum" gives
        X that noun; "A mast stands on the roof of Y" introduces "the mast"; "a book called Z" is a book."""
        verbs = [v.lower() for v in clause.verb]
        rest = list(clause.rest)
        if clause.subject.startswith(("a ", "an ")) and rest and rest[0] in PREPOSITIONS:
            stop = next((k for k, t in enumerate(rest) if t in (",", ";", "and")), len(rest))
            if any(is_capitalised(t) for t in rest[:stop]):
                described = self.discourse.entity(" ".join([*clause.subject.split()[1:], *rest[:stop]]), True)
                described.described = True
                described.nouns.add(clause.subject.split()[-1])
                self.discourse.see(described)
        entity = self.discourse.entities.get(clause.subject.removeprefix("the "))
        if entity is not None and clause.named:
            if "born" in verbs and entity.kind == "thing" and len(entity.name.split()) <= 4:
                entity.kind = "person"
            complement = _complement(verbs, rest)
            if complement:
                noun_end = next(
                    (k for k, t in enumerate(complement) if t in PREPOSITIONS or t in (",", "that", "made")),
                    len(complement),
                )
                if noun_end > 1 and complement[noun_end - 1].isalpha():
                    noun = complement[noun_end - 1].lower()
                    entity.nouns.add(noun)
                    entity.organisation = entity.organisation or noun in ORGANISATION_NOUNS
        if rest and base_form(verbs[-1] if verbs else "") in _FOUNDING_VERBS and is_capitalised(rest[0]):
            self.discourse.entity(" ".join(rest[: name_end(rest, 0)])).organisation = True
        for k in range(1, len(rest) - 1):
            if rest[k] in ("called", "named") and is_capitalised(rest[k + 1]) and rest[k - 1].islower():
                named = self.discourse.entity(" ".join(rest[k + 1 : name_end(rest, k + 1)]))
                named.nouns.add(rest[k - 1].lower())

    def _remember_names(self, tokens: list[str], clauses: list[Clause]) -> None:
        """Every name of the sentence becomes findable by description; a named person subject with another
        person in the sentence forms a pair, so "They" after "A met B" means A and B."""
        names: list[Entity] = []
        first = tokens[0]
        i = (
            1
            if first.lower() in FUNCTION_WORDS
            or first.lower() in _FRONT_ADVERBS
            or not (first in self.discourse.proper_words or len(tokens) > 1 and is_capitalised(tokens[1]))
            else 0
        )
        while i < len(tokens):
            if is_capitalised(tokens[i]) and not is_month(tokens[i]):
                end = name_end(tokens, i)
                article = tokens[i - 1].lower() == "the"
                entity = self.discourse.entity(" ".join(tokens[i:end]), article)
                self.discourse.see(entity)
                names.append(entity)
                i = max(end, i + 1)
            else:
                i += 1
        for clause in clauses:
            subject = self.discourse.entities.get(clause.subject)
            if subject is None or subject.kind != "person":
                continue
            other = next((e for e in names if e.kind == "person" and e.name != subject.name), None)
            if other is not None:
                pair = self.discourse.entity(f"{subject.name} and {other.name}")
                pair.kind = "people"
                self.discourse.mention(pair)
                self.discourse.mention(subject)


def _skip_apposition(tokens: list[str], end: int) -> int:
    """After "Tobiah Grence, the designer of the hull," the verb follows the second comma."""
    if end < len(tokens) and tokens[end] == ",":
        close = next((k for k in range(end + 1, min(len(tokens), end + 16)) if tokens[k] == ","), None)
        opens = (
            close is not None and tokens[end + 1].lower() in ("the", "a", "an") and close + 1 < len(tokens)
        )
        if (
            close is not None
            and opens
            and (_verbish(tokens, close + 1) or tokens[close + 1].lower() in AUXILIARIES)
        ):
            return close + 1
    return end


def appositions(tokens: list[str]) -> list[tuple[str, str]]:
    """(name, description) pairs anywhere in a sentence: "Kelderwick Works, the main factory of X"."""
    pairs = []
    for k in range(1, len(tokens) - 2):
        if (
            tokens[k] != ","
            or not is_capitalised(tokens[k - 1])
            or tokens[k + 1].lower() not in ("the", "a", "an")
        ):
            continue
        start = k - 1
        while start > 0 and (is_capitalised(tokens[start - 1]) or tokens[start - 1] in _CONNECTORS):
            start -= 1
        while start < k and not is_capitalised(tokens[start]):
            start += 1
        close = next((j for j in range(k + 1, len(tokens)) if tokens[j] in (",", ";", ".")), len(tokens))
        description = tokens[k + 1 : close]
        if start == 0 and tokens[0].lower() in FUNCTION_WORDS or not 2 <= len(description) <= 10:
            continue
        if any(t.lower() in ("who", "which", "that") or t.islower() and is_verb(t) for t in description):
            continue
        pairs.append((" ".join(tokens[start:k]), " ".join(description)))
    return pairs


def _complement(verbs: list[str], rest: list[str]) -> list[str]:
    """The "a museum" of "is a museum", "serves as a museum", "became a museum" (else nothing)."""
    if not rest:
        return []
    if len(verbs) == 1 and (verbs[0] in BE_FORMS or base_form(verbs[0]) == "become"):
        return rest if rest[0].lower() in ("a", "an", "the") else []
    if base_form(verbs[-1]) in ("serve", "act", "work") and rest[0] == "as" and len(rest) > 1:
        return rest[1:] if rest[1].lower() in ("a", "an", "the") else []
    return []


def _replace_rest(clause: Clause, rest: list[str]) -> Clause:
    return dataclasses.replace(clause, rest=tuple(rest))


def _lower_first(tokens: list[str]) -> str:
    first = (
        tokens[0].lower()
        if tokens[0].lower() in DETERMINERS or tokens[0].lower() in ("about",)
        else tokens[0]
    )
    return " ".join([first, *tokens[1:]])


def _verbish(tokens: list[str], i: int) -> bool:
    tok = tokens[i].lower()
    return tok in PRE_VERB_ADVERBS or is_verb(tok) or _unknown_finite(tok, plural=False)


def _np_end(tokens: list[str], start: int) -> int | None:
    """Index of the first finite verb after a noun phrase starting at ``start`` (at most 12 words), or None.

    Number agreement follows the head noun, the last noun before any preposition: "Readings from the mast
    appear" ends at "appear" because "Readings" is plural.
    """
    plural = False
    in_phrase = False
    for k in range(start, min(len(tokens), start + 12)):
        tok = tokens[k]
        low = tok.lower()
        if tok in (",", ";", ":"):
            return None
        if k > start and tokens[k - 1].lower() not in DETERMINERS:
            if _finite(tokens, k, plural):
                return k
            if k == start + 2 and tokens[start].lower() in DETERMINERS and _unknown_finite(tok, plural):
                return k  # "The beacon floats ...": a word in the verb slot of "the noun ..."
            if low in PRE_VERB_ADVERBS and k + 1 < len(tokens) and _finite(tokens, k + 1, plural):
                return k
        if low in PREPOSITIONS:
            in_phrase = True
        elif not in_phrase and tok.isalpha():
            plural = _plural_noun(low)
    return None


def _plural_noun(word: str) -> bool:
    return word.endswith("s") and not word.endswith("ss") or word in _PLURAL_NOUNS


def _finite(tokens: list[str], k: int, plural: bool) -> bool:
    """Whether ``tokens[k]`` is the finite verb of a subject of that number (unknown "-ed" words count)."""
    tok = tokens[k].lower()
    if tok in FUNCTION_WORDS and tok not in AUXILIARIES or not tok.replace("-", "").isalpha():
        return False
    if is_verb(tok) or tok.endswith("ed") and tokens[k - 1].lower() not in FUNCTION_WORDS:
        return True
    return plural and base_form(tok) == tok


def _verb_group(tokens: list[str], i: int, plural: bool) -> int | None:
    """End of the verb group starting at ``i``: auxiliaries with their participle, or one finite verb."""
    if i >= len(tokens):
        return None
    tok = tokens[i].lower()
    if tok in AUXILIARIES:
        j = i + 1
        while j < len(tokens) and tokens[j].lower() in (*PRE_VERB_ADVERBS, "not", "been", "being"):
            j += 1
        if j < len(tokens):
            nxt = tokens[j]
            if tok in MODALS or tok in DO_FORMS:
                return j + 1 if base_form(nxt) else None
            if (
                (tok in BE_FORMS or tok in HAVE_FORMS)
                and nxt.islower()
                and past_participle_like(nxt)
                and (base_form(nxt) or nxt.lower() in ("born",) or nxt.endswith("ed"))
            ):
                return j + 1
        return i + 1
    if is_verb(tokens[i]) or plural and base_form(tok) == tok or _unknown_finite(tok, plural):
        return i + 1
    return None


def _unknown_finite(tok: str, plural: bool) -> bool:
    """A verb missing from the word lists, right after a subject: "transmits", "supervised"."""
    if not tok.isalpha() or not tok.islower() or tok in FUNCTION_WORDS:
        return False
    return tok.endswith("ed") or not plural and tok.endswith("s") and not tok.endswith(("ss", "us", "is"))


def _split_fronted(tokens: list[str], discourse: Discourse) -> tuple[list[str], list[str]]:
    """(fronted adverbial, main clause): "In April 2013 X opened Y" -> (["in", "April", "2013"], X ...)."""
    low = tokens[0].lower()
    if len(tokens) > 3 and tokens[1].lower() in _TIME_SPANS and tokens[2].lower() in ("later", "earlier"):
        # "Two years later she ...": kept, at the end, for the step that turns it into a year
        rest = tokens[4:] if tokens[3] == "," else tokens[3:]
        return [t.lower() for t in tokens[:3]], rest
    if low in _FRONT_ADVERBS:
        rest = tokens[2:] if len(tokens) > 1 and tokens[1] == "," else tokens[1:]
        return [low], rest
    if low not in _FRONT_PREPOSITIONS or len(tokens) < 4:
        return [], tokens
    end = date_end(tokens, 1)
    if end > 1:
        return [low, *tokens[1:end]], tokens[end + 1 if end < len(tokens) and tokens[end] == "," else end :]
    if "," in tokens[:12]:
        comma = tokens.index(",")
        return [low, *tokens[1:comma]], tokens[comma + 1 :]
    # "As a child she watched ...": the phrase runs to the first pronoun or name.
    for k in range(2, min(len(tokens), 7)):
        if tokens[k].lower() in SUBJECT_PRONOUNS or tokens[k] in discourse.proper_words:
            return [low, *tokens[1:k]], tokens[k:]
    return [], tokens


def date_end(tokens: list[str], start: int) -> int:
    """End of a date expression at ``start`` ("the end of 2016", "17 July 1971", "May 2009"), or ``start``."""
    i = start
    if (
        tokens[i : i + 1] == ["the"]
        and i + 2 < len(tokens)
        and tokens[i + 1] in _TIME_PARTS
        and tokens[i + 2] == "of"
    ):
        i += 3
    while i < len(tokens) and (
        tokens[i].lower() in _TIME_OPENERS or is_month(tokens[i]) or _is_day_or_year(tokens[i])
    ):
        i += 1
    while i > start and not (is_month(tokens[i - 1]) or len(tokens[i - 1]) == 4 and tokens[i - 1].isdigit()):
        i -= 1  # a date ends with its month or year: "at 14 Brackwater Street" holds none
    return i


def _is_day_or_year(token: str) -> bool:
    return token.isdigit() and (len(token) <= 2 or len(token) == 4)
