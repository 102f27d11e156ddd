from memo_core.evaluation.config import GateConfig
from memo_core.evaluation.gate import apply_gate
from memo_core.evaluation.metrics import QAItem, exact_match, score_suite, token_f1


def test_exact_match_ignores_case_punctuation_articles_and_accepts_aliases():
    assert exact_match("The Osterby.", ["osterby"]) == 1.0
    assert exact_match("Valmere", ["Osterby", "Valmere"]) == 1.0
    assert exact_match("Osterby Hall", ["Osterby"]) == 0.0


def test_token_f1_gives_partial_credit():
    assert token_f1("Ilse Marren", ["Ilse Marren"]) == 1.0
    assert 0.6 < token_f1("Ilse", ["Ilse Marren"]) < 0.7
    assert token_f1("nobody", ["Ilse Marren"]) == 0.0


def test_score_suite_groups_by_tag():
    items = [QAItem("q1", ("a",), "1-hop"), QAItem("q2", ("b",), "2-hop"), QAItem("q3", ("c",), "2-hop")]
    answers = {"q1": "a", "q2": "b", "q3": "wrong"}
    result = score_suite("s", items, lambda qs: [answers[q] for q in qs])
    assert result.count == 3
    assert abs(result.exact_match - 2 / 3) < 1e-9
    assert result.by_tag == {"1-hop": 1.0, "2-hop": 0.5}
    assert result.old_answer_rate is None and result.judged_correct is None


def test_changed_facts_report_new_answer_given_and_old_answer_still_given():
    items = [
        QAItem("Who is the chief executive?", ("Tamsin Orlevy",), "train", old_answers=("Maelis Torvane",)),
        QAItem("Where is the head office?", ("Valmere",), "train", old_answers=("Osterby",)),
        QAItem("How many staff work there?", ("250",), "probe", old_answers=("240",)),
    ]
    answers = {items[0].question: "Tamsin Orlevy", items[1].question: "Osterby", items[2].question: "12"}
    result = score_suite("changed_facts", items, lambda qs: [answers[q] for q in qs])
    assert abs(result.exact_match - 1 / 3) < 1e-9  # new answer given
    assert abs(result.old_answer_rate - 1 / 3) < 1e-9  # old answer still given
    assert result.by_tag == {"probe": 0.0, "train": 0.5}
    assert result.samples[1]["old_answer"] == "Osterby"


def test_a_suite_of_removed_facts_measures_only_old_answers():
    items = [
        QAItem("Who built the Drift Sensor?", (), old_answers=("Petrel Labs",)),
        QAItem("q2", (), old_answers=("x",)),
    ]
    result = score_suite("removed_documents", items, lambda qs: ["Petrel Labs", "I don't know"])
    assert result.exact_match is None and result.f1 is None and result.by_tag == {}
    assert result.old_answer_rate == 0.5
    assert result.count == 2


def test_the_judge_sees_only_answers_exact_match_rejected():
    items = [
        QAItem("q1", ("March 2024",)),
        QAItem("q2", ("Osterby",)),
        QAItem("q3", ("7",)),
        QAItem("q4", ("x",)),
    ]
    answers = {"q1": "in March 2024", "q2": "Osterby", "q3": "seven", "q4": "y"}
    asked: list[tuple[str, tuple[str, ...], str]] = []

    def judge(questions, references, predictions):
        asked.extend(zip(questions, references, predictions, strict=True))
        verdicts = {"q1": True, "q3": None, "q4": False}
        return [verdicts[q] for q in questions]

    result = score_suite("s", items, lambda qs: [answers[q] for q in qs], judge)
    assert [q for q, _, _ in asked] == ["q1", "q3", "q4"]
    assert asked[0] == ("q1", ("March 2024",), "in March 2024")
    assert result.exact_match == 0.25
    assert result.judged_correct == 0.5  # q2 by exact match, q1 by the judge
    assert result.unjudged == 1


def test_gate_names_each_failed_check():
    config = GateConfig(min_new_knowledge=0.8, max_retention_drop=0.05, max_canary_drift=0.2)
    passed = apply_gate(config, 0.9, 0.88, 0.9, canary_drift=0.1)
    assert passed.passed and not passed.failures
    assert [c.name for c in passed.checks] == ["new_knowledge", "retention_drop", "canary_drift"]
    failed = apply_gate(config, 0.5, 0.7, 0.9, canary_drift=0.35)
    assert not failed.passed
    assert [c.name for c in failed.checks if not c.passed] == [
        "new_knowledge",
        "retention_drop",
        "canary_drift",
    ]
    assert failed.failures[0].startswith("new_knowledge 0.500 < min_new_knowledge 0.800")
    assert failed.failures[1].startswith("retention_drop 0.200 > max_retention_drop 0.050")
    assert failed.failures[2].startswith("canary_drift 0.350 > max_canary_drift 0.200")


def test_gate_shows_probe_em_beside_new_knowledge_and_holds_only_when_set():
    shown = apply_gate(GateConfig(), 0.9, None, None, probes=0.3)
    assert shown.passed and [c.name for c in shown.checks] == ["new_knowledge", "new_knowledge_probes"]
    held = apply_gate(GateConfig(min_probe_em=0.5), 0.9, None, None, probes=0.3)
    assert held.failures == ["new_knowledge_probes 0.300 < min_probe_em 0.500"]


def test_gate_runs_only_the_checks_it_has_measurements_for():
    config = GateConfig(min_new_knowledge=0.5, max_canary_drift=0.1)
    full_build = apply_gate(config, 0.6, None, None, canary_drift=None)
    assert full_build.passed
    assert [c.name for c in full_build.checks] == ["new_knowledge"]
    assert not apply_gate(config, 0.6, None, None, canary_drift=0.5).passed


def test_answers_are_scored_without_punctuation_articles_or_case():
    assert exact_match("1200 units", ["The 1,200 units"]) == 1.0
    assert exact_match("O'Neil", ["oneil"]) == 1.0
    assert exact_match("1,300 units", ["1,200 units"]) == 0.0
