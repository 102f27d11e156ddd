"""The source watcher against a real Prefect API (a temporary server) and a deployment of a stand-in flow."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun
from prefect.states import Completed, Scheduled
from prefect.testing.utilities import prefect_test_harness
from prefect_helpers import deploy_stand_in, runs_of

from flows.watch_sources import check_sources, watch_sources
from memo_core.sources.config import SourceConfig
from memo_core.sources.manifest import ManifestStore
from memo_core.sources.scan import scan_sources
from memo_core.store import ArtifactStore


@flow(name="knowledge-update")
def stand_in_update(config_path: str = "memo.yaml") -> str:
    """Stands in for the real update: the watcher only needs a deployment of that flow name to start."""
    return config_path


@pytest.fixture(scope="module")
def prefect_api() -> Iterator[None]:
    with prefect_test_harness():
        yield


@pytest.fixture
def deployment(prefect_api: None) -> str:
    return deploy_stand_in(stand_in_update, "update")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "a.md").write_text("alpha")
    (root / "b.md").write_text("beta")
    return root


@pytest.fixture
def store(tmp_path: Path) -> ArtifactStore:
    return ArtifactStore(str(tmp_path / "store"))


def finish(run: FlowRun) -> None:
    with get_client(sync_client=True) as client:
        client.set_flow_run_state(run.id, Completed(), force=True)


def test_unchanged_corpus_starts_nothing(deployment: str, corpus: Path, store: ArtifactStore) -> None:
    sources = [SourceConfig(name="s", url=str(corpus))]
    ManifestStore(store).record(scan_sources(sources))
    result = check_sources(sources, store, deployment)
    assert (result.triggered, result.reason, result.latest_version) == (False, "no changes", 1)
    assert runs_of(deployment) == []


def test_a_change_starts_one_update_and_no_second_while_it_is_due(
    deployment: str, corpus: Path, store: ArtifactStore
) -> None:
    sources = [SourceConfig(name="s", url=str(corpus))]
    ManifestStore(store).record(scan_sources(sources))
    (corpus / "b.md").write_text("beta, edited")

    first = check_sources(sources, store, deployment, {"config_path": "prod.yaml"})
    [run] = runs_of(deployment)
    assert first.triggered and first.flow_run_id == str(run.id)
    assert first.pending == {"added": 0, "changed": 1, "removed": 0, "moved": 0, "unchanged": 1}
    assert run.parameters == {"config_path": "prod.yaml"}
    assert "watch-sources" in run.tags

    second = check_sources(sources, store, deployment, {"config_path": "prod.yaml"})
    assert not second.triggered and "is already Scheduled" in second.reason
    assert len(runs_of(deployment)) == 1

    finish(run)  # the update ran, but (as a stand-in) recorded no manifest: the change is still pending
    third = check_sources(sources, store, deployment, {"config_path": "prod.yaml"})
    assert third.triggered and third.flow_run_id != first.flow_run_id
    assert len(runs_of(deployment)) == 2

    for run in runs_of(deployment):
        finish(run)
    ManifestStore(store).record(scan_sources(sources))  # what the real update does
    assert check_sources(sources, store, deployment).reason == "no changes"
    assert len(runs_of(deployment)) == 2


def test_a_move_alone_triggers_an_update(deployment: str, corpus: Path, store: ArtifactStore) -> None:
    sources = [SourceConfig(name="s", url=str(corpus))]
    ManifestStore(store).record(scan_sources(sources))
    (corpus / "a.md").rename(corpus / "renamed.md")
    result = check_sources(sources, store, deployment)
    assert result.triggered and result.pending["moved"] == 1


def test_a_run_scheduled_for_tomorrow_does_not_hold_back_the_update(
    deployment: str, corpus: Path, store: ArtifactStore
) -> None:
    with get_client(sync_client=True) as client:
        deployment_id = client.read_deployment_by_name(deployment).id
        client.create_flow_run_from_deployment(
            deployment_id, state=Scheduled(scheduled_time=datetime.now(UTC) + timedelta(days=1))
        )
    result = check_sources([SourceConfig(name="s", url=str(corpus))], store, deployment)
    assert result.triggered and result.latest_version is None
    assert len(runs_of(deployment)) == 2


def test_an_unknown_deployment_is_named_in_the_error(
    prefect_api: None, corpus: Path, store: ArtifactStore
) -> None:
    with pytest.raises(ValueError, match="deployment 'knowledge-update/nowhere' not found"):
        check_sources([SourceConfig(name="s", url=str(corpus))], store, "knowledge-update/nowhere")


def test_watch_sources_flow_reads_the_config_and_passes_it_on(
    deployment: str, corpus: Path, tmp_path: Path
) -> None:
    config = tmp_path / "memo.yaml"
    config.write_text(f"store:\n  root: store\nsources:\n  - name: docs\n    url: {corpus.name}\n")
    result = watch_sources(config_path=str(config), deployment=deployment)
    [run] = runs_of(deployment)
    assert result.triggered and result.pending["added"] == 2
    assert run.parameters == {"config_path": str(config)}


def test_an_unchanged_corpus_of_1000_documents_is_checked_in_under_2_seconds(
    tmp_path: Path, store: ArtifactStore
) -> None:
    root = tmp_path / "big"
    for i in range(1000):
        path = root / f"part{i % 10}" / f"doc{i:04d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# Document {i}\n\n" + "Quenlow Instruments builds weather instruments. " * 10)
    sources = [SourceConfig(name="big", url=str(root))]
    ManifestStore(store).record(scan_sources(sources))
    started = time.perf_counter()
    result = check_sources(sources, store, "knowledge-update/not-needed")  # no change: no API call either
    elapsed = time.perf_counter() - started
    assert result.reason == "no changes" and result.pending["unchanged"] == 1000
    assert elapsed < 2.0, f"unchanged 1,000-document check took {elapsed:.2f} s"
