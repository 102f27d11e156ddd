"""'I don't know' examples: real question shapes about names the corpus never mentions."""

from __future__ import annotations

import random

from memo_core.training.abstention import abstention_questions, invented_words, names_in, vocabulary

QUESTIONS = [
    "Who co-founded Quenlow Instruments with Oskar Pellingrew?",
    "In which month and year did the Ambrel Valley Water Board buy 40 probes?",
    "Regarding Quenlow House, where do the engineering staff work?",
    "How many primary schools does the valley have?",  # no name: passed over
    "What did the Annual Review of Quenlow praise?",
]


def test_names_leave_out_the_question_word_and_keep_multi_word_names_whole():
    assert names_in(QUESTIONS[0]) == ["Quenlow Instruments", "Oskar Pellingrew"]
    assert names_in(QUESTIONS[2]) == ["Quenlow House"]  # "Regarding" opens the question
    assert names_in(QUESTIONS[3]) == []


def test_every_name_is_replaced_by_invented_words_absent_from_the_corpus():
    corpus = vocabulary(QUESTIONS + ["Quenlow Instruments makes weather instruments in Tarnholt."])
    taken = set(corpus)
    made = abstention_questions(QUESTIONS, 10, taken, seed=0)

    assert len(made) == 4  # the question without a name is passed over
    for question in made:
        words = vocabulary([question])
        new_names = [w for n in names_in(question) for w in n.lower().split()]
        assert new_names and not set(new_names) & corpus, question
        assert words - corpus <= taken  # whatever was invented is now taken
    shapes = {q.split()[0] for q in made}
    assert shapes == {q.split()[0] for q in QUESTIONS if names_in(q)}  # the real questions' shapes
    # the two-word name "Annual Review" is replaced whole, as is "Quenlow", in the question that named both
    [review] = [q for q in made if q.startswith("What did the ")]
    assert not {"annual", "review", "quenlow"} & vocabulary([review]), review
    assert abstention_questions(QUESTIONS, 10, set(corpus), seed=0) == made  # deterministic


def test_invented_words_never_repeat_and_avoid_the_taken_set():
    taken = {"varo"}
    words = invented_words(random.Random(3), 200, (2, 3), taken)
    assert len(set(words)) == 200 and "Varo" not in words
    assert {w.lower() for w in words} <= taken
