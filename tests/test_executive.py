from memo_core.executive.offline import OfflineExecutive, find_bridges

FACTS = {
    "Who is the designer of the Quillmark lamp?": "Ilse Marren",
    "In which town was Ilse Marren born?": "Osterby",
    "In which town was the designer of the Quillmark lamp born?": "Valmere",
    "Who founded Verdant Lamp Works?": "Ilse Marren",
}


def memory(questions):
    return [FACTS.get(q, "") for q in questions]


def test_bridge_phrase_keeps_trailing_head_noun_but_not_a_verb():
    (bridge,) = find_bridges("In which town was the designer of the Quillmark lamp born?", limit=2)
    assert bridge.phrase == "the designer of the Quillmark lamp"
    assert bridge.sub_question == "Who is the designer of the Quillmark lamp?"
    (bridge,) = find_bridges("Where was the founder of Verdant Lamp Works born?", limit=2)
    assert bridge.entity == "Verdant Lamp Works"


def test_two_hop_question_is_answered_through_the_bridge_entity():
    result = OfflineExecutive(memory).ask("In which town was the designer of the Quillmark lamp born?")
    # The direct answer (Valmere) is overridden by the bridged re-ask naming the entity.
    assert result.answer == "Osterby"
    stages = [(s.stage, s.sub_question) for s in result.trace]
    assert ("grounding", "Who is the designer of the Quillmark lamp?") in stages
    assert ("answer_seeking", "In which town was Ilse Marren born?") in stages


def test_one_hop_question_is_asked_directly():
    result = OfflineExecutive(memory).ask("Who founded Verdant Lamp Works?")
    assert result.answer == "Ilse Marren"
    assert [s.stage for s in result.trace] == ["grounding"]
    assert result.to_json()["trace"][0]["memory_answer"] == "Ilse Marren"


def test_ask_many_batches_memory_calls_per_stage():
    calls = []

    def counting(questions):
        calls.append(len(questions))
        return memory(questions)

    OfflineExecutive(counting).ask_many(list(FACTS))
    assert len(calls) == 2  # one grounding batch, one answer-seeking batch, whatever the number of questions
