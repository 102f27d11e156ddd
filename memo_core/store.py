"""The artifact store: one fsspec root holding manifests, reflection sets, checkpoints and reports.

Every write is atomic (a temporary name then a rename, or a single put on object stores), so a reader
never sees half a file, and nothing is overwritten in place: a version becomes visible only when complete.
On local disk each temporary name is flock-ed by its writer while in use, so what a killed writer left
behind can be told apart and is removed by a later writer in that folder.
"""

from __future__ import annotations

import fcntl
import json
import os
import posixpath
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import fsspec
from fsspec.implementations.local import LocalFileSystem
from pydantic import BaseModel, ConfigDict, Field


class StoreConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    root: str = Field(
        ".memo", description="fsspec URL of the artifact store (manifests, reflections, checkpoints)"
    )
    storage_options: dict[str, Any] = Field(default_factory=dict)


def reflection_set_key(corpus_version: int) -> str:
    return f"reflections/v{corpus_version:04d}.parquet"


def conflicts_key(corpus_version: int) -> str:
    return f"reflections/v{corpus_version:04d}.conflicts.json"


def checkpoint_key(candidate_id: str) -> str:
    return f"checkpoints/{candidate_id}"


def training_work_key(candidate_id: str) -> str:
    """Where a candidate's training job keeps its spec, examples, starting model and resumable checkpoints:
    beside the candidate's checkpoint, removed once that is complete."""
    return f"{checkpoint_key(candidate_id)}.training"


def candidate_lock_key(candidate_id: str) -> str:
    return f"locks/candidate-{candidate_id}.lock"


def scores_plot_key(report: str) -> str:
    """The plot of scores across versions, stored beside the report it was drawn with."""
    return report.removesuffix(".json") + ".png"


# A temporary name this old and not locked was left by a writer that died (a live writer locks it right
# after creating it, so the age only covers that instant).
STALE_AFTER_S = 60.0
_WRITE_TMP = re.compile(r"\.tmp-[0-9a-f]{32}")
_swept: set[str] = set()  # folders whose leftovers this process already removed (write_bytes does it once)


class ArtifactStore:
    """A directory tree addressed by relative keys (``manifests/v0001.json``) under one fsspec URL."""

    def __init__(self, root: str, storage_options: dict[str, Any] | None = None) -> None:
        self.fs, path = fsspec.core.url_to_fs(root, **(storage_options or {}))
        self.is_local = isinstance(self.fs, LocalFileSystem)
        self.root = os.path.abspath(path) if self.is_local else path.rstrip("/")
        self.url = self.root if self.is_local else f"{self.fs.protocol[0]}://{self.root}"

    def path(self, key: str) -> str:
        """The store's own path for ``key`` (a local path on disk, a bucket path on S3)."""
        return posixpath.join(self.root, key)

    def uri(self, key: str) -> str:
        """The address of ``key`` outside the store (``s3://bucket/...`` on S3), for reports and tags."""
        return posixpath.join(self.url, key)

    def local_path(self, key: str) -> Path:
        """A local path for ``key``; only for stores on local disk (torch reads checkpoints from disk)."""
        if not self.is_local:
            raise ValueError(f"{self.url} is not on local disk; copy {key!r} to a local cache first")
        return Path(self.path(key))

    def exists(self, key: str) -> bool:
        return bool(self.fs.exists(self.path(key)))

    def list(self, prefix: str) -> list[str]:
        """Keys directly under ``prefix``, sorted; an absent prefix lists nothing."""
        base = self.path(prefix)
        if not self.fs.exists(base):
            return []
        names = [posixpath.basename(p.rstrip("/")) for p in self.fs.ls(base, detail=False)]
        return sorted(posixpath.join(prefix, n) for n in names if not n.startswith(".tmp-"))

    def write_bytes(self, key: str, data: bytes) -> str:
        """Write ``data`` at ``key`` atomically and return the full path."""
        target = self.path(key)
        self.fs.makedirs(posixpath.dirname(target), exist_ok=True)
        if self.is_local:
            folder = posixpath.dirname(target)
            if folder not in _swept:
                _remove_stale(Path(folder), _WRITE_TMP)
                _swept.add(folder)
            tmp = posixpath.join(folder, f".tmp-{uuid.uuid4().hex}")
            with open(tmp, "wb") as fh:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        else:
            self.fs.pipe_file(target, data)  # one PUT: the object appears whole or not at all
        return target

    def read_bytes(self, key: str) -> bytes:
        data: bytes = self.fs.cat_file(self.path(key))
        return data

    def write_json(self, key: str, obj: Any) -> str:
        return self.write_bytes(key, json.dumps(obj, indent=2, sort_keys=True, default=str).encode())

    def read_json(self, key: str) -> Any:
        return json.loads(self.read_bytes(key))

    def write_text(self, key: str, text: str) -> str:
        return self.write_bytes(key, text.encode())

    def read_text(self, key: str) -> str:
        return self.read_bytes(key).decode()

    @contextmanager
    def staged_dir(self, key: str) -> Iterator[Path]:
        """A local directory that appears at ``key`` only when the block finishes without error.

        Used for multi-file artifacts (model checkpoints): they are written to a hidden staging folder and
        renamed into place in one step, so a crash leaves no half-written version behind. The folder is
        flock-ed while in use: staging folders of the same key that no live writer holds (a killed run's)
        are removed first, and a concurrent writer's is left alone.
        """
        target = self.local_path(key)
        if target.exists():
            raise FileExistsError(f"{target} already exists; store versions are never overwritten")
        _remove_stale(target.parent, re.compile(rf"\.tmp-{re.escape(target.name)}-[0-9a-f]{{8}}"))
        staging = target.parent / f".tmp-{target.name}-{uuid.uuid4().hex[:8]}"
        staging.mkdir(parents=True)
        lock = os.open(staging, os.O_RDONLY)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield staging
            os.replace(staging, target)
        finally:
            os.close(lock)
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)


def _remove_stale(folder: Path, name: re.Pattern[str]) -> None:
    """Remove the temporary files and folders in ``folder`` whose whole name matches ``name`` and that no
    live writer holds: a killed writer skips its own cleanup, and nothing else would ever remove them
    (they are hidden from ``ArtifactStore.list``)."""
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return
    for entry in entries:
        if not name.fullmatch(entry.name):
            continue
        try:
            if time.time() - entry.stat(follow_symlinks=False).st_mtime < STALE_AFTER_S:
                continue
            fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue  # its writer finished (or another sweep removed it) meanwhile, or it is not ours
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue  # a live writer holds it (or it cannot be told): leave it
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                Path(entry.path).unlink(missing_ok=True)
        finally:
            os.close(fd)
