"""Shared test set-up: never reach a model hub, keep Prefect and MLflow quiet and local; an S3 server; a
tiny untrained checkpoint to register."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from s3_server import start_server

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
# as flows/__init__.py sets it for the `memo` command: memo's lines outside a flow run stay local, unwarned
os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    """A real S3 API on 127.0.0.1 (moto), its URL; one server per test module."""
    server = start_server()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny untrained memory model and its tokenizer, saved as a checkpoint folder: what the registry
    tests register (they never look at its answers)."""
    # imported here: torch and transformers load only for the tests that use the checkpoint
    from memo_core.memory.config import OfflineModelSpec
    from memo_core.memory.model import build_offline_model, train_tokenizer

    spec = OfflineModelSpec(layers=1, hidden=32, heads=2, intermediate=64, vocab_size=300, max_positions=32)
    path = tmp_path_factory.mktemp("ckpt")
    tokenizer = train_tokenizer(["Who founded Verdant Lamp Works? Ilse Marren"] * 5, spec.vocab_size)
    build_offline_model(tokenizer, spec, seed=0).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
