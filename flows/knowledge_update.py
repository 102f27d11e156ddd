"""The knowledge update: scan the sources, distil what changed into reflections, train, evaluate, register."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Literal

from prefect import State, flow, get_run_logger
from prefect.states import Completed

from flows import load_run_config
from memo_core.plan.planner import UpdatePlan, candidate_lock
from memo_core.runtime import open_store
from tasks.evaluation import evaluate_candidate, publish_report
from tasks.plan import plan_update
from tasks.reflections import build_reflection_set, list_documents, reflect_document
from tasks.registry import fetch_parent_model, find_registered_version, register_candidate, review_links
from tasks.sources import scan_sources_task
from tasks.training import train_candidate, train_candidate_on_deployment


@flow(name="knowledge-update")
def knowledge_update(
    config_path: str = "memo.yaml",
    mode: Literal["as configured", "incremental", "full"] = "as configured",
    dry_run: bool = False,
) -> dict[str, Any] | State[dict[str, Any]]:
    """Bring the MEMORY model up to date with the sources and register the result as a ``candidate``.

    A candidate that failed its gate ends the run in a Completed state named "Gate failed".

    Args:
        config_path: memo.yaml, relative to the worker's checkout.
        mode: incremental continues from the champion with a replay of earlier reflections; full rebuilds
            from the base model; as configured takes training.mode from memo.yaml.
        dry_run: scan and plan only, and report what changed; nothing is trained.
    """
    logger = get_run_logger()
    took = _stage_timer(logger)
    config = load_run_config(config_path)
    scan = scan_sources_task(config.sources, config.store.root, config.store.storage_options)
    plan = plan_update(config, scan.manifest_version, None if mode == "as configured" else mode)
    logger.info(
        "corpus v%s, %s update: %d new or changed, %d removed, %d moved, %d skipped files",
        plan.corpus_version,
        plan.mode,
        len(plan.new_documents),
        len(plan.removed_documents),
        len(plan.moved_documents),
        len(scan.skipped),
    )
    for skipped in scan.skipped[:20]:
        logger.info("skipped %s/%s: %s", skipped["source"], skipped["path"], skipped["reason"])
    if len(scan.skipped) > 20:
        logger.info("... and %d more skipped files (see the scan-report artifact)", len(scan.skipped) - 20)
    took("scan and plan")
    if plan.is_empty or dry_run:
        publish_report(config, plan, None, None)
        return summary(plan, "no-change" if plan.is_empty else "dry-run")

    # One task per document, cached on its text and the generator's settings: unchanged documents show as
    # Cached and are never distilled again. A cache entry whose file left the store is refreshed.
    documents = list_documents(config, plan.corpus_version)
    distilled = [
        reflect_document.with_options(refresh_cache=not ref.stored).submit(config, plan.corpus_version, ref)
        for ref in documents
    ]
    for future in distilled:
        # A document that could not be distilled fails the run, named in its task; one gone or changed since
        # the scan gives None: it is left out of this run, its reason logged and kept beside the manifest.
        future.result()
    reflections = build_reflection_set(config, plan.corpus_version)
    took("reflections")
    # From training to registration one update at a time holds the candidate: another update of the same
    # plan waits, then finds the version this one registered instead of registering it again.
    with candidate_lock(config, plan):
        existing = find_registered_version(config, plan)
        if existing is not None:
            logger.info("candidate %s is already version %s; nothing to do", plan.candidate_id, existing)
            return summary(plan, "already-registered", existing)
        parent_dir = fetch_parent_model(config, plan)
        # Training is the one heavy step: with training.deployment it runs on that deployment's pool (GPU
        # hosts) and this run waits for it; otherwise it runs here.
        if config.training.deployment:
            checkpoint = train_candidate_on_deployment(config.training.deployment, config, config_path, plan)
        else:
            checkpoint = train_candidate(config, plan, reflections, parent_dir)
        took("training")
        report = evaluate_candidate(config, plan, reflections, checkpoint, parent_dir)
        took("evaluation")
        version = register_candidate(config, plan, reflections, checkpoint, report)
    links = review_links(config, version)
    publish_report(config, plan, report, version, links)
    took("registration and report")
    evaluation = open_store(config).read_json(report)
    result = summary(plan, "registered", version, evaluation["metrics"])
    if not evaluation["gate"]["passed"]:
        # The run completed (the candidate is registered for review), but the UI's state badge says why it
        # will not be promoted without an override.
        failures = "; ".join(evaluation["gate"]["failures"])
        logger.warning(
            "version %s failed its gate: %s; review it at %s", version, failures, links["model version"]
        )
        message = f"version {version} failed its gate: {failures}"
        return Completed(name="Gate failed", message=message, data=result)
    logger.info("version %s passed its gate and waits for review at %s", version, links["model version"])
    return result


def _stage_timer(logger: Any) -> Callable[[str], None]:
    """Logs how long each stage of the update took, so the run's log shows where its time goes."""
    last = time.monotonic()

    def took(stage: str) -> None:
        nonlocal last
        now = time.monotonic()
        logger.info("%s took %.1f s", stage, now - last)
        last = now

    return took


def summary(
    plan: UpdatePlan, status: str, version: str | None = None, metrics: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The flow's result: small enough for Prefect to keep, enough for the `memo` command to print."""
    return {
        "status": status,
        "candidate_id": plan.candidate_id,
        "corpus_version": plan.corpus_version,
        "mode": plan.mode,
        "version": version,
        "metrics": metrics or {},
    }
