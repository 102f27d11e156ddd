"""S3 sources against a real S3 API: moto's ThreadedMotoServer on 127.0.0.1, spoken to through s3fs."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from moto.server import ThreadedMotoServer
from s3_server import KEY, REGION, SECRET, make_bucket, options, start_server
from servers import free_port

from memo_core.sources.config import SourceConfig
from memo_core.sources.manifest import ManifestStore, compute_delta, pending_changes
from memo_core.sources.scan import SourceError, list_files, read_files, scan_sources
from memo_core.store import ArtifactStore


def test_s3_source_scans_a_prefix_with_explicit_options(endpoint: str) -> None:
    bucket, _ = make_bucket(
        endpoint,
        {
            "docs/guide.md": b"# Guide\n\nRead   me.",
            "docs/deep/notes.txt": b"notes",
            "docs/deep/table.csv": b"a,b",
            "docs/empty.md": b"",
            "docs/bad.txt": b"\xff\xfe\x00broken",
            "other/outside.md": b"not in the source",
        },
    )
    source = SourceConfig(name="s3docs", url=f"s3://{bucket}/docs", storage_options=options(endpoint))

    scan = scan_sources([source])

    assert [(d.id, d.text) for d in scan.documents] == [
        ("s3docs/deep/notes.txt", "notes"),
        ("s3docs/guide.md", "# Guide\n\nRead me."),
    ]
    assert {s.path: s.reason for s in scan.skipped} == {
        "bad.txt": "not valid UTF-16 text (truncated data at offset 8)",
        "deep/table.csv": "unsupported format '.csv'",
        "empty.md": "empty file",
    }


def test_s3_endpoint_region_and_credentials_from_the_aws_environment(
    endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket, _ = make_bucket(endpoint, {"a.md": b"from the environment"})
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    source = SourceConfig(name="env", url=f"s3://{bucket}", storage_options={"skip_instance_cache": True})
    assert [d.text for d in scan_sources([source]).documents] == ["from the environment"]


def test_rescans_see_new_and_deleted_objects(endpoint: str) -> None:
    """s3fs caches listings; a watcher re-scanning the same bucket must not be fooled by that cache."""
    bucket, client = make_bucket(endpoint, {"a.md": b"alpha", "b.md": b"beta"})
    source = SourceConfig(name="s", url=f"s3://{bucket}", storage_options=options(endpoint))
    before = scan_sources([source])
    client.put_object(Bucket=bucket, Key="c.md", Body=b"gamma")
    client.delete_object(Bucket=bucket, Key="a.md")
    client.put_object(Bucket=bucket, Key="b.md", Body=b"beta, edited")
    after = scan_sources([source])
    assert [d.id for d in before.documents] == ["s/a.md", "s/b.md"]
    assert [(d.id, d.text) for d in after.documents] == [("s/b.md", "beta, edited"), ("s/c.md", "gamma")]


def test_manifests_live_in_an_s3_artifact_store(endpoint: str) -> None:
    bucket, client = make_bucket(endpoint, {"corpus/a.md": b"alpha", "corpus/b.md": b"beta"})
    source = SourceConfig(name="s", url=f"s3://{bucket}/corpus", storage_options=options(endpoint))
    manifests = ManifestStore(ArtifactStore(f"s3://{bucket}/store", options(endpoint)))

    first, written = manifests.record(scan_sources([source]))
    again, rewritten = manifests.record(scan_sources([source]))
    client.copy_object(
        Bucket=bucket, Key="corpus/moved/a.md", CopySource={"Bucket": bucket, "Key": "corpus/a.md"}
    )
    client.delete_object(Bucket=bucket, Key="corpus/a.md")
    second, _ = manifests.record(scan_sources([source]))

    assert (written, rewritten, again) == (True, False, first)
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket, Prefix="store/")["Contents"]]
    assert keys == ["store/manifests/v0001.json", "store/manifests/v0002.json"]
    assert compute_delta(first, second).moved == [("s/a.md", "s/moved/a.md")]


def test_watcher_check_on_s3_downloads_only_objects_whose_etag_changed(endpoint: str) -> None:
    bucket, client = make_bucket(endpoint, {"a.md": b"alpha", "b.md": b"beta"})
    source = SourceConfig(name="s", url=f"s3://{bucket}", storage_options=options(endpoint))
    manifests = ManifestStore(ArtifactStore(f"s3://{bucket}-store", options(endpoint)))
    ArtifactStore(f"s3://{bucket}", options(endpoint)).fs.mkdir(f"{bucket}-store")
    manifests.record(scan_sources([source]))
    assert pending_changes([source], manifests).files_read == 0
    client.put_object(Bucket=bucket, Key="b.md", Body=b"bet")  # same size, new content: a new ETag
    pending = pending_changes([source], manifests)
    assert (pending.files_read, pending.delta.changed) == (1, ["s/b.md"])


def test_object_deleted_between_listing_and_reading_is_skipped(endpoint: str) -> None:
    bucket, client = make_bucket(endpoint, {"stays.md": b"stays", "goes.md": b"goes"})
    source = SourceConfig(name="s", url=f"s3://{bucket}", storage_options=options(endpoint))
    entries = list_files(source)
    client.delete_object(Bucket=bucket, Key="goes.md")
    result = read_files(source, entries)
    assert [d.id for d in result.documents] == ["s/stays.md"]
    assert [(s.path, s.reason) for s in result.skipped] == [
        ("goes.md", "vanished during the scan (listed, then gone before it could be read)")
    ]


def test_missing_bucket_fails_the_scan_naming_the_source(endpoint: str) -> None:
    source = SourceConfig(name="nobucket", url="s3://no-such-bucket/x", storage_options=options(endpoint))
    with pytest.raises(SourceError, match="source 'nobucket'"):
        scan_sources([source])


def no_client_retries(endpoint: str) -> dict[str, Any]:
    """Leave the retrying to the source (botocore would otherwise retry refused connections itself)."""
    return options(endpoint, config_kwargs={"retries": {"max_attempts": 1}, "connect_timeout": 2})


def test_an_s3_outage_is_retried_with_backoff_until_the_server_is_back(endpoint: str) -> None:
    bucket, _ = make_bucket(endpoint, {"a.md": b"survives the outage"})
    port = free_port()
    down = f"http://127.0.0.1:{port}"  # moto keeps its buckets per process: a new server here serves them
    source = SourceConfig(
        name="flaky",
        url=f"s3://{bucket}",
        storage_options=no_client_retries(down),
        retries=6,
        retry_backoff_s=0.1,
    )
    servers: list[ThreadedMotoServer] = []
    timer = threading.Timer(0.5, lambda: servers.append(start_server(port)))
    timer.start()
    try:
        scan = scan_sources([source])
    finally:
        timer.join()
        for server in servers:
            server.stop()
    assert [d.text for d in scan.documents] == ["survives the outage"]


def test_an_unreachable_source_fails_the_scan_and_no_manifest_is_written(
    endpoint: str, tmp_path: Path
) -> None:
    bucket, _ = make_bucket(endpoint, {"a.md": b"alpha"})
    good = SourceConfig(name="good", url=f"s3://{bucket}", storage_options=options(endpoint))
    manifests = ManifestStore(ArtifactStore(str(tmp_path / "store")))
    manifests.record(scan_sources([good]))
    dead = SourceConfig(
        name="dead",
        url=f"s3://{bucket}",
        storage_options=no_client_retries(f"http://127.0.0.1:{free_port()}"),
        retries=2,
        retry_backoff_s=0.01,
    )
    with pytest.raises(SourceError, match=r"source 'dead' \(s3://memo-\w+\): listing failed after 3 attempt"):
        manifests.record(scan_sources([good, dead]))
    assert manifests.versions() == [1]
