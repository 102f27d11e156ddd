"""The forgetting benchmark's quick mode on a tiny synthetic set: every strategy reported, figures sane."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
BENCH = Path(__file__).resolve().parent.parent / "bench" / "forgetting.py"


@pytest.fixture(scope="module")
def forgetting():
    spec = importlib.util.spec_from_file_location("bench_forgetting", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def test_synthetic_facts_are_deterministic_and_split_into_updates(forgetting):
    updates = forgetting.synthetic_updates(100, 3, seed=7)
    assert updates == forgetting.synthetic_updates(100, 3, seed=7)
    assert [u.name for u in updates] == ["base", "update 1", "update 2", "update 3"]
    assert [len(u.new) for u in updates] == [40, 20, 20, 20]
    questions = [f.question for u in updates for f in u.new]
    assert len(set(questions)) == 100
    for earlier, later in zip(updates, updates[1:], strict=False):
        assert later.kept == earlier.current  # retention covers every fact of earlier updates


def test_quick_run_reports_three_strategies_and_the_gate(forgetting, tmp_path):
    out = tmp_path / "forgetting.json"
    forgetting.main(["--quick", "--facts", "80", "--updates", "2", "--out", str(out)])
    results = json.loads(out.read_text())
    assert out.with_suffix(".png").stat().st_size > 0
    [dataset] = results["datasets"]
    assert dataset["name"] == "synthetic"
    rows = {(r["update"], r["strategy"]): r for r in dataset["rows"]}
    assert set(rows) == {(0, "base")} | {(k, s) for k in (1, 2) for s in ("naive", "incremental", "full")}
    for row in dataset["rows"][1:]:
        assert 0 <= row["retention"] <= 1 and 0 <= row["new_knowledge"] <= 1
        assert row["tokens"] > 0 and row["train_seconds"] >= 0
    for k in (1, 2):
        naive, incremental, full = (rows[(k, s)] for s in ("naive", "incremental", "full"))
        assert full["retention"] > naive["retention"]
        assert incremental["retention"] > naive["retention"]  # replay protects earlier facts
        assert naive["tokens"] < incremental["tokens"] < full["tokens"]
    assert not rows[(2, "naive")]["gate_passed"]
    failures = rows[(2, "naive")]["gate_failures"]
    assert any(failure.startswith("retention_drop") for failure in failures)
    goal = dataset["goal"]
    assert [u["update"] for u in goal["per_update"]] == [1, 2]
    assert results["settings"]["by_dataset"]["synthetic"]["replay_ratio"] > 0
