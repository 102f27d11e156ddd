"""The webhook relay: MLflow's signatures checked; approvals turned into Prefect events, read back from a real
Prefect API (a temporary server); and the whole path for real: a tag set through MlflowClient on an
``mlflow server``, its signed delivery to ``memo webhook-relay``, the event, and the promote deployment's
trigger starting a run."""

from __future__ import annotations

import base64
import json
import os
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import yaml
from click.testing import CliRunner
from fastapi.testclient import TestClient
from mlflow import MlflowClient
from prefect.client.orchestration import get_client
from prefect.events import DeploymentEventTrigger
from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter
from prefect.events.schemas.events import ReceivedEvent
from prefect.settings import PREFECT_API_URL
from prefect.testing.utilities import prefect_test_harness
from prefect_helpers import runs_of
from registry_helpers import register as register_candidate
from servers import Process, free_port

from flows.cli import main
from flows.promote import APPROVED_EVENT, emit_approval, promote, resource_id
from memo_core.config import load_config
from memo_core.registry.webhooks import (
    DELIVERY_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Approval,
    SignatureError,
    create_relay_app,
    sign,
    verify_delivery,
)
from memo_core.runtime import open_registry

SECRET = "relay-test-secret"
MODEL = "memo-relay-test"


def tag_set(version: str, value: str = "approved", key: str = "approval", model: str = MODEL) -> bytes:
    """The body MLflow posts for ``model_version_tag.set``."""
    data = {"name": model, "version": version, "key": key, "value": value}
    payload = {"entity": "model_version_tag", "action": "set", "timestamp": datetime.now(UTC).isoformat()}
    return json.dumps({**payload, "data": data}).encode()


def signed(body: bytes, secret: str = SECRET, sent: float | None = None) -> dict[str, str]:
    delivery_id, timestamp = str(uuid.uuid4()), str(int(time.time() if sent is None else sent))
    return {
        "Content-Type": "application/json",
        DELIVERY_ID_HEADER: delivery_id,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(secret, delivery_id, timestamp, body),
    }


def test_a_delivery_signed_with_the_secret_and_recent_passes() -> None:
    body = tag_set("1")
    verify_delivery(SECRET, httpx.Headers(signed(body)), body)


@pytest.mark.parametrize(
    ("tamper", "error"),
    [
        (
            lambda h, b: (h | {SIGNATURE_HEADER: signed(b, secret="another")[SIGNATURE_HEADER]}, b),
            "bad signature",
        ),
        (lambda h, b: (h, b.replace(b'"1"', b'"2"')), "bad signature"),  # the body changed after signing
        (
            lambda h, b: ({k: v for k, v in h.items() if k != SIGNATURE_HEADER}, b),
            f"missing {SIGNATURE_HEADER}",
        ),
        (
            lambda h, b: ({k: v for k, v in h.items() if k != TIMESTAMP_HEADER}, b),
            f"missing {TIMESTAMP_HEADER}",
        ),
        (lambda h, b: (signed(b, sent=time.time() - 3600), b), "s ago, outside the 300 s allowed"),
        (lambda h, b: (signed(b, sent=time.time() + 3600), b), "s in the future, outside the 300 s allowed"),
        (lambda h, b: (h | {TIMESTAMP_HEADER: "yesterday"}, b), "not a unix timestamp"),
    ],
    ids=["other-secret", "changed-body", "no-signature", "no-timestamp", "stale", "future", "bad-timestamp"],
)
def test_deliveries_not_signed_with_the_secret_or_stale_are_refused(tamper, error: str) -> None:
    body = tag_set("1")
    headers, body = tamper(signed(body), body)
    with pytest.raises(SignatureError, match=error):
        verify_delivery(SECRET, httpx.Headers(headers), body)


@pytest.fixture(scope="module")
def prefect_api() -> Iterator[str]:
    with prefect_test_harness():
        yield str(PREFECT_API_URL.value())


def approval_events(model: str, version: str, wait_s: float = 30.0) -> list[ReceivedEvent]:
    """The approval events stored for one version; the server stores events a few seconds after it gets
    them, so wait up to ``wait_s`` for the first."""
    deadline = time.monotonic() + wait_s
    while True:
        # A fresh filter each time: its default time window ends when it is made.
        wanted = EventFilter(
            event=EventNameFilter(name=[APPROVED_EVENT]),
            resource=EventResourceFilter(id=[resource_id(model, version)]),
        )
        with get_client(sync_client=True) as client:
            events = client.read_events(filter=wanted, limit=50).events
        if events or time.monotonic() > deadline:
            return events
        time.sleep(0.5)


@pytest.mark.slow
def test_the_relay_turns_a_signed_approval_into_a_prefect_event(prefect_api: str) -> None:
    model, version = "memo-relay-unit", "7"
    relay = TestClient(create_relay_app(SECRET, model, emit_approval))
    body = tag_set(version, model=model)

    forged = relay.post("/mlflow/webhook", content=body, headers=signed(body, secret="guessed"))
    assert forged.status_code == 401 and "bad signature" in forged.json()["detail"]
    unsigned = relay.post("/mlflow/webhook", content=body, headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401 and "missing" in unsigned.json()["detail"]
    replayed = relay.post("/mlflow/webhook", content=body, headers=signed(body, sent=time.time() - 900))
    assert replayed.status_code == 401 and "s ago, outside" in replayed.json()["detail"]
    for ignored in (
        tag_set(version, value="pending", model=model),
        tag_set(version, key="note", model=model),
        tag_set(version, model="another-model"),
    ):
        reply = relay.post("/mlflow/webhook", content=ignored, headers=signed(ignored))
        assert reply.status_code == 200 and reply.json()["relayed"] is False
    garbage = b"not json"
    assert relay.post("/mlflow/webhook", content=garbage, headers=signed(garbage)).status_code == 400

    headers = signed(body)
    accepted = relay.post("/mlflow/webhook", content=body, headers=headers)
    assert accepted.status_code == 202, accepted.text
    assert accepted.json() == {"relayed": True, "model": model, "version": version}

    [event] = approval_events(model, version)  # one: the refused and ignored deliveries sent nothing
    assert event.event == APPROVED_EVENT
    assert event.resource.id == f"mlflow.model-version.{model}.{version}"
    assert (event.resource["mlflow.model-name"], event.resource["mlflow.model-version"]) == (model, version)
    assert event.payload["mlflow_delivery_id"] == headers[DELIVERY_ID_HEADER]


def test_the_relay_asks_for_a_retry_when_the_event_cannot_be_sent() -> None:
    async def unreachable(approval: Approval) -> None:
        raise ConnectionError("Prefect API unreachable")

    relay = TestClient(create_relay_app(SECRET, MODEL, unreachable))
    body = tag_set("3")
    reply = relay.post("/mlflow/webhook", content=body, headers=signed(body))
    assert reply.status_code == 503 and "Prefect API unreachable" in reply.json()["detail"]


def test_the_relay_needs_a_secret() -> None:
    with pytest.raises(ValueError, match="needs the webhook's secret"):
        create_relay_app("", MODEL, emit_approval)


# The whole path, for real --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def servers(
    prefect_api: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Process, Process, Path]]:
    """An MLflow tracking server (sqlite) and ``memo webhook-relay`` in front of the temporary Prefect API."""
    root = tmp_path_factory.mktemp("webhooks")
    mlflow_port, relay_port = free_port(), free_port()
    config = root / "memo.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "store": {"root": str(root / "store")},
                "registry": {"model_name": MODEL, "tracking_uri": f"http://127.0.0.1:{mlflow_port}"},
            }
        )
    )
    mlflow_env = {
        **os.environ,
        # The relay listens on loopback over http, which MLflow refuses by default (SSRF protection).
        "MLFLOW_WEBHOOK_ALLOWED_SCHEMES": "http,https",
        "MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS": "true",
        # A Fernet key, so the server can read back the secret it stored.
        "MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
    }
    tracking = Process(
        [
            *(sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(mlflow_port)),
            *("--workers", "1", "--backend-store-uri", f"sqlite:///{root}/mlflow.db"),
            *("--default-artifact-root", str(root / "artifacts")),
        ],
        mlflow_env,
        root / "mlflow-server.log",
        mlflow_port,
        "/health",
    )
    relay_env = {**os.environ, "PREFECT_API_URL": prefect_api, "MEMO_TEST_WEBHOOK_SECRET": SECRET}
    relay = Process(
        [
            *(sys.executable, "-m", "flows.cli", "webhook-relay", "--config", str(config)),
            *("--port", str(relay_port), "--secret-env", "MEMO_TEST_WEBHOOK_SECRET"),
        ],
        relay_env,
        root / "relay.log",
        relay_port,
        "/health",
    )
    try:
        tracking.wait_ready()
        relay.wait_ready()
        yield tracking, relay, config
    finally:
        relay.stop()
        tracking.stop()


@pytest.mark.slow
def test_an_approval_set_on_the_mlflow_server_starts_the_promote_deployment(
    servers: tuple[Process, Process, Path], monkeypatch: pytest.MonkeyPatch, checkpoint: Path
) -> None:
    tracking, relay, config = servers
    deployment = promote.to_deployment(
        name="promote-on-approval",
        triggers=[
            DeploymentEventTrigger(
                expect={APPROVED_EVENT},
                match={"prefect.resource.id": "mlflow.model-version.*"},
                parameters={"config_path": str(config)},
            )
        ],
    )
    deployment.apply()

    monkeypatch.setenv("MEMO_TEST_WEBHOOK_SECRET", SECRET)
    register = ["webhook-register", "--config", str(config), "--secret-env", "MEMO_TEST_WEBHOOK_SECRET"]
    for url in ("http://127.0.0.1:9/old", f"{relay.url}/mlflow/webhook"):  # the second run updates the first
        result = CliRunner().invoke(main, [*register, "--url", url])
        assert result.exit_code == 0, result.output
    client = MlflowClient(tracking_uri=tracking.url, registry_uri=tracking.url)
    [webhook] = client.list_webhooks()
    assert webhook.url == f"{relay.url}/mlflow/webhook"

    registered = register_candidate(open_registry(load_config(config)), checkpoint)
    version = str(registered.version)
    client.set_model_version_tag(MODEL, version, "approval", "approved")  # what the reviewer does in the UI

    [event] = approval_events(MODEL, version, wait_s=60)
    assert event.resource.id == resource_id(MODEL, version)
    runs = runs_of("promote/promote-on-approval", wait_s=30)
    assert [run.parameters for run in runs] == [{"config_path": str(config)}]

    # What that run does: the approved version becomes champion on the MLflow server.
    assert promote(config_path=str(config))["promoted"] == version
    assert str(open_registry(load_config(config)).get("champion").version) == version


def test_webhook_register_explains_what_it_needs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "memo.yaml"
    config.write_text(yaml.safe_dump({"store": {"root": str(tmp_path / "store")}}))
    monkeypatch.setenv("MEMO_TEST_WEBHOOK_SECRET", SECRET)
    args = ["webhook-register", "--config", str(config), "--url", "https://relay.example/mlflow/webhook"]
    on_sqlite = CliRunner().invoke(main, [*args, "--secret-env", "MEMO_TEST_WEBHOOK_SECRET"])
    assert on_sqlite.exit_code == 1 and "webhooks are sent by an MLflow tracking server" in on_sqlite.output

    config.write_text(yaml.safe_dump({"registry": {"tracking_uri": "http://127.0.0.1:9"}}))
    no_secret = CliRunner().invoke(main, [*args, "--secret-env", "MEMO_TEST_UNSET_SECRET"])
    assert no_secret.exit_code == 1 and "$MEMO_TEST_UNSET_SECRET is not set" in no_secret.output
