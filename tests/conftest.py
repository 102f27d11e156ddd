"""Shared test set-up: never reach a model hub, keep Prefect and MLflow quiet and local; an S3 server."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from s3_server import start_server

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    """A real S3 API on 127.0.0.1 (moto), its URL; one server per test module."""
    server = start_server()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
