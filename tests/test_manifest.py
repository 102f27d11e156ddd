"""Manifests and deltas: versioning, immutability, moves, and a property test against a model of the truth."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import fsspec
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from memo_core.sources.config import SourceConfig
from memo_core.sources.manifest import (
    CorpusManifest,
    ManifestStore,
    compute_delta,
    format_sources_report,
    pending_changes,
)
from memo_core.sources.scan import SourceError, scan_sources
from memo_core.store import ArtifactStore


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    write(root, "a.md", "alpha")
    write(root, "b.md", "beta")
    write(root, "c.md", "gamma")
    return root


def test_first_scan_records_version_one_with_everything_added(corpus: Path, tmp_path: Path) -> None:
    source = SourceConfig(name="s", url=str(corpus))
    manifests = ManifestStore(ArtifactStore(str(tmp_path / "store")))
    assert manifests.latest() is None

    manifest, written = manifests.record(scan_sources([source]))

    assert written and manifest.version == 1
    assert manifest.documents["s/a.md"].chars == 5
    assert manifest.created_at.endswith("Z")
    assert (tmp_path / "store/manifests/v0001.json").exists()
    assert compute_delta(None, manifest).added == ["s/a.md", "s/b.md", "s/c.md"]
    assert manifests.latest() == manifest == manifests.get(1)


def test_rerun_on_unchanged_corpus_writes_nothing(corpus: Path, tmp_path: Path) -> None:
    source = SourceConfig(name="s", url=str(corpus))
    manifests = ManifestStore(ArtifactStore(str(tmp_path / "store")))
    first, _ = manifests.record(scan_sources([source]))
    before = sorted(p.name for p in (tmp_path / "store/manifests").iterdir())

    again, written = manifests.record(scan_sources([source]))

    assert not written and again == first
    assert sorted(p.name for p in (tmp_path / "store/manifests").iterdir()) == before == ["v0001.json"]


def test_delta_added_changed_removed_and_moved(corpus: Path, tmp_path: Path) -> None:
    source = SourceConfig(name="s", url=str(corpus))
    manifests = ManifestStore(ArtifactStore(str(tmp_path / "store")))
    v1, _ = manifests.record(scan_sources([source]))
    write(corpus, "d.md", "delta")
    write(corpus, "b.md", "beta, revised")
    (corpus / "moved").mkdir()
    (corpus / "c.md").rename(corpus / "moved/c.md")
    (corpus / "a.md").unlink()

    v2, written = manifests.record(scan_sources([source]))
    delta = compute_delta(v1, v2)

    assert written and v2.version == 2
    assert (delta.added, delta.changed, delta.removed) == (["s/d.md"], ["s/b.md"], ["s/a.md"])
    assert delta.moved == [("s/c.md", "s/moved/c.md")]
    assert delta.summary() == {"added": 1, "changed": 1, "removed": 1, "moved": 1, "unchanged": 0}
    assert manifests.get(1) == v1  # the earlier version is untouched


def test_a_move_alone_is_a_non_empty_delta_that_regenerates_nothing(corpus: Path, tmp_path: Path) -> None:
    source = SourceConfig(name="s", url=str(corpus))
    before = CorpusManifest.from_scan(1, scan_sources([source]))
    (corpus / "a.md").rename(corpus / "renamed.md")
    delta = compute_delta(before, CorpusManifest.from_scan(2, scan_sources([source])))
    assert delta.moved == [("s/a.md", "s/renamed.md")]
    assert not delta.is_empty()
    assert delta.added == delta.changed == delta.removed == []


def test_manifest_round_trips_through_json_and_keeps_skipped_files(corpus: Path) -> None:
    write(corpus, "empty.md", "")
    manifest = CorpusManifest.from_scan(7, scan_sources([SourceConfig(name="s", url=str(corpus))]))
    data = json.loads(json.dumps(manifest.to_json()))
    assert CorpusManifest.from_json(data) == manifest
    assert data["skipped"] == [{"source": "s", "path": "empty.md", "reason": "empty file"}]


def test_versions_order_numerically_and_existing_versions_are_never_overwritten(
    corpus: Path, tmp_path: Path
) -> None:
    store = ArtifactStore(str(tmp_path / "store"))
    manifests = ManifestStore(store)
    scan = scan_sources([SourceConfig(name="s", url=str(corpus))])
    store.write_json(ManifestStore.key(9999), CorpusManifest.from_scan(9999, scan).to_json())
    store.write_json(ManifestStore.key(10000), CorpusManifest.from_scan(10000, scan).to_json())
    assert manifests.versions() == [9999, 10000]
    assert manifests.latest() is not None and manifests.latest().version == 10000  # type: ignore[union-attr]
    write(corpus, "new.md", "new")
    manifest, written = manifests.record(scan_sources([SourceConfig(name="s", url=str(corpus))]))
    assert written and manifest.version == 10001
    with pytest.raises(KeyError, match="no manifest for corpus version 5"):
        manifests.get(5)


def test_failing_source_writes_no_manifest(corpus: Path, tmp_path: Path) -> None:
    manifests = ManifestStore(ArtifactStore(str(tmp_path / "store")))
    good = SourceConfig(name="good", url=str(corpus))
    manifests.record(scan_sources([good]))
    write(corpus, "new.md", "new")
    broken = SourceConfig(name="broken", url=str(tmp_path / "unmounted"))
    with pytest.raises(SourceError, match="'broken'"):
        manifests.record(scan_sources([good, broken]))
    assert manifests.versions() == [1]


def test_documents_an_update_left_out_are_absent_from_what_it_learnt(corpus: Path, tmp_path: Path) -> None:
    """b.md was listed by v1 but gone when v1's update read it: back unchanged, it is new to that model."""
    source = SourceConfig(name="s", url=str(corpus))
    manifests = ManifestStore(ArtifactStore(str(tmp_path / "store")))
    v1, _ = manifests.record(scan_sources([source]))
    manifests.record_vanished(1, {"s/b.md": "b.md is no longer in the source"})

    assert manifests.vanished(1) == {"s/b.md": "b.md is no longer in the source"}
    assert manifests.vanished(2) == {}
    learnt = manifests.without_vanished(v1)
    assert (learnt.version, sorted(learnt.documents)) == (1, ["s/a.md", "s/c.md"])
    assert manifests.get(1) == v1  # the manifest itself is untouched
    # the same documents again (b.md came back unchanged) is a new version, whose update reads b.md
    pending = pending_changes([source], manifests)
    assert (pending.delta.added, pending.delta.removed) == (["s/b.md"], [])
    v2, written = manifests.record(scan_sources([source]))
    assert written and v2.version == 2 and v2.documents == v1.documents
    # gone for good: b.md is not removed from what v1's update learnt, it was never in it
    (corpus / "b.md").unlink()
    v3, _ = manifests.record(scan_sources([source]))
    assert compute_delta(learnt, v3).is_empty()


def test_sources_report_lists_sources_pending_delta_and_skipped(corpus: Path, tmp_path: Path) -> None:
    store = ArtifactStore(str(tmp_path / "store"))
    source = SourceConfig(name="s", url=str(corpus), exclude=["*.tmp"])
    report = format_sources_report([source], store)
    assert f"  s: {corpus}  include **/*  exclude *.tmp" in report
    assert "Latest manifest: none yet" in report
    assert "  + s/a.md" in report
    ManifestStore(store).record(scan_sources([source]))
    write(corpus, "a.md", "alpha, changed")
    write(corpus, "bin.md", "\x00")
    report = format_sources_report([source], store)
    assert "Latest manifest: v0001" in report
    assert "Pending delta: 0 added, 1 changed, 0 removed, 0 moved, 2 unchanged" in report
    assert "  ~ s/a.md" in report
    assert "  s/bin.md: binary content behind a text extension (NUL byte at offset 0)" in report
    assert "none configured" in format_sources_report([], store)


def test_sources_report_says_when_nothing_is_pending(corpus: Path, tmp_path: Path) -> None:
    store = ArtifactStore(str(tmp_path / "store"))
    source = SourceConfig(name="s", url=str(corpus))
    ManifestStore(store).record(scan_sources([source]))
    assert "Pending delta: none" in format_sources_report([source], store)
    assert pending_changes([source], ManifestStore(store)).delta.is_empty()


def test_watcher_check_reads_only_files_whose_stamp_changed(corpus: Path, tmp_path: Path) -> None:
    source = SourceConfig(name="s", url=str(corpus))
    manifests = ManifestStore(ArtifactStore(str(tmp_path / "store")))
    manifests.record(scan_sources([source]))
    unchanged = pending_changes([source], manifests)
    assert (unchanged.files_read, unchanged.delta.is_empty()) == (0, True)
    write(corpus, "b.md", "beta, longer now")
    changed = pending_changes([source], manifests)
    assert changed.files_read == 1 and changed.delta.changed == ["s/b.md"]
    assert changed.current.documents["s/a.md"] == unchanged.current.documents["s/a.md"]


def test_a_touched_file_is_read_again_but_makes_no_new_version(corpus: Path, tmp_path: Path) -> None:
    source = SourceConfig(name="s", url=str(corpus))
    manifests = ManifestStore(ArtifactStore(str(tmp_path / "store")))
    manifests.record(scan_sources([source]))
    os.utime(corpus / "a.md", (1_000_000_000, 1_000_000_000))
    pending = pending_changes([source], manifests)
    assert (pending.files_read, pending.delta.is_empty()) == (1, True)
    assert manifests.record(scan_sources([source]))[1] is False


def test_an_edit_keeping_size_and_mtime_escapes_the_watcher_but_not_the_manifest(
    corpus: Path, tmp_path: Path
) -> None:
    """The documented limit of stamps on disk; the next recorded manifest still hashes what it reads."""
    source = SourceConfig(name="s", url=str(corpus))
    manifests = ManifestStore(ArtifactStore(str(tmp_path / "store")))
    manifests.record(scan_sources([source]))
    before = (corpus / "a.md").stat()
    write(corpus, "a.md", "alphx")
    os.utime(corpus / "a.md", ns=(before.st_atime_ns, before.st_mtime_ns))
    assert pending_changes([source], manifests).delta.is_empty()
    manifest, written = manifests.record(scan_sources([source]))
    assert written and compute_delta(manifests.get(1), manifest).changed == ["s/a.md"]


def test_new_extraction_settings_invalidate_stamps(tmp_path: Path) -> None:
    write(tmp_path / "c", "r.jsonl", '{"id": 1, "text": "body", "summary": "short"}\n{"id": 2}\n')
    manifests = ManifestStore(ArtifactStore(str(tmp_path / "store")))
    manifests.record(scan_sources([SourceConfig(name="j", url=str(tmp_path / "c"))]))
    same = pending_changes([SourceConfig(name="j", url=str(tmp_path / "c"))], manifests)
    assert same.files_read == 0 and [s.path for s in same.current.skipped] == ["r.jsonl#2"]
    other_field = pending_changes(
        [SourceConfig(name="j", url=str(tmp_path / "c"), text_field="summary")], manifests
    )
    assert other_field.files_read == 1 and other_field.delta.changed == ["j/r.jsonl#1"]


# --- the property test: random add/change/remove/move, delta checked against the truth after every step ---

PATHS = st.sampled_from([f"{d}{n}.md" for d in ("", "x/", "x/y/") for n in "abcd"])
TEXTS = st.sampled_from(["one", "two", "three", "four", "five"])  # few texts: equal hashes happen often


class CorpusEvolution(RuleBasedStateMachine):
    """A memory:// corpus changed one operation at a time; after each, scan, record and compare deltas."""

    @initialize()
    def start(self) -> None:
        self.root = f"memory://prop-{uuid.uuid4().hex}"
        self.fs = fsspec.filesystem("memory")
        self.truth: dict[str, str] = {}
        self.expected: dict[str, list] = {"added": [], "changed": [], "removed": [], "moved": []}
        self.source = SourceConfig(name="m", url=self.root)
        self.fs.pipe(f"{self.root}/keep.txt", b"anchor")  # the root exists even when every .md is gone
        self.manifests = ManifestStore(ArtifactStore(f"{self.root}-store"))
        self.manifests.record(scan_sources([self.source]))

    def put(self, path: str, text: str) -> None:
        self.fs.pipe(f"{self.root}/{path}", text.encode())
        self.truth[path] = text

    @rule(path=PATHS, text=TEXTS)
    def add(self, path: str, text: str) -> None:
        if path in self.truth:
            return
        self.put(path, text)
        self.expected = {"added": [f"m/{path}"], "changed": [], "removed": [], "moved": []}

    @precondition(lambda self: self.truth)
    @rule(data=st.data(), text=TEXTS)
    def change(self, data: st.DataObject, text: str) -> None:
        path = data.draw(st.sampled_from(sorted(self.truth)))
        changed = self.truth[path] != text
        self.put(path, text)
        self.expected = {"added": [], "changed": [f"m/{path}"] if changed else [], "removed": [], "moved": []}

    @precondition(lambda self: self.truth)
    @rule(data=st.data())
    def remove(self, data: st.DataObject) -> None:
        path = data.draw(st.sampled_from(sorted(self.truth)))
        self.fs.rm(f"{self.root}/{path}")
        del self.truth[path]
        self.expected = {"added": [], "changed": [], "removed": [f"m/{path}"], "moved": []}

    @precondition(lambda self: self.truth)
    @rule(data=st.data(), target_path=PATHS)
    def move(self, data: st.DataObject, target_path: str) -> None:
        path = data.draw(st.sampled_from(sorted(self.truth)))
        if target_path in self.truth:
            return
        self.fs.mv(f"{self.root}/{path}", f"{self.root}/{target_path}")
        self.truth[target_path] = self.truth.pop(path)
        self.expected = {
            "added": [],
            "changed": [],
            "removed": [],
            "moved": [[f"m/{path}", f"m/{target_path}"]],
        }

    @invariant()
    def delta_matches_the_truth(self) -> None:
        assert pending_changes([self.source], self.manifests).delta.to_json() == self.expected
        previous = self.manifests.latest()
        current, written = self.manifests.record(scan_sources([self.source]))
        delta = compute_delta(previous, current)
        assert delta.to_json() == self.expected
        assert written == (not delta.is_empty())
        ids = {f"m/{p}" for p in self.truth} | {"m/keep.txt"}
        assert set(current.documents) == ids
        touched = {*delta.changed, *delta.added, *(new for _, new in delta.moved)}
        assert set(delta.unchanged) == ids - touched
        self.expected = {"added": [], "changed": [], "removed": [], "moved": []}

    def teardown(self) -> None:
        for root in (self.root, f"{self.root}-store"):
            if self.fs.exists(root):
                self.fs.rm(root, recursive=True)


CorpusEvolution.TestCase.settings = settings(
    max_examples=60, stateful_step_count=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestCorpusEvolution = CorpusEvolution.TestCase
