from collections.abc import Callable

import pytest

from memo_core.evaluation.metrics import QAItem, set_f1
from memo_core.executive.offline import ABSTAIN, OfflineExecutive
from memo_core.executive.questions import without_in_laws
from memo_core.memory.recall import Recalled
from memo_core.reflections.generators.offline.generator import OfflineGenerator
from memo_core.reflections.records import dedupe
from memo_core.sources.scan import Document
from memo_core.text import normalise_text

# A memory that knows exactly these wordings, as a trained memory recalls its training questions.
FACTS = {
    "Who is the mother of Taeson Wuditon?": "Cimina Stosley",
    "Who are the sisters of Cimina Stosley?": "Draketh Tirvomont and Closara Tirvomont",
    "Where was Draketh Tirvomont born?": "Wosby",
    "Where was Closara Tirvomont born?": "Wosby",
    "Who is the father of Draketh Tirvomont?": "Orrin Tirvomont",
    "Who employs Feilas Huthow?": "Jumley Timber",
    "Who founded Jumley Timber?": "Grisik Gosow",
    "When was Grisik Gosow born?": "1921",
    "Where does Nunas Huthow work?": "Leandport Yards",
    "Where is Leandport Yards based?": "Kodun",
    "What is the occupation of Orrin Tirvomont?": "cooper",
}


def memory(questions: list[str]) -> list[str]:
    by_form = {normalise_text(q): a for q, a in FACTS.items()}
    return [by_form.get(normalise_text(q), ABSTAIN) for q in questions]


def hops(answer) -> list[str]:
    return [s.hop for s in answer.trace]


def test_nested_relations_resolve_from_the_inside_out_to_any_depth() -> None:
    result = OfflineExecutive(memory).ask(
        "What is the occupation of the father of the sister of the mother of Taeson Wuditon?"
    )
    # Both sisters are followed; only one has a known father, whose occupation is the answer.
    assert result.answer == "cooper"
    assert hops(result)[:2] == [
        "hop 1: the mother of Taeson Wuditon",
        "hop 2: the sister of Cimina Stosley",
    ]
    asked = {s.sub_question for s in result.trace}
    assert {"Who is the mother of Taeson Wuditon?", "Who is the father of Draketh Tirvomont?"} <= asked


def test_possessives_relative_clauses_and_synonyms_are_hops() -> None:
    executive = OfflineExecutive(memory)
    assert executive.ask(
        "When was the person who set up the firm that employs Feilas Huthow born?"
    ).answer == ("1921")
    assert executive.ask("Where is the company Nunas Huthow works for based?").answer == "Kodun"
    assert executive.ask("Who is Taeson Wuditon's mum?").answer == "Cimina Stosley"


def test_a_set_valued_hop_follows_every_value_and_answers_each_once() -> None:
    result = OfflineExecutive(memory).ask("Where were the sisters of Cimina Stosley born?")
    assert result.answer == "Wosby"  # both were born there: named once
    seeking = [s for s in result.trace if s.stage == "answer_seeking"]
    assert {s.sub_question for s in seeking} == {
        "Where was Draketh Tirvomont born?",
        "Where was Closara Tirvomont born?",
    }
    listed = OfflineExecutive(memory).ask("Who are the sisters of the mother of Taeson Wuditon?")
    assert listed.answer == "Draketh Tirvomont and Closara Tirvomont"


def test_an_unknown_hop_is_named_in_the_trace_and_the_answer_is_i_dont_know() -> None:
    result = OfflineExecutive(memory).ask("Where was the grandmother of Taeson Wuditon born?")
    assert result.answer == ABSTAIN
    (step, *rest) = result.trace
    assert step.stage == "identification" and step.memory_answer == ABSTAIN
    assert step.hop == "hop 1: the grandmother of Taeson Wuditon"
    assert [s.sub_question for s in rest] == ["Where was the grandmother of Taeson Wuditon born?"]


def test_without_confidence_the_answer_most_wordings_agree_on_wins() -> None:
    def noisy(questions: list[str]) -> list[str]:
        # The user's own words get a wrong answer; the trained wordings agree on another.
        return ["Ilse Marr" if q == "Who is Tomas Rudd's dad?" else "Karl Rudd" for q in questions]

    assert OfflineExecutive(noisy).ask("Who is Tomas Rudd's dad?").answer == "Karl Rudd"


def test_ask_many_batches_memory_calls_per_round_of_hops() -> None:
    calls: list[int] = []

    def counting(questions: list[str]) -> list[str]:
        calls.append(len(questions))
        return memory(questions)

    questions = ["Where was Draketh Tirvomont born?", "Who is Taeson Wuditon's mum?"] * 3
    answers = OfflineExecutive(counting).ask_many(questions)
    assert [a.answer for a in answers] == ["Wosby", "Cimina Stosley"] * 3
    assert len(calls) == 1  # every question's wordings in one batch


DOCUMENTS = {
    "feilas.md": "# Feilas Huthow\n\nFeilas Huthow is a joiner. He works for Jumley Timber. He was born in "
    "1929.\n",
    "jumley.md": "# Jumley Timber\n\nJumley Timber is based in Waithford. It was founded by Grisik Gosow in "
    "1958.\n",
    "grisik.md": "# Grisik Gosow\n\nGrisik Gosow was born in Kodun in 1921. The sisters of Grisik Gosow "
    "are Golia Gosow and Nonina Gosow.\n",
}


def _documents() -> list[Document]:
    return [Document(id=n, source="t", path=n, text=text, content_hash=n) for n, text in DOCUMENTS.items()]


@pytest.fixture(scope="module")
def trained_memory() -> Callable[[list[str]], list[str]]:
    """A memory that recalls exactly the offline generator's training questions of three documents."""
    generator = OfflineGenerator()
    documents = _documents()
    rows = [r for d in documents for r in generator.reflect_document(d, 1)]
    rows = dedupe(rows + generator.reflect_corpus(documents, 1))
    table = {normalise_text(r.question): r.answer for r in rows if r.split == "train"}
    return lambda questions: [table.get(normalise_text(q), ABSTAIN) for q in questions]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Who founded Jumley Timber?", "Grisik Gosow"),  # stated in the passive
        ("Where was Grisik Gosow born?", "Kodun"),  # stated with a year beside the place
        ("In which city was Grisik Gosow born?", "Kodun"),
        ("Who set up the company Feilas Huthow works for?", "Grisik Gosow"),
        ("Where is Feilas Huthow's employer based?", "Waithford"),
        ("In which year was the founder of Feilas Huthow's employer born?", "1921"),
        ("Who are the sisters of the founder of Jumley Timber?", "Golia Gosow and Nonina Gosow"),
    ],
)
def test_the_executive_asks_in_the_wordings_the_generator_trains(
    trained_memory: Callable[[list[str]], list[str]], question: str, expected: str
) -> None:
    assert OfflineExecutive(trained_memory).ask(question).answer == expected


def test_probe_wordings_never_enter_training() -> None:
    generator = OfflineGenerator()
    documents = _documents()
    rows = dedupe([r for d in documents for r in generator.reflect_document(d, 1)])
    trained = {normalise_text(r.question) for r in rows if r.split == "train"}
    probes = [r for r in rows if r.split == "probe"]
    assert probes and not [p.question for p in probes if normalise_text(p.question) in trained]


def test_set_f1_scores_the_items_of_an_answer() -> None:
    expected = [("Golia Gosow",), ("Nonina Gosow",)]
    assert set_f1("Golia Gosow and Nonina Gosow", expected) == 1.0
    assert set_f1("Nonina Gosow, Golia Gosow", expected) == 1.0
    assert set_f1("Golia Gosow", expected) == pytest.approx(2 / 3)
    assert set_f1("Golia Gosow and Karl Rudd", expected) == pytest.approx(0.5)
    assert set_f1("Karl Rudd", expected) == 0.0
    assert set_f1("Pell & Marr and Sons", [("Pell & Marr and Sons",)]) == 1.0  # a name is not split
    item = QAItem(
        "Who are the sisters?", ("Golia Gosow and Nonina Gosow",), items=("Golia Gosow", "Nonina Gosow")
    )
    assert item.exact_match("Nonina Gosow and Golia Gosow") == 1.0
    assert item.exact_match("Nonina Gosow") == 0.0


def test_the_answer_the_memory_is_surest_of_wins_when_it_says_how_sure() -> None:
    def scored(questions: list[str]) -> list[str]:
        # Two junk wordings agree on a wrong answer; the trained wording is answered with more certainty.
        sure = {"Who is the father of Tomas Rudd?": Recalled("Karl Rudd", -0.05)}
        return [sure.get(q, Recalled("Ilse Marr", -0.9)) for q in questions]

    result = OfflineExecutive(scored).ask("Who is Tomas Rudd's dad?")
    assert result.answer == "Karl Rudd"
    assert result.trace[0].sub_question == "Who is the father of Tomas Rudd?"


def test_an_answer_that_repeats_the_questions_subject_does_not_count() -> None:
    def echoing(questions: list[str]) -> list[str]:
        echo, answer = Recalled("Tomas Rudd", -0.01), Recalled("Karl Rudd", -0.5)
        return [echo if q == "Who is the father of Tomas Rudd?" else answer for q in questions]

    assert OfflineExecutive(echoing).ask("Who is the father of Tomas Rudd?").answer == "Karl Rudd"


def test_in_laws_hyphenated_names_and_phrasal_verbs_are_read_as_english() -> None:
    facts = {
        "Who is Sander Ilves-Kask married to?": "Ruth Oduya-Fell",
        "Who is the mother of Ruth Oduya-Fell?": "Maren Oduya-Fell",
        "Who founded Jumley Timber?": "Grisik Gosow",
    }

    def known(questions: list[str]) -> list[str]:
        return [facts.get(q, ABSTAIN) for q in questions]

    executive = OfflineExecutive(known)
    result = executive.ask("Who is Sander Ilves-Kask's mother-in-law?")
    assert result.answer == "Maren Oduya-Fell"
    assert hops(result) == ["hop 1: Sander Ilves-Kask's spouse", "hop 2: Ruth Oduya-Fell's mother"]
    assert executive.ask("Who is the mother-in-law of Sander Ilves-Kask?").answer == "Maren Oduya-Fell"
    assert executive.ask("Who set up Jumley Timber?").answer == "Grisik Gosow"
    assert (
        without_in_laws("Who are the sons-in-law of Ab Cd?")
        == "Who are the husbands of the daughter of Ab Cd?"
    )
