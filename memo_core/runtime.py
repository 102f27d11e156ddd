"""Opening what every stage works against: the artifact store and the MLflow registry, from the config."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from memo_core.config import MemoConfig
from memo_core.store import ArtifactStore

if TYPE_CHECKING:
    from memo_core.registry.registry import MemoRegistry


def open_store(config: MemoConfig) -> ArtifactStore:
    """The artifact store of ``store.root``."""
    return ArtifactStore(config.store.root, config.store.storage_options)


def open_registry(config: MemoConfig) -> MemoRegistry:
    """The registry of ``registry.*``, its requests bounded as configured; models cached in the store."""
    from memo_core.registry.registry import MemoRegistry, bound_requests  # mlflow: only where needed

    bound_requests(config.registry.request_retries, config.registry.request_timeout_s)
    store = open_store(config)
    cache = store.local_path("cache/models") if store.is_local else Path(".memo-cache/models")
    return MemoRegistry(
        config.tracking_uri,
        config.registry.model_name,
        config.registry.experiment,
        cache_dir=cache,
        artifact_root=config.registry.artifact_root or store.path("mlartifacts"),
        ui_url=config.registry.ui_url,
    )
