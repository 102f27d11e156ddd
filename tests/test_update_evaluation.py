"""Evaluation of an update: suites built from provenance, the canary, the gate and the report on MLflow."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import pytest

from memo_core.config import MemoConfig
from memo_core.evaluation.canary import canary_text
from memo_core.evaluation.evaluate import evaluate_candidate
from memo_core.evaluation.report import draw_scores, report_markdown
from memo_core.evaluation.suites import build_suites
from memo_core.memory.config import OfflineModelSpec
from memo_core.memory.model import build_offline_model, train_tokenizer
from memo_core.plan.planner import UpdatePlan
from memo_core.reflections.records import Reflection, save_reflections
from memo_core.registry.register import register_candidate, score_history
from memo_core.registry.registry import RegistryError
from memo_core.runtime import open_registry, open_store
from memo_core.sources.manifest import CorpusManifest, ManifestEntry, ManifestStore
from memo_core.store import reflection_set_key
from memo_core.training.abstention import names_in
from memo_core.training.examples import Example, select_training_set

TINY = OfflineModelSpec(layers=1, hidden=32, heads=2, intermediate=64, vocab_size=400, max_positions=64)


def reflection(question: str, answer: str, doc: str, version: int, split: str = "train") -> Reflection:
    return Reflection.create(
        question,
        answer,
        kind="direct",
        step="extraction",
        document_ids=(doc,),
        chunk_ids=(f"{doc}#p0",),
        spans=((0, 10),),
        corpus_version=version,
        generator="test",
        generator_hash="h",
        split=split,
    )


# corpus v1: a (ten facts), c (removed in v2), d (its leader changes in v2)
PARENT = [
    *(reflection(f"What is fact {i} of Alder?", f"alder {i}", "docs/a.md", 1) for i in range(10)),
    reflection("Who built the Drift Sensor?", "Petrel Labs", "docs/c.md", 1),
    reflection("Which laboratory built the Drift Sensor?", "Petrel Labs", "docs/c.md", 1, "probe"),
    reflection("Where is the Drift Sensor tested?", "Skerrin", "docs/c.md", 1),
    reflection("Who leads Dunmore?", "Maelis Torvane", "docs/d.md", 1),
    reflection("Who is the leader of Dunmore?", "Maelis Torvane", "docs/d.md", 1, "probe"),
    reflection("Where is Dunmore based?", "Osterby", "docs/d.md", 1),
]
# corpus v2: a unchanged, b new in v2 (three facts), c removed, d changed, e new; a now also says where the
# Drift Sensor is tested, so that question is still true and not a removed fact
CURRENT = [
    *PARENT[:10],
    reflection("Where is the Drift Sensor tested?", "Skerrin", "docs/a.md", 1),
    *(reflection(f"What is fact {i} of Birch?", f"birch {i}", "docs/b.md", 2) for i in range(3)),
    reflection("Who leads Dunmore?", "Tamsin Orlevy", "docs/d.md", 2),
    reflection("Who is the leader of Dunmore?", "Tamsin Orlevy", "docs/d.md", 2, "probe"),
    reflection("Where is Dunmore based?", "Osterby", "docs/d.md", 1),
    reflection("What does Elm make?", "lamps", "docs/e.md", 2),
]
FULL = UpdatePlan(1, "full", None, None, ["docs/a.md", "docs/c.md", "docs/d.md"], [], [], "cand-v1")
INCREMENTAL = UpdatePlan(
    2, "incremental", "1", 1, ["docs/b.md", "docs/d.md", "docs/e.md"], ["docs/c.md"], [], "cand-v2"
)


def test_retention_is_stratified_by_the_version_that_introduced_each_fact():
    config = MemoConfig(evaluation={"max_questions_per_suite": 6}, seed=3)
    incremental = UpdatePlan(3, "incremental", "2", 2, ["docs/e.md"], [], [], "x")
    suites = build_suites(config, incremental, CURRENT, CURRENT)
    tags = [item.tag for item in suites["retention"]]
    assert sorted(set(tags)) == ["v1", "v2"]
    assert tags.count("v1") == 3 and tags.count("v2") == 3  # six questions, an equal share per version
    assert all(not item.question.startswith("What does Elm") for item in suites["retention"])
    assert build_suites(config, incremental, CURRENT, CURRENT)["retention"] == suites["retention"]


def test_changed_and_removed_facts_come_from_the_champions_reflection_set():
    suites = build_suites(MemoConfig(), INCREMENTAL, CURRENT, PARENT)
    changed = {item.question: item for item in suites["changed_facts"]}
    assert set(changed) == {"Who leads Dunmore?", "Who is the leader of Dunmore?"}
    assert changed["Who leads Dunmore?"].answers == ("Tamsin Orlevy",)
    assert changed["Who leads Dunmore?"].old_answers == ("Maelis Torvane",)
    assert changed["Who is the leader of Dunmore?"].tag == "probe"
    removed = {item.question: item for item in suites["removed_documents"]}
    assert set(removed) == {"Who built the Drift Sensor?", "Which laboratory built the Drift Sensor?"}
    assert all(item.answers == () and item.old_answers == ("Petrel Labs",) for item in removed.values())
    new = {item.question for item in suites["new_knowledge"]}
    assert (
        "Who leads Dunmore?" in new and "What does Elm make?" in new and "What is fact 0 of Alder?" not in new
    )
    assert {item.tag for item in suites["retention"]} == {"v1"}


def test_an_incremental_training_set_rehearses_earlier_facts_and_learns_to_abstain():
    config = MemoConfig(training={"incremental_epochs": 4, "replay_ratio": 1.0, "abstain_ratio": 0.25})
    chosen = select_training_set(config, INCREMENTAL, CURRENT)

    assert chosen.epochs == 1.0  # rotating replay: the four passes are in the list
    new = [r for r in CURRENT if r.split == "train" and r.document_ids[0] in INCREMENTAL.new_documents]
    assert {r.id for r in chosen.new} == {r.id for r in new}
    trained = [e for e in chosen.examples if e.answer != "I don't know."]
    assert all(trained.count(Example(r.question, r.answer)) == 4 for r in new)
    assert len(trained) == 2 * 4 * len(new)  # one earlier fact per new one, in every pass
    assert {r.document_ids[0] for r in chosen.replay} == {"docs/a.md"}  # never the changed one's old fact

    assert len(chosen.abstentions) == round(0.25 * len(trained))
    assert all(e.answer == "I don't know." and names_in(e.question) for e in chosen.abstentions)
    assert chosen.examples[-len(chosen.abstentions) :] == chosen.abstentions
    assert select_training_set(config, INCREMENTAL, CURRENT) == chosen  # the same plan, the same set
    full = select_training_set(config, FULL, PARENT)
    assert full.epochs == config.training.epochs and not full.replay


def test_a_full_build_has_only_new_knowledge_and_abstention_suites():
    suites = build_suites(MemoConfig(), FULL, PARENT)
    assert set(suites) == {"new_knowledge", "new_knowledge_probes", "abstention"}
    known = {w.lower() for r in PARENT for w in f"{r.question} {r.answer}".split()}
    for item in suites["abstention"]:  # real probe wordings, every name in them invented
        assert item.answers == ("I don't know.",)
        assert not {w.lower() for name in names_in(item.question) for w in name.split()} & known


def _write_checkpoint(store, key: str, tokenizer, seed: int) -> Path:
    path = store.local_path(key)
    build_offline_model(tokenizer, TINY, seed=seed).save_pretrained(path)
    tokenizer.save_pretrained(path)
    training = {
        "steps": 3,
        "examples": 12,
        "new_examples": 6,
        "replay_examples": 6,
        "final_loss": 1.5,
        "tokens": 300,
        "seconds": 1.0,
        "tokens_per_second": 300.0,
    }
    (path / "training.json").write_text(json.dumps(training))
    return path


@pytest.fixture
def config(tmp_path: Path) -> MemoConfig:
    config = MemoConfig(
        store={"root": str(tmp_path / "store")},
        registry={"tracking_uri": f"sqlite:///{tmp_path}/mlflow.db", "model_name": "memo-eval"},
        memory={"max_new_tokens": 4},
        evaluation={"max_questions_per_suite": 20, "gate": {"min_new_knowledge": 0.5}},
    )
    store = open_store(config)
    texts = [f"{r.question} {r.answer}" for r in PARENT + CURRENT] + [canary_text()]
    tokenizer = train_tokenizer(texts, TINY.vocab_size)
    for version, reflections in ((1, PARENT), (2, CURRENT)):
        documents = {doc: ManifestEntry(f"hash-{doc}", 100) for r in reflections for doc in r.document_ids}
        manifest = CorpusManifest(version, "2026-01-01T00:00:00Z", documents, [])
        store.write_json(ManifestStore.key(version), manifest.to_json())
        save_reflections(reflections, store.local_path(reflection_set_key(version)))
        _write_checkpoint(store, f"checkpoints/v{version}", tokenizer, seed=version)
    return config


def test_update_report_holds_every_suite_the_canary_and_the_gate_and_goes_to_mlflow(config: MemoConfig):
    store = open_store(config)
    first_key = evaluate_candidate(config, FULL, reflection_set_key(1), "checkpoints/v1", None)
    first = store.read_json(first_key)
    assert first["canary"]["reference"] is None  # the offline base is random weights: no reference
    # Probes (generalisation) are listed beside new knowledge (recall); at the default limit 0 they pass.
    checks = {check["name"]: check for check in first["gate"]["checks"]}
    assert list(checks) == ["new_knowledge", "new_knowledge_probes"]
    assert checks["new_knowledge_probes"]["limit"] == 0.0 and checks["new_knowledge_probes"]["passed"]
    assert register_candidate(config, FULL, reflection_set_key(1), "checkpoints/v1", first_key) == "1"

    champion_dir = store.local_path("checkpoints/v1")
    key = evaluate_candidate(config, INCREMENTAL, reflection_set_key(2), "checkpoints/v2", champion_dir)
    report = store.read_json(key)
    suites = report["suites"]
    assert {"retention", "changed_facts", "removed_documents"} <= set(suites)
    assert suites["changed_facts"]["count"] == 2 and suites["changed_facts"]["old_answer_rate"] is not None
    assert suites["removed_documents"]["exact_match"] is None
    assert list(suites["retention"]["by_tag"]) == ["v1"]
    assert list(report["champion_suites"]["retention"]["by_tag"]) == ["v1"]
    canary = report["canary"]
    assert canary["reference"] == "champion"
    assert canary["drift"] == pytest.approx(
        (canary["perplexity"] - canary["reference_perplexity"]) / canary["reference_perplexity"]
    )
    metrics = report["metrics"]
    for name in ("retention_em_v1", "changed_facts_old_answer_rate", "removed_documents_old_answer_rate"):
        assert name in metrics
    assert metrics["canary_drift"] == round(canary["drift"], 4)
    checks = {check["name"]: check for check in report["gate"]["checks"]}
    assert set(checks) == {"new_knowledge", "new_knowledge_probes", "retention_drop", "canary_drift"}
    assert checks["new_knowledge"]["passed"] is False  # an untrained model learnt nothing
    assert not report["gate"]["passed"]

    version = register_candidate(config, INCREMENTAL, reflection_set_key(2), "checkpoints/v2", key)
    registry = open_registry(config)
    registered = registry.get(version)
    assert registered.tags["gate"] == "failed"
    assert "new_knowledge" in registered.tags["gate_failures"]
    with pytest.raises(RegistryError, match="--override-gate"):
        registry.approve(version, reviewer="ana")
    description = registered.description
    assert description.startswith("**Gate FAILED:** new_knowledge "), description
    assert "also set `gate_override` = your name" in description
    assert f"[report]({registry.run_url(registered.run_id)}/artifacts/report/report.md)" in description
    assert f"artifact store: `{store.uri(key)}`" in description
    assert registry.approve(version, reviewer="ana", override_gate=True).tags["gate_override"] == "ana"

    run_id = registered.run_id
    artifacts = {a.path for a in registry.client.list_artifacts(run_id, "report")}
    assert artifacts == {"report/report.md", "report/report.json", "report/scores.png"}
    markdown = mlflow.artifacts.load_text(f"runs:/{run_id}/report/report.md")
    for text in ("changed_facts", "removed_documents", "| v1 |", "General-text canary", "canary_drift"):
        assert text in markdown
    assert json.loads(mlflow.artifacts.load_text(f"runs:/{run_id}/report/report.json"))["canary"] == canary
    assert registry.client.get_run(run_id).data.metrics["canary_drift"] == metrics["canary_drift"]

    plot = store.read_bytes("reports/cand-v2.png")
    assert plot.startswith(b"\x89PNG")
    history = score_history(registry, max_retention_drop=0.1)
    assert [h.version for h in history] == [1, 2]
    assert history[1].retention == metrics["retention_em"]
    assert history[1].retention_floor == pytest.approx(max(0.0, metrics["champion_retention_em"] - 0.1))
    lines = {line.get_label(): list(line.get_xdata()) for line in draw_scores(history).axes[0].get_lines()}
    assert lines == {"new knowledge": [1, 2], "retention": [2], "gate: retention floor": [2]}
    assert report_markdown(config, INCREMENTAL, key, version).rstrip().endswith("reports/cand-v2.png`")
