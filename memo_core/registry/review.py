"""What a reviewer reads on a model version's page in the MLflow UI, written when it is registered.

The description leads with the verdict and the knowledge the version changes, then its scores against the
champion's, what changed in the corpus, where the report is, and the exact steps to approve or reject,
because the MLflow UI itself says nothing of memo's review (its own "Promote model" button copies a version
to another registered model and is not memo's approval).
"""

from __future__ import annotations

from typing import Any

from memo_core.evaluation.changelog import changelog_markdown
from memo_core.evaluation.report import markdown_links
from memo_core.plan.planner import UpdatePlan

# (metric, what it measures): the scores a reviewer weighs, in the order the gate reads them
KEY_SCORES = (
    ("new_knowledge_em", "new knowledge: the trained questions"),
    ("new_knowledge_probes_em", "new knowledge asked in new wordings"),
    ("retention_em", "retention of earlier facts"),
    ("changed_facts_em", "changed facts given their new answer"),
    ("heldout_em", "held-out questions, through the executive"),
)


def version_description(
    version: str,
    plan: UpdatePlan,
    report: dict[str, Any],
    champion: tuple[str, dict[str, float]] | None,
    links: dict[str, str],
    added_documents: int,
    report_uri: str,
) -> str:
    """The version's description, in markdown: ``champion`` is its version and run metrics, ``links``
    names pages (the report, the Prefect flow run) by what they show, ``report_uri`` is the report in the
    artifact store."""
    gate = report["gate"]
    lines = [
        "**Gate passed.**"
        if gate["passed"]
        else "**Gate FAILED:** " + "; ".join(gate["failures"]) + ". Promoting it needs a gate override.",
        "",
    ]
    lines += changelog_markdown(report.get("changelog", {}), limit=10)
    lines += ["", *_scores(report["metrics"], champion)]
    changed = len(plan.new_documents) - added_documents
    lines += [
        "",
        f"Corpus v{plan.corpus_version}, {plan.mode} update"
        + (f" from version {plan.parent_version}" if plan.parent_version else " from the base model")
        + f": {added_documents} documents added, {changed} changed, {len(plan.removed_documents)} removed, "
        f"{len(plan.moved_documents)} moved.",
    ]
    if links:
        lines += ["", markdown_links(links)]
    lines += ["", f"The report is also in the artifact store: `{report_uri}`."]
    lines += ["", *review_steps(version, gate_passed=bool(gate["passed"]))]
    return "\n".join(lines) + "\n"


def _scores(metrics: dict[str, float], champion: tuple[str, dict[str, float]] | None) -> list[str]:
    rows = [
        (label, metrics.get(key), champion[1].get(key) if champion else None) for key, label in KEY_SCORES
    ]
    rows = [row for row in rows if row[1] is not None]
    if "canary_drift" in metrics:
        rows.append(
            ("general text: canary perplexity drift (lower is better)", metrics["canary_drift"], None)
        )
    header = f"champion (version {champion[0]})" if champion else "champion"
    return [
        f"| exact match | this version | {header} |",
        "| --- | ---: | ---: |",
        *(f"| {label} | {_figure(value)} | {_figure(before)} |" for label, value, before in rows),
    ]


def _figure(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def review_steps(version: str, gate_passed: bool) -> list[str]:
    """How to approve or reject this version, and what happens then."""
    override = (
        ""
        if gate_passed
        else " Its gate failed: also set `gate_override` = your name, which says you accept the failures "
        "above (it is recorded in the version's audit record)."
    )
    return [
        "**To approve**, set the tags `approval` = `approved` and `approved_by` = your name on this version."
        + override,
        f'**To reject**, set `approval` = `rejected`, or run `memo reject {version} --reason "..."`, which '
        "also records why; a rejected version is never promoted.",
        "",
        "memo's `promote` flow then makes the newest approved version `champion` (the one before it becomes "
        "`previous`): at once when the MLflow webhook relay reports the approval, otherwise within 5 minutes "
        "(its schedule). Where no `promote` deployment runs (a plain `mlflow ui`), nothing is promoted until "
        f"`memo promote` runs; `memo approve {version}` approves and promotes at once. (MLflow's own "
        '"Promote model" button copies a version to another registered model: it is not an approval.)',
    ]
