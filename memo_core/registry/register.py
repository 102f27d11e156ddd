"""The registration step of an update: a candidate registered once, with its lineage, report, reflection
sample and the scores plot of every version.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from memo_core.config import MemoConfig
from memo_core.evaluation.report import VersionScores, render_report, save_scores_plot
from memo_core.plan.planner import UpdatePlan
from memo_core.reflections.build import read_reflection_set
from memo_core.registry.registry import CHAMPION, MemoRegistry, RegistryError
from memo_core.registry.review import version_description
from memo_core.runtime import open_registry, open_store
from memo_core.sources.manifest import ManifestStore
from memo_core.store import ArtifactStore, scores_plot_key

if TYPE_CHECKING:
    from mlflow.entities.model_registry import ModelVersion

log = logging.getLogger(__name__)


def score_history(registry: MemoRegistry, max_retention_drop: float | None = None) -> list[VersionScores]:
    """Each registered version's exact match on new knowledge and retention, oldest first; with
    ``max_retention_drop``, the retention floor of its gate (its champion's retention less the drop)."""
    history = []
    for version in registry.versions():
        metrics = registry.client.get_run(version.run_id).data.metrics if version.run_id else {}
        history.append(
            VersionScores(
                version=int(version.version),
                corpus_version=version.tags.get("corpus_version", "?"),
                new_knowledge=metrics.get("new_knowledge_em"),
                retention=metrics.get("retention_em"),
                retention_floor=(
                    max(0.0, metrics["champion_retention_em"] - max_retention_drop)
                    if max_retention_drop is not None and "champion_retention_em" in metrics
                    else None
                ),
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
    config: MemoConfig,
    plan: UpdatePlan,
    reflection_key: str,
    checkpoint: str,
    report_key: str,
    flow_run_url: str | None = None,
) -> str:
    """Register the candidate with its lineage and describe it for review; a plan already registered
    returns its existing version (described, should the run that registered it have stopped before)."""
    store = open_store(config)
    registry = open_registry(config)
    report = store.read_json(report_key)
    existing = registered_version(config, plan)
    if existing is not None:
        log.info("candidate %s is already version %s", plan.candidate_id, existing)
        found = registry.get(existing)
        if not found.description:
            _describe(config, store, registry, found, plan, report, report_key)
        return existing
    manifest_bytes = store.read_bytes(f"manifests/v{plan.corpus_version:04d}.json")
    tags = {
        "candidate_id": plan.candidate_id,
        "corpus_version": str(plan.corpus_version),
        "manifest_sha256": hashlib.sha256(manifest_bytes).hexdigest(),
        "reflection_set": store.uri(reflection_key),
        "parent_version": plan.parent_version or "",
        "mode": plan.mode,
        "conflicting_facts": str(len(report.get("data", {}).get("conflicts", []))),
        **({"prefect_flow_run": flow_run_url} if flow_run_url else {}),
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
        training_run_id=report["training"].get("mlflow_training_run"),
    )
    _log_scores_plot(config, store, registry, report_key, str(version.run_id))
    _describe(config, store, registry, version, plan, report, report_key)
    return str(version.version)


def review_links(config: MemoConfig, version: str) -> dict[str, str]:
    """The MLflow pages of a version, by what they show: the version, its run, its report and plot."""
    registry = open_registry(config)
    return _links(registry, registry.get(version))


def _links(registry: MemoRegistry, version: ModelVersion) -> dict[str, str]:
    run = registry.run_url(str(version.run_id))
    return {
        "model version": registry.version_url(version.version),
        "run": run,
        "report": f"{run}/artifacts/report/report.md",
        "scores plot": registry.artifact_url(str(version.run_id), "report/scores.png"),
    }


def _describe(
    config: MemoConfig,
    store: ArtifactStore,
    registry: MemoRegistry,
    version: ModelVersion,
    plan: UpdatePlan,
    report: dict[str, Any],
    report_key: str,
) -> None:
    number = str(version.version)
    try:
        champion = registry.get(CHAMPION)
    except RegistryError:  # nothing approved yet
        champion_scores = None
    else:
        metrics = registry.client.get_run(champion.run_id).data.metrics if champion.run_id else {}
        champion_scores = (str(champion.version), dict(metrics))
    links = _links(registry, version)
    links.pop("model version")  # the page the description is on
    if version.tags.get("prefect_flow_run"):
        links["Prefect flow run"] = version.tags["prefect_flow_run"]
    added = len(plan.new_documents)
    if plan.parent_corpus_version is not None:
        before = ManifestStore(store).get(plan.parent_corpus_version).documents
        added = sum(document not in before for document in plan.new_documents)
    description = version_description(
        number, plan, report, champion_scores, links, added, store.uri(report_key)
    )
    registry.describe(number, description)


def _log_scores_plot(
    config: MemoConfig, store: ArtifactStore, registry: MemoRegistry, report_key: str, run_id: str
) -> None:
    """New-knowledge and retention scores of every registered version, this one included, with the gate's
    thresholds, drawn beside the report in the store and on the version's run (``report/scores.png``)."""
    gate = config.evaluation.gate
    with tempfile.TemporaryDirectory() as tmp:
        history = score_history(registry, gate.max_retention_drop)
        path = save_scores_plot(history, Path(tmp) / "scores.png", gate.min_new_knowledge)
        store.write_bytes(scores_plot_key(report_key), path.read_bytes())
        registry.client.log_artifact(run_id, str(path), "report")
