"""The offline generator, one English construct at a time: each test gives a short invented text and checks
that a correct (question, answer) pair about its fact is among the training reflections."""

from __future__ import annotations

import re

from memo_core.reflections.config import GeneratorConfig
from memo_core.reflections.generators.offline.generator import OfflineGenerator
from memo_core.reflections.records import Reflection
from memo_core.sources.scan import Document, content_hash
from memo_core.text import normalise_text


def _doc(text: str, name: str = "d.md") -> Document:
    return Document(id=name, source="s", path=name, text=text, content_hash=content_hash(text))


def reflect(text: str, name: str = "d.md") -> tuple[OfflineGenerator, list[Reflection]]:
    generator = OfflineGenerator(GeneratorConfig())
    return generator, generator.reflect_document(_doc(text, name), 1)


def train_pairs(text: str) -> set[tuple[str, str]]:
    """The (question, answer) pairs of ``text``'s training reflections."""
    return {(r.question, r.answer) for r in reflect(text)[1] if r.split == "train"}


def assert_pairs(text: str, *expected: tuple[str, str]) -> None:
    pairs = train_pairs(text)
    missing = [pair for pair in expected if pair not in pairs]
    assert not missing, f"missing {missing}; have {sorted(pairs)}"


# Clauses --------------------------------------------------------------------------------------------------


def test_subject_verb_object_with_place_and_time() -> None:
    """Each modifier of the verb (object, "in Carrow", "in 1994") is asked with the others kept as context."""
    assert_pairs(
        "Margaret Ellison opened a bakery in Carrow in 1994.",
        ("What did Margaret Ellison open in Carrow in 1994?", "a bakery"),
        ("Where did Margaret Ellison open a bakery in 1994?", "Carrow"),
        ("When did Margaret Ellison open a bakery in Carrow?", "1994"),
    )


def test_a_length_of_time_after_a_time_preposition_is_no_date() -> None:
    """ "after eight years" is a length: "After how many years ...?", never "After when ...?"."""
    pairs = train_pairs("Berit Lund will retire after eight years.")
    assert ("After how many years will Berit Lund retire?", "eight years") in pairs
    assert not [q for q, _ in pairs if q.startswith("After when")]


def test_a_time_relative_to_another_is_dropped_whole_from_a_question() -> None:
    """ "two years later" means something only beside the sentence before: the question leaves out the
    whole span, never asking "... found two years?"."""
    pairs = train_pairs("Wilhelmina Cask founded the Cask Company two years later.")
    assert ("What did Wilhelmina Cask found?", "the Cask Company") in pairs
    assert not [q for q, _ in pairs if re.search(r"two years\?$", q)]


def test_what_a_thing_is_for_stays_in_its_answer() -> None:
    """ "makes software for dairy farms": the product is the software for dairy farms."""
    assert_pairs(
        "Tolvane Systems makes software for dairy farms.",
        ("What does Tolvane Systems make?", "software for dairy farms"),
    )


def test_a_perfect_copula_keeps_its_attribute() -> None:
    """ "has been chief ranger at X since 2015": X is a workplace, and the time is asked with the
    post it is the time of, not "Since when has Y been?"."""
    pairs = train_pairs("Ines Carrow has been chief ranger at Tolmere Trust since 2015.")
    assert ("Where does Ines Carrow work?", "Tolmere Trust") in pairs
    assert ("Since when has Ines Carrow been chief ranger?", "2015") in pairs
    assert not [q for q, _ in pairs if q.startswith("Since when has Ines Carrow been?")]


def test_a_count_after_a_preposition_is_asked_how_many() -> None:
    """ "by 1,200 votes" is a count: "By how many votes ...?", not "By what ...?"."""
    assert_pairs(
        "Orrin Pask defeated Lida Venn by 340 votes.",
        ("By how many votes did Orrin Pask defeat Lida Venn?", "340 votes"),
        ("Who did Orrin Pask defeat by 340 votes?", "Lida Venn"),
    )


def test_prepositional_object_and_time_range() -> None:
    """ "at the University of Halvik" is asked as a place; "from 1972 to 1994" gives a start and an end."""
    assert_pairs(
        "Oskar Brenn taught mathematics at the University of Halvik from 1972 to 1994.",
        ("Where did Oskar Brenn teach mathematics from 1972 until 1994?", "the University of Halvik"),
        ("Until when did Oskar Brenn teach mathematics at the University of Halvik from 1972?", "1994"),
        ("Who taught mathematics at the University of Halvik from 1972?", "Oskar Brenn"),
    )


def test_a_period_is_asked_as_one_answer_too() -> None:
    """ "from 1981 to 1999" gives its start, its end, and the period: "During which years ...?"."""
    assert_pairs(
        "Tamsin Orr edited the Pellby Gazette from 1981 to 1999.",
        ("During which years did Tamsin Orr edit the Pellby Gazette?", "1981 to 1999"),
        ("From when did Tamsin Orr edit the Pellby Gazette until 1999?", "1981"),
        ("Until when did Tamsin Orr edit the Pellby Gazette from 1981?", "1999"),
    )


def test_a_length_of_time_is_asked_how_long() -> None:
    """ "for six years" says how long, not when; the short question keeps the object it is about."""
    pairs = train_pairs("Dindeth Lasen ran the Peholm Press for six years.")
    assert ("How long did Dindeth Lasen run the Peholm Press?", "six years") in pairs
    assert not [q for q, a in pairs if a == "six years" and q.startswith("When")]
    assert not [q for q, _ in pairs if q == "How long did Dindeth Lasen run?"]


def test_a_lower_case_phrase_after_a_name_is_not_part_of_it() -> None:
    """ "Jumley Timber as a joiner" is no organisation's name; "the Saltmarsh Bridge over the river Tarrow"
    may be one."""
    pairs = train_pairs("Feilas Huthow works for Jumley Timber as a joiner.")
    assert ("Who works for Jumley Timber?", "Feilas Huthow") in pairs
    assert not [a for _, a in pairs if "as a joiner" in a]


def test_a_verb_with_a_to_infinitive() -> None:
    """ "has agreed to buy", "plans to open": asked with the governing verb; its possessive is the
    subject's, and no passive is made of it."""
    pairs = train_pairs(
        "Brel Foods has agreed to buy its rival, Tamsworth Dairies. Brel Foods plans to open a shop in Ardby."
    )
    assert ("What has Brel Foods agreed to buy?", "Tamsworth Dairies") in pairs
    assert ("Where does Brel Foods plan to open a shop?", "Ardby") in pairs
    assert not [q for q, _ in pairs if "planned to open by" in q]


def test_passive_with_agent() -> None:
    """ "was founded by" asks for the agent and, the other way, for the thing founded."""
    assert_pairs(
        "In 1903 the Tellan Rowing Club was founded by Edric Mabb.",
        ("By whom was the Tellan Rowing Club founded in 1903?", "Edric Mabb"),
        ("When was the Tellan Rowing Club founded by Edric Mabb?", "1903"),
        ("Which organisation was founded in 1903 by Edric Mabb?", "the Tellan Rowing Club"),
    )


def test_copular_description() -> None:
    """ "X is a botanist" says what X is, asked as who X is and as X's occupation."""
    assert_pairs(
        "Ysolde Farrant is a botanist.",
        ("Who is Ysolde Farrant?", "a botanist"),
        ("What is Ysolde Farrant's occupation?", "a botanist"),
    )


def test_appositive_relation() -> None:
    """ "X, the chair of Y," states a relation, asked both ways, besides the main clause's own fact."""
    assert_pairs(
        "Corin Ashby, the chair of the Pellmoor Trust, lives in Tamsley.",
        ("Who is the chair of the Pellmoor Trust?", "Corin Ashby"),
        ("Whose chair is Corin Ashby?", "the Pellmoor Trust"),
        ("Where does Corin Ashby live?", "Tamsley"),
    )


def test_parenthetical_birth_date_and_place() -> None:
    """ "(born 12 June 1958 in Drummore)" is a participle clause about the name it follows."""
    assert_pairs(
        "Ansel Korvac (born 12 June 1958 in Drummore) is a Scottish seed collector.",
        ("When was Ansel Korvac born in Drummore?", "12 June 1958"),
        ("Who is Ansel Korvac?", "a Scottish seed collector"),
    )


def test_a_month_day_year_date_is_whole() -> None:
    """ "born on February 9, 1958": the date with its year, asked as a date."""
    assert_pairs(
        "Amara Lind was born on February 9, 1958, in Tarrowby.",
        ("When was Amara Lind born in Tarrowby?", "February 9, 1958"),
        ("On which date was Amara Lind born in Tarrowby?", "February 9, 1958"),
    )


def test_born_abbreviated_in_parentheses() -> None:
    """ "(b. 1986)" is a birth year, and its "b." ends no sentence."""
    assert_pairs(
        "Shira Venn (b. 1986) is an epidemiologist.",
        ("When was Shira Venn born?", "1986"),
        ("Who is Shira Venn?", "an epidemiologist"),
    )


def test_parenthetical_birth_date_then_place() -> None:
    """ "(born 5 November 1941, Holmvik)": the whole date, and the place after the comma."""
    assert_pairs(
        "Edvin Rask (born 7 March 1950, Tallow Cross) is a potter.",
        ("When was Edvin Rask born in Tallow Cross?", "7 March 1950"),
        ("Where was Edvin Rask born on 7 March 1950?", "Tallow Cross"),
    )


def test_a_list_in_apposition_is_not_its_first_item() -> None:
    """ "His parents, A and B, ran a bakery": the parents ran it, and "he" is still the article's man."""
    pairs = train_pairs(
        "Edvin Rask is a potter. His parents, Aksel Rask and Mette Lind, ran a bakery. "
        "He opened a studio in 1980."
    )
    assert ("What did Edvin Rask open in 1980?", "a studio") in pairs
    assert ("What did Edvin Rask's parents run?", "a bakery") in pairs
    assert not [q for q, _ in pairs if "Aksel Rask open" in q]


def test_a_title_with_its_year_in_parentheses() -> None:
    """ "followed by Low Tide (1994) and A Song for Herons (2003)": when each work came out."""
    assert_pairs(
        "Her first novel was followed by Low Tide (1994) and A Song for Herons (2003).",
        ("In which year did Low Tide appear?", "1994"),
        ("In which year did A Song for Herons appear?", "2003"),
    )


def test_parenthetical_life_span() -> None:
    """ "(1921-1987)" after a name gives the years of birth and death."""
    assert_pairs(
        "Hedda Morrow (1921-1987) was a Danish architect.",
        ("When was Hedda Morrow born?", "1921"),
        ("When did Hedda Morrow die?", "1987"),
        ("Who was Hedda Morrow?", "a Danish architect"),
    )


def test_relative_clause() -> None:
    """In "which he ran until 2009", "which" is the inn and "he" the buyer."""
    assert_pairs(
        "In 1985 Dario Pell bought the Grey Heron Inn, which he ran until 2009.",
        ("What did Dario Pell run until 2009?", "the Grey Heron Inn"),
        ("Until when did Dario Pell run the Grey Heron Inn?", "2009"),
        ("Who ran the Grey Heron Inn until 2009?", "Dario Pell"),
        ("When did Dario Pell buy the Grey Heron Inn?", "1985"),
    )


def test_participle_clause() -> None:
    """ "graduating in 1980" takes its subject from the main clause."""
    assert_pairs(
        "Lena Ostrova studied chemistry at the University of Vell, graduating in 1980.",
        ("When did Lena Ostrova graduate?", "1980"),
        ("What did Lena Ostrova study at the University of Vell?", "chemistry"),
        ("Where did Lena Ostrova study chemistry?", "the University of Vell"),
    )


def test_coordinated_verbs() -> None:
    """The second of two coordinated verbs shares the first one's subject."""
    assert_pairs(
        "Piet Haller designed the Marrow Bridge and built the Tolle Tower.",
        ("What did Piet Haller design?", "the Marrow Bridge"),
        ("What did Piet Haller build?", "the Tolle Tower"),
        ("Who built the Tolle Tower?", "Piet Haller"),
    )


def test_coordinated_objects() -> None:
    """Two coordinated objects are one answer, and one subject of the question the other way."""
    assert_pairs(
        "Margaret Ellison founded the Hesketh Gallery and the Lune Press.",
        ("What did Margaret Ellison found?", "the Hesketh Gallery and the Lune Press"),
        ("Who founded the Hesketh Gallery and the Lune Press?", "Margaret Ellison"),
    )


def test_a_perfect_participle_clause_is_a_past_fact_of_the_subject() -> None:
    """ "Having spent a decade with X, she joined Y": asked as what she did, never "What having ...?"."""
    pairs = train_pairs(
        "Having spent a decade with the shipbuilders Carrick & Lowe, Mara Quell joined the Harbour Board."
    )
    assert ("Who spent a decade with Carrick & Lowe?", "Mara Quell") in pairs
    assert ("With which organisation did Mara Quell spend a decade?", "Carrick & Lowe") in pairs
    assert not [q for q, _ in pairs if "having" in q.lower()]


def test_an_infinitive_of_purpose_is_what_the_subject_did() -> None:
    """ "left the firm in 2014 to found Tidewater Audio": she founded it, and "found" is no "find"."""
    pairs = train_pairs("Mara Quell left the firm in 2014 to found Tidewater Audio.")
    assert ("Who founded Tidewater Audio?", "Mara Quell") in pairs
    assert ("What did Mara Quell found?", "Tidewater Audio") in pairs
    assert not [q for q, _ in pairs if "find" in q]


def test_a_length_of_time_in_parts_is_asked_how_long_and_a_weekday_which_day() -> None:
    assert_pairs(
        "Gwen Harrower was jailed for three years and four months on Tuesday.",
        ("How long was Gwen Harrower jailed?", "three years and four months"),
        ("On which day was Gwen Harrower jailed for three years and four months?", "Tuesday"),
    )
    pairs = train_pairs("Gwen Harrower was sentenced today.")
    assert ("When was Gwen Harrower sentenced?", "today") in pairs
    assert not [q for q, _ in pairs if "which time" in q]


def test_an_age_at_an_event_is_asked_at_what_age_not_when() -> None:
    pairs = train_pairs("Leonard Ashby died at the age of 81 in March.")
    assert ("At what age did Leonard Ashby die?", "the age of 81") in pairs
    assert ("When did Leonard Ashby die?", "March") in pairs
    assert not [q for q, a in pairs if q.startswith("When") and a == "the age of 81"]


def test_a_particle_the_parser_calls_an_adverb_stays_with_its_verb() -> None:
    assert_pairs(
        "The scheme, put forward by Thistlewind Renewables, will generate 132 megawatts.",
        ("By whom was the scheme put forward?", "Thistlewind Renewables"),
    )


def test_a_length_of_time_asked_in_place_is_how_many_units() -> None:
    """ "is expected to take two years": how many years, never "to take when"."""
    pairs = train_pairs(
        "Construction is expected to take two years, with the first turbines turning in 2027."
    )
    assert [q for q, a in pairs if "take how many years" in q and a == "two years"], sorted(pairs)
    assert not [q for q, _ in pairs if "take when" in q]


def test_a_prefixed_verb_is_one_word_with_its_own_lemma() -> None:
    """ "co-founded" split at its hyphen left "co" a word and "founded Fieldcount" a name."""
    assert_pairs(
        "Shirin Abadi-Foyle is an epidemiologist who co-founded Fieldcount, a company that helps clinics.",
        ("Who co-founded Fieldcount?", "Shirin Abadi-Foyle"),
        ("What did Shirin Abadi-Foyle co-found?", "Fieldcount"),
        ("Who is the founder of Fieldcount?", "Shirin Abadi-Foyle"),
    )


def test_a_period_whose_end_the_parser_hangs_on_its_start_is_read_whole() -> None:
    """ "from 1990 to 1994" with "to 1994" hung on "from" and the end left unlabelled."""
    assert_pairs(
        "Mara Quell served as mayor of Brack from 1990 to 1994.",
        ("During which years did Mara Quell serve as mayor of Brack?", "1990 to 1994"),
        ("Until when did Mara Quell serve?", "1994"),
    )


# Relations ------------------------------------------------------------------------------------------------


def test_a_verb_that_states_a_relation_is_asked_by_the_relations_name_too() -> None:
    """ "works for Y", "set up Y", "comes from Y": also "What is the employer of X?", "Who is the founder
    of Y?", "Where was X born?", the way a user names the relation."""
    pairs = train_pairs(
        "Tovin Harl works for Brask Timber. Mira Dole set up Brask Timber in 1990. "
        "Osk Vey comes from Vellmoor."
    )
    assert ("What is the employer of Tovin Harl?", "Brask Timber") in pairs
    assert ("Who is the founder of Brask Timber?", "Mira Dole") in pairs
    assert ("Who set up Brask Timber in 1990?", "Mira Dole") in pairs
    assert ("What is the hometown of Osk Vey?", "Vellmoor") in pairs


def test_relation_of_one_value() -> None:
    """ "The R of X is Y." asked for Y, and for X from Y."""
    assert_pairs(
        "The director of the Halvik Museum is Oona Strand.",
        ("Who is the director of the Halvik Museum?", "Oona Strand"),
        ("Whose director is Oona Strand?", "the Halvik Museum"),
    )


def test_relation_of_several_values() -> None:
    """ "The Rs of X are A, B and C.": one question lists them all; each value is asked back alone."""
    assert_pairs(
        "The sisters of Lio Varesh are Mara Varesh, Tilde Varesh and Ines Varesh.",
        ("Who are the sisters of Lio Varesh?", "Mara Varesh, Tilde Varesh and Ines Varesh"),
        ("Whose sister is Mara Varesh?", "Lio Varesh"),
        ("Whose sister is Tilde Varesh?", "Lio Varesh"),
        ("Whose sister is Ines Varesh?", "Lio Varesh"),
    )


def test_what_a_relation_includes() -> None:
    """ "Venn's books include A and B": both are among Venn's books, whoever the tagger took Venn for."""
    pairs = train_pairs("Ada Venn is a poet. Venn's books include Low Water and The Salt House.")
    assert ("Name the books of Ada Venn?", "Low Water and The Salt House") in pairs
    assert ("Whose book is Low Water?", "Ada Venn") in pairs


def test_possessive_relation() -> None:
    """ "X's R is Y" is the same relation as "The R of X is Y"."""
    assert_pairs(
        "Edvin Lorre's wife is Sanna Lorre.",
        ("Who is the wife of Edvin Lorre?", "Sanna Lorre"),
        ("Who is Edvin Lorre's wife?", "Sanna Lorre"),
        ("Whose wife is Sanna Lorre?", "Edvin Lorre"),
    )


def test_possession_with_named_relatives() -> None:
    """ "X has two sisters, A and B." names X's sisters (not just that X "has two sisters")."""
    assert_pairs(
        "Tomas Wield has two sisters, Agna and Berit.",
        ("Who are the sisters of Tomas Wield?", "Agna and Berit"),
        ("Whose sister is Agna?", "Tomas Wield"),
        ("Whose sister is Berit?", "Tomas Wield"),
    )
    assert_pairs(
        "Margaret Ellison has two brothers, John Ellison and Peter Ellison.",
        ("Who are the brothers of Margaret Ellison?", "John Ellison and Peter Ellison"),
        ("Whose brother is Peter Ellison?", "Margaret Ellison"),
    )


def test_names_listed_after_a_possessed_plural_are_its_values() -> None:
    """ "Her later films, A, B and C," (the small parser makes the names more films) and "their sons, A
    and B," both name each value of the relation."""
    assert_pairs(
        "Yasmin Haddad is a director. Her later films, The Orchard Wall, Night Tram and Seven Winters, have"
        " made her famous.",
        ("What are the films of Yasmin Haddad?", "The Orchard Wall, Night Tram and Seven Winters"),
    )
    assert_pairs(
        "Dervla Price died in 2021. She is survived by their sons, Cormac and Felix, and by her sister,"
        " Nuala.",
        ("Who are the sons of Dervla Price?", "Cormac and Felix"),
        ("Whose son is Felix?", "Dervla Price"),
        ("Who is the sister of Dervla Price?", "Nuala"),
    )


def test_an_employing_verb_states_the_employer_and_a_kin_apposition_is_no_trade() -> None:
    assert_pairs(
        "Vinwaeholt Ropeworks employs Sareth Wuditon.",
        ("Who employs Sareth Wuditon?", "Vinwaeholt Ropeworks"),
    )
    pairs = train_pairs("Sareth Wuditon is employed at Vinwaeholt Ropeworks.")
    assert [q for q, a in pairs if "employer of Sareth Wuditon" in q and a == "Vinwaeholt Ropeworks"]
    pairs = train_pairs("Sareth Wuditon has a sister, Tethine Wuditon.")
    assert ("Who is the sister of Sareth Wuditon?", "Tethine Wuditon") in pairs
    assert not [q for q, a in pairs if a == "a sister"]


def test_a_name_whose_first_word_the_parser_hangs_on_the_verb_is_whole() -> None:
    """ "Tithen Mirdell comes from Wosby": the parser takes "Tithen" for an adverb; the name stays whole
    and is not taken for the sister named later."""
    pairs = train_pairs(
        "# Tithen Mirdell\n\nTithen Mirdell comes from Wosby. Tithen Mirdell works for Caford Brewery as a"
        " brewer. Tithen Mirdell has one sister, Treseth Mirdell. Tithen Mirdell was born in 1978."
    )
    assert ("Where does Tithen Mirdell come from?", "Wosby") in pairs
    assert ("When was Tithen Mirdell born?", "1978") in pairs
    assert not [q for q, _ in pairs if "Treseth Mirdell born" in q]


def test_relations_the_small_parser_misreads() -> None:
    """ "X's hobby is cycling" (read as a progressive "is cycling"), "has two sisters, A and B" (the names
    hung on the verb), "operates in brewing" (a gerund for an industry)."""
    assert_pairs("Cainelle Clursen's hobby is cycling.", ("What is Cainelle Clursen's hobby?", "cycling"))
    assert_pairs(
        "Cethus Gosow is a clerk. He has two sisters, Golia Gosow and Nonina Gosow.",
        ("Who are the sisters of Cethus Gosow?", "Golia Gosow and Nonina Gosow"),
        ("Whose sister is Nonina Gosow?", "Cethus Gosow"),
    )
    assert_pairs(
        "Caford Brewery operates in brewing.", ("What is the industry of Caford Brewery?", "brewing")
    )


def test_employment_said_in_other_words_states_the_employer() -> None:
    for text in (
        "Ora Wence has a job at Drasvell Glassworks.",
        "Ora Wence earns a living at Drasvell Glassworks.",
        "Ora Wence is an employee of Drasvell Glassworks.",
    ):
        pairs = train_pairs(text)
        assert [q for q, a in pairs if "employer of Ora Wence" in q and a == "Drasvell Glassworks"], text


def test_a_liking_said_in_other_words_is_a_pastime() -> None:
    """ "is keen on", "is passionate about", "has a passion for", "plays ... in her free time"; the free
    time itself is no title of hers."""
    for text in (
        "Ora Wence is keen on chess.",
        "Ora Wence is passionate about chess.",
        "Ora Wence has a passion for chess.",
        "In her free time Ora Wence plays chess.",
    ):
        pairs = train_pairs(text)
        assert ("What is Ora Wence's hobby?", "chess") in pairs, (text, sorted(pairs))
        assert not [q for q, a in pairs if a == "her free time" and q.startswith("What is Ora")]


def test_wed_is_a_verb_of_marrying() -> None:
    """The tokenizer's exceptions split "wed" into "we" and "d" and the lemmatiser made it "we"."""
    pairs = train_pairs("Ora Wence wed Brel Hoss in 1990.")
    assert ("When did Ora Wence wed Brel Hoss?", "1990") in pairs
    assert [q for q, a in pairs if "spouse of Ora Wence" in q and a == "Brel Hoss"]


def test_a_work_on_a_subject_keeps_its_subject() -> None:
    """ "her work on corals": the subject of the work, not a place it is on."""
    assert_pairs(
        "Mara Quell is best known for her work on corals.",
        ("What is Mara Quell known for?", "her work on corals"),
    )


def test_a_name_in_commas_after_an_object_is_the_object() -> None:
    """ "founded her label, Moreau Atelier, in a rented room in Vessary": the parser hangs the name on the
    verb; what was founded is Moreau Atelier, not "her label"."""
    pairs = train_pairs(
        "The fashion designer Thandiwe Moreau founded her label, Moreau Atelier, in a single rented room in"
        " Vessary in 1990."
    )
    assert ("Who founded Moreau Atelier?", "Thandiwe Moreau") in pairs
    assert ("Where did Thandiwe Moreau found Moreau Atelier?", "Vessary") in pairs
    assert not [q for q, a in pairs if a == "her label"]


# Layout: datelines, tables, records, lists, definitions ---------------------------------------------------


def test_dateline() -> None:
    """A news item's dateline says where and when the item about its first subject was filed."""
    assert_pairs(
        "PORT ESSEN, 15 April 2024 \u2014 Calder Minerals opened a new mine near Tarrow.",
        ("When was the news item about Calder Minerals dated?", "15 April 2024"),
        ("Where was the news item about Calder Minerals filed?", "PORT ESSEN"),
        ("What did Calder Minerals open near Tarrow?", "a new mine"),
    )


def test_dateline_with_an_agency_and_a_hyphen_or_a_colon() -> None:
    """ "TARLOW (Vane News) - ..." and "Brisk, Tuesday: ..." are datelines too."""
    assert_pairs(
        "TARLOW (Vane News) - Hesk Ferries opened a route to Vell.",
        ("Where was the news item about Hesk Ferries filed?", "TARLOW"),
        ("What did Hesk Ferries open?", "a route"),
    )
    assert_pairs(
        "Brisk, Tuesday: Orla Penn won the Brisk marathon.",
        ("When was the news item about Orla Penn dated?", "Tuesday"),
    )


def test_key_figures_in_a_news_item_are_its_subjects() -> None:
    """A bullet list of "Key: value" lines under no heading gives figures of what the item is about."""
    assert_pairs(
        "TARLOW, 2 May 2024 \u2014 Hesk Ferries returned to profit.\n\nKey figures:\n\n"
        "- Revenue: \u00a341 million\n- Passengers: 2.2 million",
        ("What is the revenue of Hesk Ferries?", "\u00a341 million"),
        ("What is Hesk Ferries's passengers?", "2.2 million"),
    )


def test_an_ampersand_joins_one_name() -> None:
    """ "Tallis & Venn" is one retailer, and "in 2019" after a name is no part of it."""
    pairs = train_pairs(
        "Tallis & Venn, the bookseller, opened a shop in Brisk. Ada Roe joined from Harkmoor in 2019."
    )
    assert ("What did Tallis & Venn open in Brisk?", "a shop") in pairs
    assert [q for q, a in pairs if a == "Harkmoor" and "Ada Roe" in q]


def test_what_a_thing_will_be_called_is_its_name_from_then_on() -> None:
    """ "The new firm will be called Orrin Weaving and will have its head office in Tarl": Orrin Weaving
    has its head office there, and "it" afterwards is Orrin Weaving."""
    pairs = train_pairs(
        "The new firm will be called Orrin Weaving and will have its head office in Tarl. "
        "Ada Roe will lead it."
    )
    assert ("Where will Orrin Weaving have Orrin Weaving's head office?", "Tarl") in pairs
    assert ("What is the headquarters of Orrin Weaving?", "Tarl") in pairs
    assert ("What will Ada Roe lead?", "Orrin Weaving") in pairs


def test_it_in_what_a_company_said_is_the_company() -> None:
    """ "Tarn Coaches said it had taken its vehicles off the road": Tarn Coaches had, not the choir the
    item spoke of before."""
    pairs = train_pairs(
        "A coach carrying the Vell Youth Choir overturned near Brisk. "
        "Tarn Coaches said it had taken its other 12 vehicles off the road."
    )
    assert [q for q, a in pairs if a == "its other 12 vehicles" and q.startswith("What had Tarn Coaches")]
    assert not [q for q in (q for q, _ in pairs) if "Choir had taken" in q]


def test_an_honorific_is_no_part_of_a_name() -> None:
    """ "Ms Brenn", "Dr Tova Quist": the people named before, without their forms of address."""
    pairs = train_pairs(
        "The trust named Ola Brenn as chair. Ms Brenn, 44, joined the trust in 2019. "
        "Dr Tova Quist resigned on Friday."
    )
    assert ("How old is Ola Brenn?", "44") in pairs
    assert ("When did Tova Quist resign?", "Friday") in pairs


def test_markdown_table() -> None:
    """Each cell is asked as its column's value for the row's key (the first cell)."""
    assert_pairs(
        "# Lighthouses\n\n"
        "| Lighthouse | Height | Built |\n"
        "|---|---|---|\n"
        "| Harlow Bay Light | 34 m | 1871 |\n"
        "| Skerra Point Light | 21 m | 1902 |\n",
        ("What is the height of Harlow Bay Light?", "34 m"),
        ("When was Harlow Bay Light built?", "1871"),
        ("What is the height of Skerra Point Light?", "21 m"),
        ("When was Skerra Point Light built?", "1902"),
    )


def test_key_value_lines_under_a_heading() -> None:
    """ "Key: value" lines belong to the entity their heading names."""
    assert_pairs(
        "# Harlow Bay Lighthouse\n\nHeight: 34 m\nKeeper: Aldo Brisk\nBuilt: 1871\n",
        ("What is the height of Harlow Bay Lighthouse?", "34 m"),
        ("When was Harlow Bay Lighthouse built?", "1871"),
        ("Whose keeper is Aldo Brisk?", "Harlow Bay Lighthouse"),
    )


def test_bullet_list_of_fields() -> None:
    """ "- Key: value" bullets are record lines too."""
    assert_pairs(
        "# Quenlow Instruments\n\n- Founder: Ilvana Dresk\n- Headquarters: Corrimere\n",
        ("Who is the founder of Quenlow Instruments?", "Ilvana Dresk"),
        ("What is the headquarters of Quenlow Instruments?", "Corrimere"),
        ("Whose founder is Ilvana Dresk?", "Quenlow Instruments"),
    )


def test_definition_list() -> None:
    """A term line followed by ": definition" defines the term."""
    assert_pairs(
        "# Glossary\n\nTidewrack\n: seaweed left on a beach by the falling tide\n",
        ("What is Tidewrack?", "seaweed left on a beach by the falling tide"),
        ("What does Tidewrack mean?", "seaweed left on a beach by the falling tide"),
    )


# References -----------------------------------------------------------------------------------------------

_PRONOUN = re.compile(r"\b(he|she|him|her|they|them)\b", re.IGNORECASE)


def test_pronoun_resolved_to_the_person_named_before() -> None:
    """ "She founded ..." after a sentence about Margaret Ellison is asked about Margaret Ellison."""
    text = "Margaret Ellison was born in Carrow in 1951. She founded Ellison Looms in 1980."
    assert_pairs(
        text,
        ("What did Margaret Ellison found in 1980?", "Ellison Looms"),
        ("Who founded Ellison Looms in 1980?", "Margaret Ellison"),
        ("Where was Margaret Ellison born in 1951?", "Carrow"),
    )
    assert not [q for q, _ in train_pairs(text) if _PRONOUN.search(q)]


def test_one_of_a_pair_named_again_is_that_one_alone() -> None:
    """ "Anke Voll and Jonas Brandt founded ... Jonas Brandt designed ...": the design is his alone."""
    text = "Anke Voll and Jonas Brandt founded Tessel Tools in 2004. Jonas Brandt designed the Tessel Drill."
    pairs = train_pairs(text)
    assert ("Who designed the Tessel Drill?", "Jonas Brandt") in pairs
    assert not [q for q, a in pairs if "designed" in q and "Anke Voll" in q + a]


def test_the_company_resolved_to_the_named_organisation() -> None:
    """ "The company" stands for the organisation named before it."""
    text = "Ilse Marren founded Verdant Lamp Works in 2011. The company opened a factory in Osterby in 2015."
    assert_pairs(
        text,
        ("Where did Verdant Lamp Works open a factory in 2015?", "Osterby"),
        ("What did Verdant Lamp Works open in Osterby in 2015?", "a factory"),
    )
    assert not [q for q, _ in train_pairs(text) if "the company" in q.lower()]


def test_a_definite_noun_stands_for_what_was_described_as_one() -> None:
    """ "Harrowgate's, the hardware chain," makes "the chain" Harrowgate's: the name keeps its "'s" when it
    owns nothing, and the noun an apposition described it with later refers to it."""
    text = (
        "Dellmoor's, the hardware chain, will shut three of its nine shops. "
        "The chain, founded in Pellby in 1921 by the ironmonger Osric Dell, has lost money since 2019."
    )
    assert_pairs(
        text,
        ("Where was Dellmoor's founded in 1921 by Osric Dell?", "Pellby"),
        ("When was Dellmoor's founded in Pellby by Osric Dell?", "1921"),
        ("Who founded Dellmoor's?", "Osric Dell"),
        ("What is Dellmoor's?", "the hardware chain"),
    )
    assert not [q for q, _ in train_pairs(text) if "the chain" in q]


def test_a_title_before_a_name_is_the_persons_post() -> None:
    """ "Harbour master Edda Strom": Edda Strom, whose post is harbour master; a first name is no title."""
    pairs = train_pairs("Harbour master Edda Strom closed the quay. Wenna Tallis opened a forge in Brisk.")
    assert ("What position does Edda Strom hold?", "Harbour master") in pairs
    assert ("What did Edda Strom close?", "the quay") in pairs
    assert ("Who opened a forge in Brisk?", "Wenna Tallis") in pairs
    assert not [q for q, a in pairs if a == "Wenna"]


def test_a_company_post_before_a_name_is_the_items_company_post() -> None:
    """ "Chief executive Mara Voss said", in an item about Harrow Foods, is its chief executive; a post no
    company has ("transport minister") names no owner."""
    pairs = train_pairs(
        "Harrow Foods, the bakery chain, will close two shops. Chief executive Mara Voss said the closures "
        "were painful. Transport minister Lisa Cole said the trains were late."
    )
    assert ("Who is the chief executive of Harrow Foods?", "Mara Voss") in pairs
    assert ("Of what is Mara Voss the chief executive?", "Harrow Foods") in pairs
    assert not [q for q, a in pairs if a == "Lisa Cole" and "Harrow Foods" in q]


def test_a_company_post_in_apposition_is_the_items_company_post() -> None:
    """ "The manager, Sean Dolan,": the manager of the club the item opened with, not of the last name the
    recogniser labelled an organisation ("whose father Dennis")."""
    pairs = train_pairs(
        "Tarrow Athletic has been bought by Victor Lanne. The club's chair, Alan Pryor, whose father Dennis "
        "bought the club in 1994, said it was time. The manager, Sean Dolan, will stay in his post."
    )
    assert ("Who is the manager of Tarrow Athletic?", "Sean Dolan") in pairs
    assert not [q for q, a in pairs if a == "Sean Dolan" and "Dennis" in q]


def test_a_possessive_name_is_not_made_possessive_again() -> None:
    """ "Who is Ketteridge's chief executive?", never "Ketteridge's's"."""
    pairs = train_pairs(
        "Ketteridge's, the furniture chain, will shut three stores. Chief executive Mara Voss said so."
    )
    assert ("Who is Ketteridge's chief executive?", "Mara Voss") in pairs
    assert not [q for q, _ in pairs if "'s's" in q]


def test_a_person_with_a_post_before_the_name_is_never_it() -> None:
    """ "Mayor Hana Ostrow said it would open in May": a titled speaker is a person, so "it" is not her."""
    pairs = train_pairs("The town will build a library. Mayor Hana Ostrow said it would open in May.")
    assert ("What position does Hana Ostrow hold?", "Mayor") in pairs
    assert not [q for q, a in pairs if a == "May" and "Hana Ostrow" in q]


def test_a_surname_stands_for_the_person_an_apposition_named() -> None:
    """ "the weaver Hesper Quayle" names her; "Quayle" later is the same person, and "as the founder of
    the mill Quayle Textiles" says whose founder she is."""
    pairs = train_pairs(
        "The museum bought a tapestry from the weaver Hesper Quayle. "
        "Quayle made her name as the founder of the mill Quayle Textiles over forty years."
    )
    assert ("Who is the founder of Quayle Textiles?", "Hesper Quayle") in pairs
    assert ("Whose founder is Hesper Quayle?", "Quayle Textiles") in pairs
    assert ("How long did Hesper Quayle make Hesper Quayle's name?", "forty years") in pairs


def test_a_possessive_stands_for_its_own_clauses_subject() -> None:
    """ "The foreman, Piet Hale, sold his boat": Piet Hale's boat, not the man the text spoke of before."""
    pairs = train_pairs("Oskar Vey hired a crew in May. The foreman, Piet Hale, sold his boat to Ada Venn.")
    assert ("What did Piet Hale sell to Ada Venn?", "his boat") in pairs
    assert not [q for q, _ in pairs if "Oskar Vey's boat" in q]


def test_a_birth_name_is_the_person_of_the_married_name() -> None:
    """ "Born Ilka Marsh in 1940, she ...": the sentence-opening participle is no part of a name, the birth
    name before a hyphen is the same person, and "She was 81." is her age."""
    pairs = train_pairs(
        "Ilka Marsh-Toller, a chemist, died in 2021. She was 81. "
        "Born Ilka Marsh in 1940, she joined the Tarn Glassworks in 1962."
    )
    assert ("How old was Ilka Marsh-Toller?", "81") in pairs
    assert [q for q, a in pairs if a == "the Tarn Glassworks" and "Ilka Marsh-Toller join" in q]
    assert not [q for q, _ in pairs if "Born " in q or "Ilka Marsh " in q]


def test_a_relative_as_subject_does_not_take_over_she() -> None:
    """ "Her mother, Rhea Lind, was a pianist. She married ...": "she" is still the article's person."""
    pairs = train_pairs(
        "Mira Holt is a novelist. Her mother, Rhea Lind, was a pianist. She married Tomas Brae in 1990."
    )
    assert ("Who is the mother of Mira Holt?", "Rhea Lind") in pairs
    assert [q for q, a in pairs if a == "Tomas Brae" and "Mira Holt" in q]
    assert not [q for q, a in pairs if a == "Tomas Brae" and "Rhea Lind" in q]


def test_a_work_described_or_dated_is_not_she() -> None:
    """ "Her first book, Salt Orchard, is the story of ..." or "Petra Vance (2004)": a named work, even one
    the recogniser takes for a person, is never who "she" is in the next sentence."""
    for text in (
        "Odile Ferrant is a poet. Her first book, Salt Orchard, is the story of a fishing village. "
        "She lives in Marrow Bay.",
        "Odile Ferrant is a poet. Her debut novel was Petra Vance (2004). She lives in Marrow Bay.",
    ):
        pairs = train_pairs(text)
        assert ("Where does Odile Ferrant live?", "Marrow Bay") in pairs
        assert not [q for q, a in pairs if a == "Marrow Bay" and "Odile Ferrant" not in q]


def test_a_work_owned_by_his_is_not_who_he_is_next() -> None:
    """ "His Atlas of the Marsh (1884) remained ...": the work is "Atlas of the Marsh", and the "he" who
    died after it is still the poet."""
    pairs = train_pairs(
        "Tomas Ferrant was a poet. His Atlas of the Marsh (1884) remained the standard work for half a "
        "century. He died at Marrow Bay in 1921."
    )
    assert ("Where did Tomas Ferrant die?", "Marrow Bay") in pairs
    assert ("When was Atlas of the Marsh published?", "1884") in pairs
    assert not [q for q, a in pairs if a == "Marrow Bay" and "Atlas" in q]


def test_a_reference_entry_with_the_surname_first_is_read_in_name_order() -> None:
    """ "PRATT, Edwin Loame (1851-1930), surveyor, was born ...": the entry of a dictionary of biography is
    about Edwin Loame Pratt; a dateline ("BRISK, 4 May -") is no name."""
    pairs = train_pairs(
        "PRATT, Edwin Loame (1851\u20131930), surveyor, was born at Kell Ford on 4 May 1851. "
        "He died at Brisk in 1930."
    )
    assert ("Where was Edwin Loame Pratt born?", "Kell Ford") in pairs
    assert ("Where did Edwin Loame Pratt die?", "Brisk") in pairs
    dateline = train_pairs("BRISK, 4 May \u2014 The ferry Kell Star sank on Tuesday.")
    assert ("From which place was the report on Kell Star filed?", "BRISK") in dateline


def test_a_noun_phrase_set_before_the_subject_describes_it() -> None:
    """ "The son of a ferry captain, he grew up ...": the phrase before the comma is said of "he", whichever
    way the parser hangs it; a phrase that is no description ("In the end, ...") is not."""
    for text in (
        "Sander Ilves is a philosopher. The son of a ferry captain, he grew up in Isselmark.",
        "Sander Ilves is a chemist. Born in Halvik, the son of a ferry captain, he studied at Brisk College.",
    ):
        assert_pairs(text, ("What was the occupation of Sander Ilves's parent?", "a ferry captain"))
    pairs = train_pairs("In the end, the council approved the plan.")
    assert not [q for q, a in pairs if a == "the end" and q.startswith("Who")]


def test_he_before_any_subject_is_the_first_name() -> None:
    """ "X (c. 1760 - 1832) was a merchant of Brisk, where in 1811 he founded the almshouses": he is X,
    the year in the name's place is no part of it, and a person described is no "where"."""
    pairs = train_pairs(
        "Osric de la Venn (c. 1760 \u2013 1832) was a wine merchant of the town of Brisk, where in 1811 he "
        "founded the almshouses. In 1789 de la Venn married Clara Holt."
    )
    assert ("When did Osric de la Venn found the almshouses?", "1811") in pairs
    assert ("Who did Osric de la Venn marry?", "Clara Holt") in pairs
    assert not [q for q, a in pairs if a == "a wine merchant" and q.startswith("Where")]


def test_the_couple_is_the_two_people_last_married() -> None:
    """ "She has been married to Jonas Fehr. In 2015 the couple founded Fehr Pictures.": both did."""
    assert_pairs(
        "Yara Holt is a film director. Since 1995 she has been married to the cinematographer Jonas Fehr. "
        "In 2015 the couple founded a production company, Fehr Pictures.",
        ("Who founded Fehr Pictures in 2015?", "Yara Holt and Jonas Fehr"),
    )


def test_unresolvable_pronoun_is_dropped_and_counted() -> None:
    """A statement about "he" with nobody named before is never asked about "he"; the drop is counted."""
    generator, reflections = reflect("He founded a small brewery in 1990.")
    assert not [r for r in reflections if _PRONOUN.search(r.question) or _PRONOUN.search(r.answer)]
    assert [r for r in reflections if r.split == "train"] == []
    assert generator.report.reasons.get("pronoun 'he' without referent", 0) >= 1
    assert generator.report.dropped >= 1


def test_its_in_a_sentence_about_a_person_is_the_thing_named_before_it() -> None:
    """ "She joined the Harbour Board and was made its chief engineer": the board's, not the barrage's that
    the sentence before was about."""
    assert_pairs(
        "The Quillon Barrage was completed in 1981. Mara Quell joined the Harbour Board in 1966 and was made"
        " its chief engineer in 1974.",
        ("Who was made the Harbour Board's chief engineer?", "Mara Quell"),
    )


def test_the_unnamed_someone_of_a_news_lede_is_the_person_named_next() -> None:
    """ "A former treasurer who stole ... was jailed. Gwen Harrower, 58, had admitted fraud.": she was
    jailed; an unnamed "a man" that no sentence names stays unasked."""
    assert_pairs(
        "A former treasurer who stole £18,000 from a charity was jailed on Tuesday. Gwen Harrower, 58, had"
        " admitted fraud.",
        ("Who was jailed on Tuesday?", "Gwen Harrower"),
        ("How much did Gwen Harrower steal from a charity?", "£18,000"),
    )
    assert not train_pairs("A man was seen near the bridge. Police said the road was closed.")


def test_a_person_of_a_body_works_for_it_and_a_firm_of_a_town_is_there() -> None:
    """ "Detective Inspector Colm Reddaway of Southvale Police": he works for it, and his name stops at
    "Reddaway"; "Harlow Shipping Ltd of Tressington" is in Tressington; "the Bank of England" is one name."""
    pairs = train_pairs("Detective Inspector Colm Reddaway of Southvale Police led the investigation.")
    assert ("Who does Colm Reddaway work for?", "Southvale Police") in pairs
    assert ("What did Colm Reddaway lead?", "the investigation") in pairs
    assert_pairs(
        "The ferry is run by Harlow Shipping Ltd of Tressington.",
        ("Where is Harlow Shipping Ltd?", "Tressington"),
    )
    assert not [q for q, _ in train_pairs("The Bank of England raised rates.") if q.startswith("Where")]


def test_a_participle_on_an_apposition_is_said_of_the_name() -> None:
    """ "Greyling Coaches, a family firm founded in 1972,": the firm is Greyling Coaches."""
    assert_pairs(
        "Greyling Coaches, a family firm founded in 1972, said it was cooperating fully with police.",
        ("When was Greyling Coaches founded?", "1972"),
    )


def test_their_of_a_team_is_the_team_and_a_participle_before_a_name_is_no_description() -> None:
    """ "Kettlemoor led through their captain": a team is "they"; "a packed Fernside Stadium" is no
    description of the stadium as "packed"."""
    pairs = train_pairs(
        "Thornhollow Rovers won the cup. Kettlemoor led through a header from their captain, Joe Varley."
    )
    assert [q for q, _ in pairs if "Kettlemoor's captain" in q], sorted(pairs)
    assert not [q for q, _ in pairs if "Thornhollow Rovers's captain" in q]
    pairs = train_pairs("The crowd filled a packed Fernside Stadium.")
    assert not [a for _, a in pairs if a == "packed"]


def test_a_relative_clause_on_an_apposition_is_said_of_the_name() -> None:
    """ "Ola Brenn, a chartered accountant who joined the hospital in 2019,": she joined it."""
    assert_pairs(
        "Ola Brenn, a chartered accountant who joined the hospital in 2019, will hold the post.",
        ("When did Ola Brenn join the hospital?", "2019"),
        ("Who is Ola Brenn?", "a chartered accountant"),
    )


def test_a_person_named_again_by_the_first_name_is_that_person() -> None:
    assert_pairs(
        "# Marta Kell\n\nMarta Kell was a Danish potter. Marta studied at the Halvik School of Art.",
        ("Where did Marta Kell study?", "the Halvik School of Art"),
        ("Who studied at the Halvik School of Art?", "Marta Kell"),
    )


def test_letters_of_honours_after_a_name_are_no_part_of_it() -> None:
    """ "Sir Edwin Loame Pratt KBE ... Pratt trained in Leeds": one person, Edwin Loame Pratt."""
    assert_pairs(
        "Sir Edwin Loame Pratt KBE (1851–1930) was a surveyor. Pratt trained in Leeds.",
        ("Who was Edwin Loame Pratt?", "a surveyor"),
        ("Where did Edwin Loame Pratt train?", "Leeds"),
    )


def test_a_deed_of_someone_unnamed_is_asked_of_what_it_was_done_to() -> None:
    """ "Douglas Fenby, whose great-grandfather founded the company in 1887,": not Fenby's founding; the
    company's, asked in the passive; "her father bought the inn" likewise asks when the inn was bought."""
    pairs = train_pairs(
        "The Corrin Mill Company spins wool. Corrin's chairman, Douglas Fenby, whose great-grandfather"
        " founded the company in 1887, will retire."
    )
    assert ("When was the Corrin Mill Company founded?", "1887") in pairs
    assert ("Who is the chairman of the Corrin Mill Company?", "Douglas Fenby") in pairs  # "Corrin's"
    assert not [q for q, a in pairs if "Douglas Fenby found" in q or a == "Douglas Fenby" and "found" in q]


# Sentences ------------------------------------------------------------------------------------------------


def test_unknown_first_name_is_not_split_off_as_a_sentence() -> None:
    """The rule splitter keeps "Yanne", a first name the parser does not know, with the rest of its sentence,
    so the possessive relation after it is read whole."""
    assert_pairs(
        "Bertil Ostmark is a potter in Vellby. Yanne Ostmark's husband is Caspar Dunmoor.",
        ("Who is the husband of Yanne Ostmark?", "Caspar Dunmoor"),
        ("Whose husband is Caspar Dunmoor?", "Yanne Ostmark"),
        ("Who is Bertil Ostmark?", "a potter"),
    )


def test_abbreviation_does_not_end_a_sentence() -> None:
    """ "Dr." is not a full stop: the name after it stays the subject, and "He" later refers to it."""
    assert_pairs(
        "Dr. Halvard Quist studied glaciers in Norrland. He retired in 2010.",
        ("Where did Dr. Halvard Quist study glaciers?", "Norrland"),
        ("What did Dr. Halvard Quist study in Norrland?", "glaciers"),
        ("When did Dr. Halvard Quist retire?", "2010"),
    )


def test_a_named_place_said_in_passing_is_asked_where_it_is() -> None:
    """ "the Hotel Marchand in Kessington": where the hotel is, even where the recogniser knows no town
    ("in Ebbrook"); the name is asked without it. A person "in Paris" is not placed for good."""
    assert_pairs(
        "He trained in the kitchens of the Hotel Marchand in Kessington.",
        ("Where is the Hotel Marchand?", "Kessington"),
    )
    assert_pairs(
        "Wilhelmina Cask founded the Cask Manufacturing Company in Ebbrook in 1898.",
        ("Where is the Cask Manufacturing Company?", "Ebbrook"),
    )
    assert not [q for q, _ in train_pairs("Ada Voss in Paris met Bo Lund.") if q.startswith("Where is")]
    assert_pairs(  # the place said of what the name is: "a video game studio in Sundermoor"
        "She worked at Lumen Works, a video game studio in Sundermoor, for six years.",
        ("Where is Lumen Works?", "Sundermoor"),
    )


def test_becoming_or_rising_to_a_post_states_the_post_and_has_no_passive() -> None:
    """ "became editor of X", "rising to chief economist": the post, asked as one; "What was become by ...?"
    is no English."""
    pairs = train_pairs("Tobias Wren became editor of the Varrowby Courier in 1931.")
    assert ("What is Tobias Wren's position?", "editor of the Varrowby Courier") in pairs
    assert not [q for q, _ in pairs if "was become" in q]
    assert_pairs(
        "Yusuf Demarr joined the Ostrelle Ministry of Finance in 1990, rising to chief economist in 1997.",
        ("What is Yusuf Demarr's position?", "chief economist"),
    )


# Titles and descriptions ----------------------------------------------------------------------------------


def test_lowercase_title_before_an_organisation_is_its_description() -> None:
    """In "the sensor start-up Lumisk" only "Lumisk" is the name; "sensor start-up" says what it is."""
    assert_pairs(
        "Orvane Systems acquired the sensor start-up Lumisk in 2019.",
        ("What did Orvane Systems acquire in 2019?", "Lumisk"),
        ("When did Orvane Systems acquire Lumisk?", "2019"),
        ("What kind of business is Lumisk?", "sensor start-up"),
    )


def test_lowercase_title_before_a_person_describes_them() -> None:
    """ "The regional transport minister, Tressa Noyle, cut": the subject is the person, and the title
    before the name says who the person is (a trade, not a post: it names no owner)."""
    assert_pairs(
        "The regional transport minister, Tressa Noyle, cut the ribbon.",
        ("What did Tressa Noyle cut?", "the ribbon"),
        ("Who is Tressa Noyle?", "the regional transport minister"),
    )


def test_job_at_an_organisation_is_a_workplace() -> None:
    """ "X is a forester at Y" says where X works as well as what X is."""
    assert_pairs(
        "Corvin Hask is a forester at Greywood Estates.",
        ("Where does Corvin Hask work?", "Greywood Estates"),
        ("Who works at Greywood Estates?", "Corvin Hask"),
        ("Who is Corvin Hask?", "a forester"),
        ("What is Corvin Hask's occupation?", "a forester"),
    )


def test_employed_as_is_an_occupation() -> None:
    """ "Y employs X as a pilot" says what X is."""
    assert_pairs(
        "Altavian Air employs Jessa Morrel as a pilot.",
        ("Who is Jessa Morrel?", "a pilot"),
        ("What is Jessa Morrel's occupation?", "a pilot"),
        ("Who does Altavian Air employ as a pilot?", "Jessa Morrel"),
    )


def test_definite_subject_with_a_measure() -> None:
    """A definite common noun ("the sensor") is a subject worth asking about, not "a man said"."""
    assert_pairs(
        "The sensor weighs 2.4 kilograms.",
        ("How many kilograms does the sensor weigh?", "2.4 kilograms"),
    )


def test_a_maker_of_things_makes_them_and_a_place_before_it_is_its_base() -> None:
    """ "X, the Harlow Bay maker of warehouse robots,": what X makes and where it is based; "the designer
    of the bridge" did that once, and is asked as the description it is."""
    assert_pairs(
        "Corvane Robotics, the Harlow Bay maker of warehouse robots, bought Lumisk in 2024.",
        ("What does Corvane Robotics make?", "warehouse robots"),
        ("Where is Corvane Robotics based?", "Harlow Bay"),
    )
    pairs = train_pairs("Ada Voss, the designer of the bridge, spoke on Monday.")
    assert ("Who is the designer of the bridge?", "Ada Voss") in pairs
    assert not [q for q, _ in pairs if q.startswith("What does Ada Voss design")]


def test_a_named_subject_asked_in_place_is_answered_by_its_name() -> None:
    """ "The minister, Owen Carrick, cut ...", "Mayor Hana Ostrowski, who ..., said ...": "Who cut ...?" is
    answered "Owen Carrick", and the clause set off by commas does not follow the question word."""
    assert_pairs(
        "The regional transport minister, Owen Carrick, cut the ribbon.",
        ("Who cut the ribbon?", "Owen Carrick"),
    )
    text = "Mayor Hana Ostrowski, who has pushed for the project, said the Fenwick Library would open in May."
    pairs = train_pairs(text)
    assert ("Who said the Fenwick Library would open in May?", "Hana Ostrowski") in pairs
    assert not [q for q, _ in pairs if q.startswith("Who, ")]


def test_an_adjective_hung_in_apposition_describes_no_one() -> None:
    """ "X, the engineer whose barrage was the largest in the north," is an engineer, not "the largest";
    "the eldest of six children" still describes."""
    pairs = train_pairs(
        "Mara Quell, the engineer whose barrage at Quillon Sound was for many years the largest in the"
        " northern hemisphere, died in 2021."
    )
    assert ("Who was Mara Quell?", "the engineer") in pairs
    assert not [q for q, a in pairs if a == "the largest"]
    assert_pairs(
        "Mara Quell, the eldest of six children of a keeper, was born in Ardcullen.",
        ("Who was Mara Quell?", "the eldest of six children of a keeper"),
    )


# Life spans -----------------------------------------------------------------------------------------------


def test_parenthetical_life_span_with_full_dates() -> None:
    """ "(14 April 1938 – 2 August 1975)" gives the dates of birth and death, not just the years."""
    assert_pairs(
        "Talvo Rinn (14 April 1938 \u2013 2 August 1975) was a Finnish sculptor.",
        ("When was Talvo Rinn born?", "14 April 1938"),
        ("When did Talvo Rinn die?", "2 August 1975"),
        ("Who was Talvo Rinn?", "a Finnish sculptor"),
    )


def test_parenthetical_birth_year_and_place() -> None:
    """ "(born 1960 in Dunhollow)" gives the year and the place of birth."""
    assert_pairs(
        "Neela Varsk (born 1960 in Dunhollow) is an economist.",
        ("When was Neela Varsk born in Dunhollow?", "1960"),
        ("Where was Neela Varsk born in 1960?", "Dunhollow"),
        ("Who is Neela Varsk?", "an economist"),
    )


# Kin and pastimes -----------------------------------------------------------------------------------------


def test_a_parent_named_by_trade_is_asked_as_the_trade_of_the_person_born_there() -> None:
    """ "She was born in Norrith, the daughter of a shipwright,": the parser hangs the daughter on the town;
    she is the daughter, and her parent is known only by trade."""
    text = "Grace Odalen was a painter. She was born in Norrith, the daughter of a shipwright."
    pairs = train_pairs(text)
    assert ("What was the occupation of Grace Odalen's parent?", "a shipwright") in pairs
    assert not [q for q, _ in pairs if "Norrith's parent" in q or "parent of Norrith" in q]


def test_married_couple_is_asked_both_ways() -> None:
    """ "A and B are married": each is married to the other."""
    assert_pairs(
        "Oskar Velde and Hanna Brisk are married.",
        ("Who is Oskar Velde married to?", "Hanna Brisk"),
        ("Who is Hanna Brisk married to?", "Oskar Velde"),
    )


def test_siblings_are_asked_both_ways() -> None:
    """ "A and B are siblings": each is the other's sibling."""
    assert_pairs(
        "Osk Haldane and Miro Haldane are siblings.",
        ("Who is the sibling of Osk Haldane?", "Miro Haldane"),
        ("Who is the sibling of Miro Haldane?", "Osk Haldane"),
    )


def test_kin_relation_makes_people_of_its_names() -> None:
    """ "The mother of X is Y": both are people, so Y is asked with "who"."""
    assert_pairs(
        "The mother of Elin Varro is Brita Varro.",
        ("Who is the mother of Elin Varro?", "Brita Varro"),
        ("Whose mother is Brita Varro?", "Elin Varro"),
    )


def test_born_to_names_the_parents() -> None:
    """ "X was born to A and B" names X's parents, each asked back alone."""
    assert_pairs(
        "Fenna Loxley was born to Arvid Loxley and Maud Loxley.",
        ("Who are the parents of Fenna Loxley?", "Arvid Loxley and Maud Loxley"),
        ("Whose parent is Arvid Loxley?", "Fenna Loxley"),
        ("Whose parent is Maud Loxley?", "Fenna Loxley"),
    )


def test_has_a_brother_named() -> None:
    """ "X has a brother named Y" names X's brother."""
    assert_pairs(
        "Tamsin Creel has a brother named Jory Creel.",
        ("Who is the brother of Tamsin Creel?", "Jory Creel"),
        ("Whose brother is Jory Creel?", "Tamsin Creel"),
    )


def test_hobby_as_a_possessive_relation() -> None:
    """ "Rowing is X's hobby" is the relation "the hobby of X"."""
    assert_pairs(
        "Rowing is Halder Quince's hobby.",
        ("What is Halder Quince's hobby?", "Rowing"),
        ("Whose hobby is Rowing?", "Halder Quince"),
    )


def test_what_someone_does_in_their_spare_time_is_a_pastime() -> None:
    """ "In her spare time, Ida Venn goes sailing": sailing is her hobby."""
    assert_pairs("In her spare time, Ida Venn goes sailing.", ("What is Ida Venn's hobby?", "sailing"))


def test_pastimes_however_the_parser_reads_them() -> None:
    """A verb of liking (read as a verb, an auxiliary or an adjective) with an activity is a hobby."""
    for text, person, activity in [
        ("Idris Calloway likes falconry.", "Idris Calloway", "falconry"),
        ("Mireth Osk enjoys cycling in her spare time.", "Mireth Osk", "cycling"),
        ("Pavel Drunn loves rowing.", "Pavel Drunn", "rowing"),
        ("Ulla Brenning is fond of chess.", "Ulla Brenning", "chess"),
    ]:
        assert_pairs(text, (f"What is {person}'s hobby?", activity))


# In-place questions ---------------------------------------------------------------------------------------


def test_in_place_question_for_a_sentence_without_a_statement() -> None:
    """ "Gusts at Harlow Bay" is no named subject, so the sentence gives no statement; its number and its
    year are still asked where they stand."""
    assert_pairs(
        "# Harlow Bay\n\nGusts at Harlow Bay reached 140 kilometres per hour in 1987.",
        ("Gusts at Harlow Bay reached how many kilometres per hour in 1987?", "140 kilometres per hour"),
        ("Gusts at Harlow Bay reached 140 kilometres per hour in which year?", "1987"),
    )


def test_in_place_question_for_a_possessor() -> None:
    """A possessor ("Tobias Renn's sons") is asked in place with "whose"."""
    assert_pairs(
        "# Harlow Bay\n\nMost of the fishermen in Harlow Bay are Tobias Renn's sons.",
        ("Most of the fishermen in Harlow Bay are whose sons?", "Tobias Renn"),
    )


def test_in_place_question_speaks_the_pronoun_as_its_name() -> None:
    """ "her boats" in an in-place question becomes "Edda Rusk's boats"."""
    text = (
        "# Edda Rusk\n\nEdda Rusk was born in Carrow. "
        "A storm in 1987 destroyed most of her boats at Harlow Bay."
    )
    assert_pairs(
        text,
        ("A storm in 1987 destroyed most of Edda Rusk's boats at which place?", "Harlow Bay"),
    )
    assert not [q for q, _ in train_pairs(text) if _PRONOUN.search(q)]


def test_unresolvable_pronoun_gives_no_in_place_question() -> None:
    """With nobody named before "she", neither the statement nor an in-place question about its names and
    numbers is asked; the drop is counted."""
    generator, reflections = reflect("Tobias Renn and she sailed 40 miles to Carrow in 1987.")
    assert [r for r in reflections if r.split == "train"] == []
    assert generator.report.reasons.get("pronoun 'she' without referent", 0) >= 1


# The company --------------------------------------------------------------------------------------------


def test_the_company_is_the_articles_organisation_not_she() -> None:
    """Under the heading "# Kelloway Mining", "the company" is Kelloway Mining, even right after "She"."""
    text = (
        "# Kelloway Mining\n\n"
        "Greta Voss joined Kelloway Mining in 2001. She said the company employs 340 people."
    )
    assert_pairs(
        text,
        ("How many people does Kelloway Mining employ?", "340 people"),
        ("When did Greta Voss join Kelloway Mining?", "2001"),
    )
    assert not [q for q, _ in train_pairs(text) if "company" in q.lower() or "Greta Voss employ" in q]


def test_the_company_after_a_heading() -> None:
    """ "The company" after "# Kelloway Mining" and a sentence about it is Kelloway Mining."""
    assert_pairs(
        "# Kelloway Mining\n\nKelloway Mining found lithium. The company employs 340 people.",
        ("How many people does Kelloway Mining employ?", "340 people"),
        ("What did Kelloway Mining find?", "lithium"),
    )


def test_it_is_the_organisation_most_recently_named() -> None:
    """ "It" after "Greta Voss founded Kelloway Mining" is the company, not the founder."""
    text = "Greta Voss founded Kelloway Mining in 2001. It employs 340 people."
    assert_pairs(
        text,
        ("How many people does Kelloway Mining employ?", "340 people"),
        ("Who founded Kelloway Mining in 2001?", "Greta Voss"),
    )
    assert not [q for q, _ in train_pairs(text) if "Greta Voss employ" in q]


# Directions, wordings and probes --------------------------------------------------------------------------

FOUNDED = "Ilse Marren founded Verdant Lamp Works."


def test_both_directions_are_asked() -> None:
    """A fact is asked from its subject's side and from its object's side."""
    assert_pairs(
        FOUNDED,
        ("What did Ilse Marren found?", "Verdant Lamp Works"),
        ("Who founded Verdant Lamp Works?", "Ilse Marren"),
    )


def test_several_wordings_per_direction_and_a_distinct_probe() -> None:
    """Each direction is trained in at least three wordings, and held out in a fourth that is not one of
    them once normalised, so a probe measures recall rather than memorised wording."""
    _, reflections = reflect(FOUNDED)
    train = [r for r in reflections if r.split == "train"]
    trained = {normalise_text(r.question) for r in train}
    for answer in ("Verdant Lamp Works", "Ilse Marren"):
        questions = {r.question for r in train if r.answer == answer and r.kind in ("direct", "inferred")}
        assert len(questions) >= 3, (answer, questions)
        probes = [r for r in reflections if r.split == "probe" and r.answer == answer]
        assert probes, answer
        assert all(normalise_text(p.question) not in trained for p in probes), probes
        fact_ids = {r.fact_id for r in train if r.answer == answer}
        assert all(p.fact_id in fact_ids for p in probes)


# Across documents -----------------------------------------------------------------------------------------


def test_relation_chained_across_two_documents() -> None:
    """X works for Y (one document) and Y's founder is Z (another) give the founder of X's employer."""
    generator = OfflineGenerator(GeneratorConfig())
    documents = [
        _doc("Lio Varesh works for Calder Minerals.", "a.md"),
        _doc("The founder of Calder Minerals is Frances Ward.", "b.md"),
    ]
    reflections = generator.reflect_corpus(documents, 1)
    chained = [
        r
        for r in reflections
        if r.split == "train"
        and r.kind == "cross_document"
        and (r.question, r.answer)
        == ("Who is the founder of the organisation Lio Varesh works for?", "Frances Ward")
    ]
    assert chained, [(r.question, r.answer) for r in reflections]
    assert set(chained[0].document_ids) == {"a.md", "b.md"}


# Property -------------------------------------------------------------------------------------------------

VARIED_TEXTS = [
    "Margaret Ellison opened a bakery in Carrow in 1994.",
    "Oskar Brenn taught mathematics at the University of Halvik from 1972 to 1994.",
    "In 1985 Dario Pell bought the Grey Heron Inn, which he ran until 2009.",
    "Hedda Morrow (1921-1987) was a Danish architect.",
    "The sisters of Lio Varesh are Mara Varesh, Tilde Varesh and Ines Varesh.",
    "Tomas Wield had three children, Adam, Celia and Robert.",
    "PORT ESSEN, 15 April 2024 \u2014 Calder Minerals opened a new mine near Tarrow.",
    "# Harlow Bay Lighthouse\n\nHeight: 34 m\nKeeper: Aldo Brisk\nBuilt: 1871\n",
    "# Lighthouses\n\n| Lighthouse | Height |\n|---|---|\n| Skerra Point Light | 21 m |\n",
    "# Glossary\n\nTidewrack\n: seaweed left on a beach by the falling tide\n",
    "Margaret Ellison was born in Carrow in 1951. She founded Ellison Looms in 1980.",
]


def test_direct_answers_are_quoted_from_the_document() -> None:
    """A direct reflection states what the text says, so its answer is words of the text."""
    generator = OfflineGenerator(GeneratorConfig())
    checked = 0
    for k, text in enumerate(VARIED_TEXTS):
        for reflection in generator.reflect_document(_doc(text, f"t{k}.md"), 1):
            if reflection.kind == "direct":
                checked += 1
                assert reflection.answer in text, (text, reflection.question, reflection.answer)
    assert checked >= len(VARIED_TEXTS)


def test_in_a_name_is_a_place_whatever_its_label() -> None:
    """ "a village in Devon": the small recogniser may call Devon a person; after "in" it is a place."""
    assert_pairs(
        "Ebbrook is a village in Devon.",
        ("Where is Ebbrook?", "Devon"),
        ("What is Ebbrook?", "a village"),
    )
