"""Prefect tasks of the evaluation stage (``memo_core.evaluation``): suites and gate, and the run's report."""

from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.artifacts import create_markdown_artifact

from memo_core.config import MemoConfig
from memo_core.evaluation import evaluate, report
from memo_core.plan.planner import UpdatePlan


@task(name="evaluate-candidate")
def evaluate_candidate(
    config: MemoConfig, plan: UpdatePlan, reflection_key: str, checkpoint: str, parent_dir: str | None
) -> str:
    return evaluate.evaluate_candidate(
        config, plan, reflection_key, checkpoint, Path(parent_dir) if parent_dir else None
    )


@task(name="publish-report")
def publish_report(
    config: MemoConfig,
    plan: UpdatePlan,
    report_key: str | None,
    version: str | None,
    links: dict[str, str] | None = None,
) -> str:
    markdown = report.report_markdown(config, plan, report_key, version, links)
    create_markdown_artifact(
        markdown=markdown,
        key=f"knowledge-update-v{plan.corpus_version}",
        description=f"memo update of corpus v{plan.corpus_version}",
    )
    return markdown
