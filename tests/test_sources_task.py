"""The scan-sources Prefect task inside a real flow run: manifest versions, delta, skipped files, artifact."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.testing.utilities import prefect_test_harness

from memo_core.sources.config import SourceConfig
from memo_core.sources.manifest import ManifestStore
from memo_core.sources.scan import SourceError
from memo_core.store import ArtifactStore
from tasks.sources import ScanOutcome, scan_sources_task


@pytest.fixture(scope="module", autouse=True)
def prefect_api() -> Iterator[None]:
    with prefect_test_harness():
        yield


@flow
def scan_flow(sources: list[SourceConfig], store_url: str) -> ScanOutcome:
    return scan_sources_task.with_options(retries=0)(sources, store_url)


def test_task_records_a_version_and_reports_delta_and_skipped_files(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text("alpha")
    (corpus / "b|c.bin").write_bytes(b"\x00")
    sources = [SourceConfig(name="s", url=str(corpus))]
    store_url = str(tmp_path / "store")

    first = scan_flow(sources, store_url)
    again = scan_flow(sources, store_url)
    (corpus / "a.md").rename(corpus / "z.md")
    moved = scan_flow(sources, store_url)

    assert (first.manifest_version, first.previous_version, first.new_version) == (1, None, True)
    assert first.delta == {"added": ["s/a.md"], "changed": [], "removed": [], "moved": []}
    assert first.skipped == [{"source": "s", "path": "b|c.bin", "reason": "unsupported format '.bin'"}]
    assert (again.manifest_version, again.previous_version, again.new_version) == (1, 1, False)
    assert again.summary == {"added": 0, "changed": 0, "removed": 0, "moved": 0, "unchanged": 1}
    assert (moved.manifest_version, moved.new_version, moved.delta["moved"]) == (
        2,
        True,
        [["s/a.md", "s/z.md"]],
    )
    with get_client(sync_client=True) as client:
        reports = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["scan-report"]))
        )
    artifact = max(reports, key=lambda a: a.created or 0)
    assert "# Source scan: corpus v0002 (new)" in str(artifact.data)
    assert "| s | `b\\|c.bin` | unsupported format '.bin' |" in str(artifact.data)


def test_task_fails_without_a_partial_manifest_when_a_source_is_missing(tmp_path: Path) -> None:
    sources = [SourceConfig(name="lost", url=str(tmp_path / "unmounted"))]
    with pytest.raises(SourceError, match="source 'lost'"):
        scan_flow(sources, str(tmp_path / "store"))
    assert ManifestStore(ArtifactStore(str(tmp_path / "store"))).versions() == []
