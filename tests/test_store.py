"""The artifact store's staging: what a killed writer leaves behind is removed, a live writer's is not."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from memo_core.store import STALE_AFTER_S, ArtifactStore

KILLED_WRITER = """
import os, signal, sys
from memo_core.store import ArtifactStore
store = ArtifactStore(sys.argv[1])
with store.staged_dir("checkpoints/cand") as out:
    (out / "model.safetensors").write_bytes(b"half")
    os.kill(os.getpid(), signal.SIGKILL)
"""


def age(path: Path) -> None:
    """Make ``path`` look older than a live writer's staging could be without its lock."""
    old = time.time() - STALE_AFTER_S - 5
    os.utime(path, (old, old))


def test_a_killed_writers_staging_folder_is_removed_by_the_next_writer_of_that_key(tmp_path: Path) -> None:
    store = ArtifactStore(str(tmp_path))
    killed = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(tmp_path)], check=False)
    assert killed.returncode == -9
    [left] = (tmp_path / "checkpoints").glob(".tmp-cand-*")
    age(left)
    recent = tmp_path / "checkpoints" / ".tmp-cand-0123abcd"  # just created by a writer about to lock it
    recent.mkdir()
    other = tmp_path / "checkpoints" / ".tmp-other-89abcdef"  # another key's: not this writer's business
    other.mkdir()
    age(other)

    with store.staged_dir("checkpoints/cand") as out:
        (out / "model.safetensors").write_bytes(b"whole")
        assert not left.exists()

    assert (tmp_path / "checkpoints/cand/model.safetensors").read_bytes() == b"whole"
    assert recent.exists() and other.exists()


def test_a_concurrent_writers_staging_folder_is_left_alone(tmp_path: Path) -> None:
    store = ArtifactStore(str(tmp_path))
    with store.staged_dir("checkpoints/cand") as first:
        (first / "weights").write_bytes(b"first")
        age(first)  # a long job: its folder has not changed for a while, but it still holds the lock
        with pytest.raises(RuntimeError), store.staged_dir("checkpoints/cand") as second:
            assert first.exists() and second != first
            raise RuntimeError("the second writer gives up")
        assert first.exists() and not second.exists()
    assert (tmp_path / "checkpoints/cand/weights").read_bytes() == b"first"


def test_a_killed_writes_temporary_file_is_removed_by_the_next_write_in_its_folder(tmp_path: Path) -> None:
    store = ArtifactStore(str(tmp_path))
    folder = tmp_path / "reports"
    folder.mkdir()
    stale = folder / f".tmp-{uuid.uuid4().hex}"
    stale.write_bytes(b"half a report")
    age(stale)
    held = folder / f".tmp-{uuid.uuid4().hex}"  # an old write still in progress
    held.write_bytes(b"")
    age(held)
    copying = folder / ".tmp-0123456789abcdef"  # someone else's staging name (a base-model copy)
    copying.mkdir()
    age(copying)

    with open(held, "rb") as writer:
        fcntl.flock(writer.fileno(), fcntl.LOCK_EX)
        store.write_json("reports/a.json", {"ok": True})

    assert sorted(p.name for p in folder.iterdir()) == sorted(["a.json", held.name, copying.name])
    assert store.list("reports") == ["reports/a.json"]
