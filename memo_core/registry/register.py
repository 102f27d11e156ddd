"""The registration step of an update: a candidate registered once, with its lineage, report, reflection
sample and the scores plot of every version.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from pathlib import Path

from memo_core.config import MemoConfig
from memo_core.evaluation.report import VersionScores, render_report, save_scores_plot
from memo_core.plan.planner import UpdatePlan
from memo_core.reflections.build import read_reflection_set
from memo_core.registry.registry import MemoRegistry
from memo_core.runtime import open_registry, open_store
from memo_core.store import ArtifactStore, scores_plot_key

log = logging.getLogger(__name__)


def score_history(registry: MemoRegistry) -> list[VersionScores]:
    """Each registered version's exact match on new knowledge and retention, oldest first."""
    history = []
    for version in registry.versions():
        metrics = registry.client.get_run(version.run_id).data.metrics if version.run_id else {}
        history.append(
            VersionScores(
                version=int(version.version),
                corpus_version=version.tags.get("corpus_version", "?"),
                new_knowledge=metrics.get("new_knowledge_em"),
                retention=metrics.get("retention_em"),
            )
        )
    return history


def registered_version(config: MemoConfig, plan: UpdatePlan) -> str | None:
    """The version already registered for this plan's candidate, if any."""
    for existing in open_registry(config).versions():
        if existing.tags.get("candidate_id") == plan.candidate_id:
            return str(existing.version)
    return None


def register_candidate(
    config: MemoConfig, plan: UpdatePlan, reflection_key: str, checkpoint: str, report_key: str
) -> str:
    """Register the candidate with its lineage; a plan already registered returns its existing version."""
    store = open_store(config)
    registry = open_registry(config)
    existing = registered_version(config, plan)
    if existing is not None:
        log.info("candidate %s is already version %s", plan.candidate_id, existing)
        return existing
    report = store.read_json(report_key)
    manifest_bytes = store.read_bytes(f"manifests/v{plan.corpus_version:04d}.json")
    tags = {
        "candidate_id": plan.candidate_id,
        "corpus_version": str(plan.corpus_version),
        "manifest_sha256": hashlib.sha256(manifest_bytes).hexdigest(),
        "reflection_set": store.uri(reflection_key),
        "parent_version": plan.parent_version or "",
        "mode": plan.mode,
        "conflicting_facts": str(len(report.get("data", {}).get("conflicts", []))),
    }
    params = {
        "mode": plan.mode,
        "base": config.memory.base,
        "generator": config.generator.backend,
        "seed": config.seed,
        **{f"training.{k}": v for k, v in config.training.model_dump().items()},
        **{f"training.{k}": v for k, v in report["training"].items()},
    }
    version = registry.register_candidate(
        checkpoint_dir=store.local_path(checkpoint),
        params=params,
        metrics=report["metrics"],
        tags=tags,
        reports={"report.md": render_report(plan, report), "report.json": json.dumps(report, indent=2)},
        sample_questions=[s["question"] for s in report["suites"]["new_knowledge"]["samples"]],
        gate_failures=report["gate"]["failures"],
        reflections=read_reflection_set(store, reflection_key),
    )
    _log_scores_plot(store, registry, report_key, str(version.run_id))
    return str(version.version)


def _log_scores_plot(store: ArtifactStore, registry: MemoRegistry, report_key: str, run_id: str) -> None:
    """New-knowledge and retention scores of every registered version, this one included, drawn beside the
    report in the store and on the version's run (``report/scores.png``)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = save_scores_plot(score_history(registry), Path(tmp) / "scores.png")
        store.write_bytes(scores_plot_key(report_key), path.read_bytes())
        registry.client.log_artifact(run_id, str(path), "report")
