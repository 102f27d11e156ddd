"""Prefect task: scan the sources, record the corpus manifest, report the delta and the skipped files."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.artifacts import create_markdown_artifact
from pydantic import BaseModel

from memo_core.sources.config import SourceConfig
from memo_core.sources.manifest import ManifestStore, compute_delta
from memo_core.sources.scan import ScanResult, scan_sources
from memo_core.store import ArtifactStore

_LISTED = 100  # rows per section of the markdown artifact; counts cover the rest


class ScanOutcome(BaseModel):
    """What the flow needs to go on: versions, the delta by id, and the skipped files (small, JSON-able)."""

    manifest_version: int
    previous_version: int | None
    new_version: bool
    delta: dict[str, list[Any]]
    skipped: list[dict[str, str]]
    summary: dict[str, int] = {}


@task(name="scan-sources", retries=2, retry_delay_seconds=30)
def scan_sources_task(
    sources: list[SourceConfig], store_url: str, store_options: dict[str, Any] | None = None
) -> ScanOutcome:
    """Scan and record a manifest version when the documents changed; re-runs on an unchanged corpus are free.

    A source that keeps failing raises inside the scan, before anything is recorded, so no partial
    manifest exists; the task retries the whole scan later (the sources' own retries cover blips).
    """
    manifests = ManifestStore(ArtifactStore(store_url, store_options))
    previous = manifests.latest()
    scan = scan_sources(sources)
    manifest, written = manifests.record(scan)
    delta = compute_delta(previous, manifest)  # unchanged corpus: manifest is previous, the delta empty
    outcome = ScanOutcome(
        manifest_version=manifest.version,
        previous_version=previous.version if previous else None,
        new_version=written,
        delta=delta.to_json(),
        skipped=[{"source": s.source, "path": s.path, "reason": s.reason} for s in scan.skipped],
        summary=delta.summary(),
    )
    create_markdown_artifact(
        key="scan-report", markdown=scan_report(outcome, scan), description="Source scan"
    )
    return outcome


def scan_report(outcome: ScanOutcome, scan: ScanResult) -> str:
    """Markdown for the run's artifact: the delta by kind, then every skipped file with its reason."""
    version = f"v{outcome.manifest_version:04d}" + (" (new)" if outcome.new_version else " (unchanged)")
    lines = [
        f"# Source scan: corpus {version}",
        "",
        f"{len(scan.documents)} documents, {len(scan.skipped)} skipped.",
        "",
        "| " + " | ".join(outcome.summary) + " |",
        "|" + " --- |" * len(outcome.summary),
        "| " + " | ".join(str(n) for n in outcome.summary.values()) + " |",
    ]
    if outcome.skipped:
        lines += ["", "## Skipped files", "", "| source | path | reason |", "| --- | --- | --- |"]
        lines += [
            f"| {_cell(s['source'])} | `{_cell(s['path'])}` | {_cell(s['reason'])} |"
            for s in outcome.skipped[:_LISTED]
        ]
        if len(outcome.skipped) > _LISTED:
            lines.append(f"\n... and {len(outcome.skipped) - _LISTED} more")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
