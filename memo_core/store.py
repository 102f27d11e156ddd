"""The artifact store: one fsspec root holding manifests, reflection sets, checkpoints and reports.

Every write is atomic (a temporary name then a rename, or a single put on object stores), so a reader
never sees half a file, and nothing is overwritten in place: a version becomes visible only when complete.
"""

from __future__ import annotations

import json
import os
import posixpath
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import fsspec
from fsspec.implementations.local import LocalFileSystem


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
            tmp = posixpath.join(posixpath.dirname(target), f".tmp-{uuid.uuid4().hex}")
            with open(tmp, "wb") as fh:
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
        renamed into place in one step, so a crash leaves no half-written version behind.
        """
        target = self.local_path(key)
        if target.exists():
            raise FileExistsError(f"{target} already exists; store versions are never overwritten")
        staging = target.parent / f".tmp-{target.name}-{uuid.uuid4().hex[:8]}"
        staging.mkdir(parents=True)
        try:
            yield staging
            os.replace(staging, target)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
