"""Step 1, extraction: every stated fact of a document as questions in both directions.

A document is laid out (running text, record lines, table cells), parsed by the English pipeline, read
into statements, relations and descriptions (``statements``), and each becomes questions in the canonical
wordings (``wordings``): the explicit direction as ``direct`` facts, the other direction as ``inferred``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from lemminflect import getAllLemmas

from memo_core.reflections.config import OfflineRulesConfig
from memo_core.reflections.generators.facts import Evidence, Fact
from memo_core.reflections.generators.offline import wordings
from memo_core.reflections.generators.offline.pipeline import load_pipeline
from memo_core.reflections.generators.offline.statements import (
    KIN_NOUNS,
    KIND_NOUNS,
    LIKING_NOUNS,
    PASTIME_VERBS,
    PERSON,
    Argument,
    Description,
    Discourse,
    Mention,
    Reading,
    Statement,
    read_sentence,
)
from memo_core.reflections.generators.sentences import FieldLine, Layout, Sentence, layout
from memo_core.sources.scan import Document
from memo_core.text import and_list, answer_form, normalise_text


@dataclass
class Analysis:
    """One document parsed once and shared by every step."""

    document: Document
    layout: Layout
    sentences: list[Sentence]
    readings: list[Reading]
    records: list[tuple[FieldLine, Mention, Mention]]  # (line, its subject, its value)
    unresolved: Counter[str] = field(default_factory=Counter)
    topic: str = ""  # what the document is about: its title's name, else its first named subject
    people: frozenset[str] = frozenset()  # names the document shows are people's

    def anchored(self, questions: Sequence[str], answer: str) -> list[str]:
        """ "How many beds will the centre have?" -> "Regarding St Brigid's Hospital, how many beds will the
        centre have?": a question about "the centre" says whose centre, without naming a document."""
        if not self.topic or self.topic.lower() in answer.lower():
            return list(questions)  # "Regarding Harlow Bay, ... at which place?" would give it away
        return [
            q if self.topic.lower() in q.lower() else f"Regarding {self.topic}, {_lower_opener(q)}"
            for q in questions
        ]


def analyse(document: Document, config: OfflineRulesConfig | None = None) -> Analysis:
    config = config or OfflineRulesConfig()
    nlp = load_pipeline(config.spacy_model)
    doc_layout = layout(document.text)
    headings = sorted({f.heading for f in doc_layout.fields} | {doc_layout.title} - {""})
    keys = sorted({f.subject for f in doc_layout.fields if f.subject} | {f.value for f in doc_layout.fields})
    # Headings and cells need only their entities: the recogniser runs on its own, without the parser
    # (called directly: switching the other components off for each document costs more than the parse).
    recogniser = nlp.get_pipe("ner")
    names = recogniser.pipe(nlp.make_doc(text) for text in headings + keys)  # type: ignore[attr-defined]
    short = {text: parsed for text, parsed in zip(headings + keys, names, strict=True)}
    title = _name_of(short[doc_layout.title]) if doc_layout.title else None
    gendered = re.search(r"\b(he|she|him|her|his|hers)\b", document.text, re.IGNORECASE) is not None
    discourse = Discourse(title=title, gendered=gendered)
    sentences: list[Sentence] = []
    readings: list[Reading] = []
    for block, parsed in zip(doc_layout.blocks, nlp.pipe(b.text for b in doc_layout.blocks), strict=True):
        for span in parsed.sents:
            sentence = block.sentence(span.start_char, span.end_char)
            sentences.append(sentence)
            readings.append(read_sentence(span, sentence, discourse))
    readings, people = _people_as_people(_lede_named(readings), discourse)
    about = title if title is not None and title.named else _untitled_topic(doc_layout, readings)
    records = []
    for line in doc_layout.fields:
        subject = _record_subject(line, short, title) or about  # "Key figures:" lists in a news item
        if subject is not None:
            records.append((line, subject, _name_of(short[line.value], whole=True)))
    topic = about.text if about is not None else ""
    return Analysis(
        document, doc_layout, sentences, readings, records, discourse.unresolved, topic, frozenset(people)
    )


def _lede_named(readings: list[Reading]) -> list[Reading]:
    """ "A former treasurer who stole £180,000 was jailed today. Gwen Harrower, 58, had admitted ...": the
    someone a news item opens with, unnamed, is the person its second sentence opens by naming."""
    if len(readings) < 2:
        return readings
    lede, following = readings[0], readings[1]
    named = next((s.subject for s in following.statements if s.subject.is_person and s.subject.named), None)
    if not lede.someone or named is None or not following.sentence.text.startswith(named.raw):
        return readings
    said = [replace(s, subject=named) for s in lede.someone if s.subject.raw == lede.someone[0].subject.raw]
    return [replace(lede, statements=[*lede.statements, *said]), *readings[1:]]


def _people_as_people(readings: list[Reading], discourse: Discourse) -> tuple[list[Reading], set[str]]:
    """Every mention of a name the document shows is a person's ("he" stood for it, or it is someone's
    sister) labelled as one, so each question about it says "who" wherever it was first read."""
    people = set(discourse.called_he_or_she)
    for reading in readings:
        for relation in reading.relations:
            people.update(m.raw for m in (relation.owner, *relation.values) if m.label == PERSON)
        people.update(s.subject.raw for s in reading.statements if s.subject.label == PERSON)
        people.update(  # whoever has a pastime is a person
            s.subject.raw for s in reading.statements if s.verb.lemma in PASTIME_VERBS | _LIKING
        )
    people -= discourse.not_people

    def relabel(mention: Mention) -> Mention:
        if mention.raw in discourse.not_people and mention.is_person:
            return replace(mention, label="ORG")  # "Lund Labs is a company": no "who"
        return replace(mention, label=PERSON) if mention.raw in people and mention.named else mention

    out = []
    for reading in readings:
        statements = [
            replace(
                s,
                subject=relabel(s.subject),
                arguments=tuple(replace(a, value=relabel(a.value)) for a in s.arguments),
            )
            for s in reading.statements
        ]
        relations = [
            replace(r, owner=relabel(r.owner), values=tuple(relabel(v) for v in r.values))
            for r in reading.relations
        ]
        descriptions = [replace(d, subject=relabel(d.subject)) for d in reading.descriptions]
        out.append(replace(reading, statements=statements, relations=relations, descriptions=descriptions))
    return out, people


def _name_of(parsed: object, whole: bool = False) -> Mention:
    """A heading or cell as a mention: its main named entity ("Quenlow Instruments" in "Quenlow Instruments
    Annual Report 2022"), or all of it."""
    text = str(parsed).strip()
    ents = list(getattr(parsed, "ents", ()))
    if ents and not whole:
        main = max(ents, key=lambda e: len(e.text))
        if main.label_ in (PERSON, "ORG", "GPE", "LOC", "FAC", "PRODUCT", "WORK_OF_ART", "EVENT"):
            name = main.text
            if main[-1].tag_ == "POS" or main[-1].text == "'s":  # "St Brigid's" of "St Brigid's Hospital"
                following = main.doc[main.end :]
                words = [
                    w.text
                    for w in following[
                        : next((k for k, w in enumerate(following) if w.is_lower), len(following))
                    ]
                ]
                name = " ".join([name, *words])
            return Mention(name, name, main.label_, True)
    label = ents[0].label_ if ents and len(ents[0].text) >= 0.6 * len(text) else ""
    named = text[:1].isupper() or any(t.like_num for t in parsed)  # type: ignore[attr-defined]
    return Mention(text, text, label, named)


def _names_something(heading: str) -> bool:
    """ "Great Pellow", "Tarrow Ales": a short capitalised heading with a word no dictionary knows is a
    name the recogniser missed ("Early Life" and "Career" are not)."""
    words = heading.split()
    return (
        0 < len(words) <= 6
        and all(w[:1].isupper() or w in _NAME_PARTICLES for w in words)
        and any(w[:1].isupper() and not getAllLemmas(w.lower()) for w in words)
    )


_NAME_PARTICLES = frozenset({"of", "the", "and", "de", "van", "von", "der", "du", "la", "le"})


def _record_subject(line: FieldLine, short: Mapping[str, object], title: Mention | None) -> Mention | None:
    """Whom a record line is about: its row's key, else a heading that names something, else the title's."""
    if line.subject:
        return _name_of(short[line.subject], whole=True)
    if line.heading:
        heading = short[line.heading]
        if (
            getattr(heading, "ents", ())
            or _names_something(line.heading)
            or line.heading == (title.raw if title else None)
        ):
            return _name_of(heading) if line.heading != (title.raw if title else "") else title
    return title


# Facts -------------------------------------------------------------------------------------------------


def direct(analysis: Analysis, config: OfflineRulesConfig | None = None) -> list[Fact]:
    """Every explicitly stated fact, asked from its subject's side."""
    config = config or OfflineRulesConfig()
    n = config.wordings
    facts: list[Fact] = []
    shorts: list[Fact] = []
    for reading in analysis.readings:
        before = len(facts)
        for statement in reading.statements:
            for argument in statement.arguments:
                if argument.role == "attribute" or not _answerable(argument.value):
                    continue
                if argument.role == "complement" and not (argument.value.noun or argument.value.named):
                    continue  # "would stay open": a state, not a fact to ask for
                asked = wordings.forward(statement, argument)
                stated = wordings.stated_relation(statement, argument)
                if stated is not None and stated[1] == "subject" and statement.subject.named:
                    said = wordings.relation_questions(statement.subject.text, stated[0], argument.value)
                    asked = wordings.interleaved(asked, said)  # "Who is X's employer?" beside "works for"
                if not statement.subject.named:  # "the centre will have 40 beds"
                    asked = analysis.anchored(asked, argument.value.raw)
                liked = argument.role == "object" and (
                    statement.verb.lemma in PASTIME_VERBS
                    or _at_leisure(statement)
                    and (argument.value.raw.endswith("ing") or argument.value.noun)
                )  # "likes fencing", "goes sailing in her spare time", "plays chess in her free time"
                fond = argument.prep == _LIKED_WITH.get(statement.verb.lemma) or _has_a_liking(
                    statement, argument
                )
                if (
                    (liked or fond) and not argument.value.named and not argument.value.determined
                ):  # "likes fencing", "is fond of chess"; not "loves Mara Vell" or "likes the plan"
                    asked = [*wordings.pastime(statement.subject.text), *asked]
                slot = (
                    "time"
                    if wordings.is_time(argument)
                    else "place"
                    if wordings.is_place(argument)
                    else "object"
                )
                describes = _describes(statement, argument)
                facts += _facts(
                    asked,
                    argument.value.raw,
                    slot,
                    statement.subject,
                    statement.sentence,
                    n,
                    describes=describes,
                    answer_name=argument.value.text,
                )
                if statement.subject.named:
                    short = wordings.short_forward(statement, argument)
                    shorts += _facts(
                        short, argument.value.raw, slot, statement.subject, statement.sentence, 2
                    )
        for relation in reading.relations:
            child = relation.values[0] if len(relation.values) == 1 else None
            if relation.noun in wordings.CHILD_NOUNS and child is not None:
                # "X is the son of A and B", "X, the daughter of A,": A (and B) are X's parents
                owners = relation.owners or (relation.owner,)
                people = [replace(o, label=PERSON) for o in owners]
                parents = wordings.relation_forward(child.text, "parent", people)
                answer = and_list([o.raw for o in owners])
                facts += _facts(parents, answer, "relation", child, relation.sentence, n)
            asked = wordings.relation_forward(relation.owner.text, relation.noun, relation.values)
            answer = and_list([v.raw for v in relation.values])
            describes = (
                wordings.describe(relation.owner.text, relation.noun) if len(relation.values) == 1 else ""
            )
            facts += _facts(
                asked,
                answer,
                "relation",
                relation.owner,
                relation.sentence,
                n,
                describes=describes,
                answer_name=relation.values[0].text,
            )
        for described in reading.descriptions:
            be = "was" if _past(described.sentence.text, described) else "is"
            kind = KIND_NOUNS.get(described.description.lemma)  # "a printing company" is no person
            subject = replace(described.subject, label=kind) if kind else described.subject
            if described.description.definite and described.description.lemma in KIN_NOUNS:
                # "the daughter of Y" is a relation, not what X is; "the son of a miller" names a parent
                _, _, parent = described.description.raw.partition(" of ")
                if described.description.lemma in wordings.CHILD_NOUNS and parent[:2] in ("a ", "an"):
                    kin = described.description.lemma
                    asked = wordings.parent_by_trade(described.subject.text, kin)
                    facts += _facts(asked, parent, "relation", described.subject, described.sentence, n)
                continue
            asked = wordings.description(subject, be, described.description.definite)
            facts += _facts(
                asked, described.description.raw, "kind", described.subject, described.sentence, n
            )
        for measured, adjective, amount in reading.measures:
            asked = wordings.measure(
                measured.text, adjective, "was" if " was " in reading.sentence.text else "is"
            )
            asked = asked if measured.named else analysis.anchored(asked, amount)
            facts += _facts(asked, amount, "quantity", measured, reading.sentence, n)
        for work, year in reading.works:
            facts += _facts(wordings.appeared(work.text), year, "time", work, reading.sentence, n)
        for person, birth, death in reading.life_spans:
            sentence = reading.sentence
            facts += _facts(wordings.born(person.text, birth), birth, "time", person, sentence, n)
            if death:  # "(b. 1986)" gives a birth only
                facts += _facts(wordings.died(person.text, death), death, "time", person, sentence, n)
        facts += _unasked(analysis, reading, facts[before:])
    facts += _dateline_facts(analysis, n)
    for line, subject, value in analysis.records:
        sentence = _record_sentence(line)
        asked = (
            wordings.record_forward(subject.text, line.label, value)
            if line.label
            else wordings.definition_forward(subject.text)
        )
        describes = f"the {line.label.lower()} of {subject.text}" if line.label and value.named else ""
        facts += _facts(
            asked, line.value, "field", subject, sentence, n, describes=describes, answer_name=line.value
        )
    return facts + _unambiguous(shorts, facts)


_OPENERS = frozenset({
    "who", "whom", "whose", "what", "which", "when", "where", "why", "how", "in", "on", "at", "from", "to",
    "for", "by", "with", "until", "since", "after", "before", "the", "a", "an", "this", "that", "these",
    "those", "each", "every", "is", "are", "was", "were", "do", "does", "did", "has", "have", "had", "can",
    "will", "would",
})  # fmt: skip


def _lower_opener(question: str) -> str:
    """ "How many beds ..." -> "how many beds ..."; "Hembry's studio ..." keeps its capital."""
    first = question.split(" ", 1)[0]
    return question[:1].lower() + question[1:] if first.lower() in _OPENERS else question


def _untitled_topic(doc_layout: Layout, readings: list[Reading]) -> Mention | None:
    """What a document without a title is about: a news item's, the first named subject of its dateline's
    paragraph; anything else's, the subject of its first sentence ("Tariq Elmsford (born 1985) is ...")."""
    for dateline in doc_layout.datelines:
        subjects = [s for r in readings if r.sentence.chunk == dateline.chunk for s in r.subjects]
        if subjects:
            return subjects[0]
    return readings[0].subjects[0] if readings and readings[0].subjects else None


def _dateline_facts(analysis: Analysis, n: int) -> list[Fact]:
    """ "PORT ESSEN, 15 April 2024 \u2014 Calder Minerals said ...": where and when the item about its first
    subject was filed."""
    facts: list[Fact] = []
    for dateline in analysis.layout.datelines:
        readings = [r for r in analysis.readings if r.sentence.chunk == dateline.chunk]
        subjects = [s for r in readings for s in r.subjects]
        if not readings or not subjects:
            continue
        first, sentence = subjects[0], readings[0].sentence
        if dateline.date:
            facts += _facts(wordings.dateline_date(first.text), dateline.date, "time", first, sentence, n)
        facts += _facts(wordings.dateline_place(first.text), dateline.place, "place", first, sentence, n)
    return facts


def inferred(analysis: Analysis, config: OfflineRulesConfig | None = None) -> list[Fact]:
    """The same facts asked the other way: who did it, whose relative or record value this is."""
    config = config or OfflineRulesConfig()
    n = config.wordings
    facts: list[Fact] = []
    shorts: list[Fact] = []
    for reading in analysis.readings:
        for statement in reading.statements:
            if not statement.subject.named or not _identifying(statement):
                continue
            asked = wordings.backward(statement)
            for argument in statement.arguments:  # "X set up Y": "Who is the founder of Y?"
                stated = wordings.stated_relation(statement, argument)
                if stated is not None and stated[1] == "value" and argument.value.named:
                    said = wordings.relation_questions(argument.value.text, stated[0], statement.subject)
                    asked = wordings.interleaved(asked, said)
                    break
            predicate = f"{statement.verb.finite} {wordings.rest(statement, None)}"
            facts += _facts(
                asked,
                statement.subject.raw,
                "subject",
                statement.subject,
                statement.sentence,
                n,
                kind="inferred",
                predicate=predicate,
            )
            short = wordings.short_backward(statement)
            shorts += _facts(
                short,
                statement.subject.raw,
                "subject",
                statement.subject,
                statement.sentence,
                1,
                kind="inferred",
            )
        for relation in reading.relations:
            for value in relation.values:
                asked = wordings.relation_backward(relation.owner, relation.noun, value.text)
                facts += _facts(
                    asked, relation.owner.raw, "relation", value, relation.sentence, n, kind="inferred"
                )
        for described in reading.descriptions:
            if described.description.raw.lower().startswith("the ") and described.description.definite:
                asked = wordings.described_by(described.subject, described.description.text)
                facts += _facts(
                    asked,
                    described.subject.raw,
                    "subject",
                    described.subject,
                    described.sentence,
                    n,
                    kind="inferred",
                )
    for line, subject, value in analysis.records:
        if not value.named or value.raw[:1].isdigit() or len(line.value.split()) > 8:
            continue  # "Built: 1871" says nothing that picks its subject out
        if line.label and wordings.participle_label(line.label):
            continue
        sentence = _record_sentence(line)
        asked = (
            wordings.record_backward(subject, line.label, line.value)
            if line.label
            else wordings.definition_backward(line.value)
        )
        facts += _facts(asked, subject.raw, "subject", value, sentence, n, kind="inferred")
    return facts + _unambiguous(shorts, facts)


def _unambiguous(shorts: Sequence[Fact], facts: Sequence[Fact]) -> list[Fact]:
    """Short questions whose answer no other fact of the document contradicts: "What did X study?" is
    dropped when X studied two subjects, each with its own year."""
    answers: dict[str, set[str]] = {}
    for fact in [*shorts, *facts]:
        answers.setdefault(normalise_text(fact.question), set()).add(answer_form(fact.answer))
    return [replace(f, probe=None) for f in shorts if len(answers[normalise_text(f.question)]) == 1]


def _record_sentence(line: FieldLine) -> Sentence:
    """A record line as the evidence its facts cite."""
    return Sentence(
        f"{line.label}: {line.value}".lstrip(": "), line.start, line.end, line.chunk, line.heading
    )


def _facts(
    asked: Sequence[str],
    answer: str,
    slot: str,
    subject: Mention,
    sentence: Sentence,
    wordings_per_fact: int,
    kind: str = "direct",
    predicate: str = "",
    describes: str = "",
    answer_name: str = "",
) -> list[Fact]:
    """The first ``wordings_per_fact`` questions as training facts, the next as the first one's probe."""
    if not answer.strip():
        return []
    unique = list(dict.fromkeys(asked))
    train, probe = unique[:wordings_per_fact], unique[wordings_per_fact : wordings_per_fact + 1]
    evidence = (Evidence("", sentence),)
    kind_of = "person" if subject.label == PERSON else "people" if subject.plural else "thing"
    return [
        Fact(
            question,
            answer,
            probe[0] if k == 0 and probe else None,
            slot,
            subject.text,
            evidence,
            kind=kind,
            subject_kind=kind_of,
            predicate=predicate if k == 0 else "",
            describes=describes if k == 0 else "",
            answer_name=answer_name,
            wording=k,
        )
        for k, question in enumerate(train)
    ]


def _unasked(analysis: Analysis, reading: Reading, asked: list[Fact]) -> list[Fact]:
    """The sentence's names, numbers and dates no fact above asks for, each asked in place."""
    answers = [answer_form(f.answer) for f in asked if f.slot != "kind"]  # "Doctor" asks no name
    # a statement's named subject is asked by ``inferred`` when the rest of the statement pins it down
    answers += [answer_form(s.subject.raw) for s in reading.statements if s.subject.named and _identifying(s)]
    facts = []
    for cloze in reading.clozes:
        value = answer_form(cloze.answer)
        if not value or any(value in a or a in value for a in answers if a):
            continue
        slot = (
            "time"
            if cloze.label in ("DATE", "TIME")
            else "place"
            if cloze.label in ("GPE", "LOC", "FAC")
            else "quantity"
            if cloze.label in ("MONEY", "QUANTITY", "CARDINAL", "PERCENT")
            else "object"
        )
        question = cloze.question
        if cloze.answer in analysis.people and cloze.wh in ("which place", "which organisation", "what"):
            # the recogniser took a person for a place
            question = re.sub(re.escape(cloze.wh), "who", question, count=1, flags=re.IGNORECASE)
            question = question[:1].upper() + question[1:]
        if not reading.subjects:
            question = analysis.anchored([question], cloze.answer)[0]
        facts += _facts([question], cloze.answer, slot, cloze.subject, reading.sentence, 1)
    return facts


# "is fond of chess", "is keen on sailing", "is passionate about opera": what someone likes doing
_LIKED_WITH = {"be fond": "of", "be keen": "on", "be passionate": "about"}
_LIKING = frozenset(_LIKED_WITH)


def _has_a_liking(statement: Statement, argument: Argument) -> bool:
    """ "has a passion for chess": chess is a pastime."""
    return (
        statement.verb.lemma == "have"
        and argument.prep == "for"
        and any(a.role == "object" and a.value.lemma in LIKING_NOUNS for a in statement.arguments)
    )


def _at_leisure(statement: Statement) -> bool:
    return any(_LEISURE.search(a.value.raw) for a in statement.arguments if a.role in ("prep", "time"))


_LEISURE = re.compile(r"\b(?:spare|free|leisure) time\b", re.IGNORECASE)


def _answerable(value: Mention) -> bool:
    """Worth asking for: a name, a number or date, or a phrase of content words (not "it", "one")."""
    return (
        value.named or len(value.raw) > 2 and value.raw.lower() not in ("one", "this", "that", "it", "them")
    )


def _identifying(statement: Statement) -> bool:
    """Whether the rest of the statement pins its subject down: a name, a number or a date in it."""
    return any(a.value.named and a.role != "attribute" for a in statement.arguments)


def _describes(statement: Statement, argument: Argument) -> str:
    """The answer described through the subject, for chained questions: "the organisation Lio Varesh
    works for", "the company Ilse Marr founded"."""
    value = argument.value
    if not value.named or value.label not in (PERSON, "ORG", "GPE", "FAC", "LOC"):
        return ""
    verb = statement.verb
    if verb.passive or verb.copular:
        return ""
    noun = wordings.type_noun(value)
    tail = f" {argument.prep}" if argument.prep else ""
    return f"the {noun} {statement.subject.text} {verb.finite}{tail}" if len(verb.finite.split()) == 1 else ""


def _past(text: str, described: Description) -> bool:
    after = text.split(described.subject.raw, 1)[-1]
    return " was " in f" {after} " or " were " in f" {after} "
