"""One knowledge update, as plain functions the orchestration layer calls step by step.

plan (what changed since the parent model's corpus) -> reflection set (cached per document hash) ->
training examples (new reflections plus a replay sample) -> candidate checkpoint -> evaluation and gate.
Every step returns store keys or small records, and every output is keyed so a re-run reuses it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from memo_core.config import MemoConfig
from memo_core.evaluation.canary import measure_canary
from memo_core.evaluation.changelog import knowledge_changelog
from memo_core.evaluation.gate import apply_gate
from memo_core.evaluation.judge import build_judge
from memo_core.evaluation.metrics import JudgeFn, QAItem, SuiteResult, score_suite
from memo_core.evaluation.report import EvaluationReport
from memo_core.evaluation.suites import build_suites, heldout_questions
from memo_core.executive.offline import OfflineExecutive
from memo_core.memory.model import MemoryModel
from memo_core.plan.planner import UpdatePlan
from memo_core.reflections.build import read_reflection_set
from memo_core.runtime import open_store
from memo_core.sources.manifest import ManifestStore
from memo_core.store import ArtifactStore, conflicts_key, reflection_set_key
from memo_core.training.candidate import base_model_dir

log = logging.getLogger(__name__)


def evaluate_candidate(
    config: MemoConfig, plan: UpdatePlan, reflection_key: str, checkpoint: str, parent_dir: Path | None
) -> str:
    """Score the candidate on every suite (and the champion on the same retention suite), measure the
    canary against the champion (or the base model), and apply the gate."""
    store = open_store(config)
    key = f"reports/{plan.candidate_id}.json"
    if store.exists(key):
        return key
    reflections = read_reflection_set(store, reflection_key)
    parent_key = (
        None if plan.parent_corpus_version is None else reflection_set_key(plan.parent_corpus_version)
    )
    parent_reflections = read_reflection_set(store, parent_key) if parent_key else []
    suites = build_suites(config, plan, reflections, parent_reflections)
    heldout = heldout_questions(config, ManifestStore(store).get(plan.corpus_version))
    judge = build_judge(config.evaluation.judge)
    judge_fn = judge.judge if judge is not None else None

    max_new_tokens = config.memory.max_new_tokens
    candidate = MemoryModel.load(store.local_path(checkpoint), max_new_tokens)
    results = {
        name: _scored("candidate", name, items, candidate.answer, judge_fn) for name, items in suites.items()
    }
    if heldout:
        executive = OfflineExecutive(candidate.answer, config.executive)
        results["heldout"] = _scored(
            "candidate", "heldout", heldout, lambda qs: [a.answer for a in executive.ask_many(qs)], judge_fn
        )
    champion = MemoryModel.load(parent_dir, max_new_tokens) if parent_dir is not None else None
    champion_results: dict[str, SuiteResult] = {}
    if champion is not None and "retention" in suites:
        champion_results["retention"] = _scored("champion", "retention", suites["retention"], champion.answer)
    max_tokens = config.evaluation.canary_max_tokens
    if champion is not None:
        canary = measure_canary(candidate, max_tokens, champion, "champion")
    elif config.memory.base != "offline":  # a pretrained base: its general ability is worth keeping
        canary = measure_canary(candidate, max_tokens, MemoryModel.load(base_model_dir(config)), "base")
    else:  # the offline base is random weights: nothing to compare with
        canary = measure_canary(candidate, max_tokens)

    if canary.drift is not None:
        log.info(
            "canary perplexity %.2f, drift %+.3f against the %s",
            canary.perplexity,
            canary.drift,
            canary.reference,
        )
    retention = results["retention"].exact_match if "retention" in results else None
    champion_retention = champion_results["retention"].exact_match if champion_results else None
    gate = apply_gate(
        config.evaluation.gate,
        results["new_knowledge"].exact_match,
        retention,
        champion_retention,
        canary.drift,
        probes=results["new_knowledge_probes"].exact_match if "new_knowledge_probes" in results else None,
    )
    training = json.loads((store.local_path(checkpoint) / "training.json").read_text())
    report = EvaluationReport(
        plan.candidate_id,
        results,
        champion_results,
        canary,
        gate,
        training,
        _data_notes(store, plan),
        knowledge_changelog(plan, reflections, parent_reflections),
    )
    store.write_json(key, report.to_json())
    log.info("gate %s%s", "passed" if gate.passed else "failed: ", "; ".join(gate.failures))
    return key


def _scored(
    who: str,
    name: str,
    items: Sequence[QAItem],
    answer: Callable[[list[str]], list[str]],
    judge: JudgeFn | None = None,
) -> SuiteResult:
    """Score one suite, saying so in the log: a suite of a large model can take minutes."""
    log.info("evaluating the %s on %s: %d questions", who, name, len(items))
    started = time.monotonic()
    result = score_suite(name, items, answer, judge)
    figures = [
        f"{label} {value:.3f}"
        for label, value in (
            ("exact match", result.exact_match),
            ("F1", result.f1),
            ("old answer still given", result.old_answer_rate),
        )
        if value is not None
    ]
    log.info(
        "%s on %s: %s (%.0f s)",
        who,
        name,
        ", ".join(figures) or "nothing to score",
        time.monotonic() - started,
    )
    return result


def _data_notes(store: ArtifactStore, plan: UpdatePlan) -> dict[str, Any]:
    """What the reviewer should know about the corpus itself: facts its documents disagree on, documents
    this run could not read any more, and files the scan skipped."""
    manifests = ManifestStore(store)
    key = conflicts_key(plan.corpus_version)
    return {
        "conflicts": store.read_json(key) if store.exists(key) else [],
        "left_out": manifests.vanished(plan.corpus_version),
        "skipped": [asdict(s) for s in manifests.get(plan.corpus_version).skipped],
    }
