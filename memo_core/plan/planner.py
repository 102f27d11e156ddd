"""Planning an update: what changed since the champion's corpus, and the candidate id everything is keyed by.

Planning reads only manifests; who the champion is and the generator's settings hash are given by the
caller, so this stage needs neither the registry nor a generator.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import socket
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from memo_core.config import MemoConfig
from memo_core.runtime import open_store
from memo_core.sources.manifest import CorpusManifest, ManifestStore, compute_delta
from memo_core.store import candidate_lock_key

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Champion:
    """The version serving now, and the corpus version it was trained on."""

    version: str
    corpus_version: int


@dataclass(frozen=True)
class UpdatePlan:
    """What one update will do: which corpus version, from which parent, and which documents are new to it."""

    corpus_version: int
    mode: str  # "full" | "incremental"
    parent_version: str | None  # registry version the candidate continues from
    parent_corpus_version: int | None
    new_documents: list[str]
    removed_documents: list[str]
    moved_documents: list[tuple[str, str]]
    candidate_id: str

    @property
    def is_empty(self) -> bool:
        return self.mode == "incremental" and not self.new_documents and not self.removed_documents

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def plan_update(
    config: MemoConfig,
    corpus_version: int,
    mode: str | None,
    champion: Champion | None,
    generator_hash: str,
) -> UpdatePlan:
    """Compare the corpus with what the champion was trained on; with no champion, plan a full build."""
    manifests = ManifestStore(open_store(config))
    current = manifests.get(corpus_version)
    mode = mode or config.training.mode
    parent: CorpusManifest | None = None
    parent_version: str | None = None
    if mode == "incremental" and champion is not None:
        # what the champion learnt: a document its update could not read counts as new when it returns
        parent = manifests.without_vanished(manifests.get(champion.corpus_version))
        parent_version = champion.version
    else:
        mode = "full"
    delta = compute_delta(parent, current)
    settings = {
        "corpus": corpus_version,
        "parent": parent_version,
        # How often to log or checkpoint, which launcher or deployment runs the job and what environment it
        # sees do not change the model.
        "training": config.training.model_dump(
            exclude={"log_every", "checkpoint_every", "launcher", "deployment", "pass_env"}
        ),
        "memory": config.memory.model_dump(),
        "generator": generator_hash,
        "seed": config.seed,
    }
    candidate_id = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
    return UpdatePlan(
        corpus_version=corpus_version,
        mode=mode,
        parent_version=parent_version,
        parent_corpus_version=parent.version if parent else None,
        new_documents=sorted(delta.added + delta.changed),
        removed_documents=sorted(delta.removed),
        moved_documents=delta.moved,
        candidate_id=candidate_id,
    )


@contextlib.contextmanager
def candidate_lock(config: MemoConfig, plan: UpdatePlan) -> Iterator[None]:
    """Hold the candidate for one update at a time, from training to registration.

    Two updates of the same plan (a nightly run and one started by hand, or two re-runs after a crash)
    would otherwise both train, evaluate and register it. The second waits here and then finds the first
    one's version. The lock is a file lock in the store, so it holds across the hosts that share it and
    is released by the kernel when its holder dies.
    """
    path = open_store(config).local_path(candidate_lock_key(plan.candidate_id))
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            log.info(
                "candidate %s is held by another update (%s); waiting for it to finish",
                plan.candidate_id,
                lock.read().strip() or "holder unknown",
            )
            fcntl.flock(lock, fcntl.LOCK_EX)
        lock.truncate(0)
        lock.write(f"pid {os.getpid()} on {socket.gethostname()}\n")
        lock.flush()
        yield
