from memo_core.evaluation import GateConfig, QAItem, apply_gate, exact_match, score_suite, token_f1


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


def test_gate_names_each_failed_check():
    config = GateConfig(min_new_knowledge=0.8, max_retention_drop=0.05)
    assert apply_gate(config, 0.9, 0.88, 0.9).passed
    failed = apply_gate(config, 0.5, 0.7, 0.9)
    assert not failed.passed
    assert len(failed.failures) == 2
    assert "new_knowledge 0.500" in failed.failures[0]
    assert "retention drop 0.200" in failed.failures[1]
