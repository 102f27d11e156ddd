"""MLflow registry webhooks in, approvals out: the relay between a reviewer's tag and the promotion flow.

An MLflow tracking server posts every ``model_version_tag.set`` to the relay, signed the Standard Webhooks
way: HMAC-SHA256 with the webhook's secret over ``<delivery id>.<timestamp>.<body>``, sent as
``X-MLflow-Signature: v1,<base64>`` beside ``X-MLflow-Delivery-Id`` and ``X-MLflow-Timestamp`` (unix
seconds). The relay accepts only deliveries signed with the secret and recent enough that a captured one
cannot be replayed later, and hands approvals of the configured model to a callback; the orchestration layer
turns that into a Prefect event. Nothing here imports Prefect.

No ``from __future__ import annotations`` here: FastAPI reads the route functions' annotations at runtime.
"""

import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from mlflow import MlflowClient
from mlflow.entities.webhook import Webhook
from mlflow.webhooks.constants import WEBHOOK_DELIVERY_ID_HEADER as DELIVERY_ID_HEADER
from mlflow.webhooks.constants import WEBHOOK_SIGNATURE_HEADER as SIGNATURE_HEADER
from mlflow.webhooks.constants import WEBHOOK_TIMESTAMP_HEADER as TIMESTAMP_HEADER

log = logging.getLogger(__name__)


TAG_SET_EVENT: Final = "model_version_tag.set"
WEBHOOK_NAME = "memo-approvals"
# The Standard Webhooks tolerance: wide enough for MLflow's retries with backoff, too short to replay.
MAX_AGE_S = 300.0
MAX_BODY_BYTES = 65_536


class SignatureError(ValueError):
    """A delivery that did not come from the MLflow webhook holding our secret, or came too late."""


def sign(secret: str, delivery_id: str, timestamp: str, body: bytes) -> str:
    """The ``X-MLflow-Signature`` value MLflow sends for this delivery."""
    content = f"{delivery_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret.encode("utf-8"), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def verify_delivery(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    now: float | None = None,
    max_age_s: float = MAX_AGE_S,
) -> None:
    """Raise ``SignatureError`` unless the delivery is signed with ``secret`` and at most ``max_age_s`` old.

    ``headers`` must look names up without regard to case (Starlette's and httpx's headers do).
    """
    delivery_id = headers.get(DELIVERY_ID_HEADER, "")
    timestamp = headers.get(TIMESTAMP_HEADER, "")
    signature = headers.get(SIGNATURE_HEADER, "")
    given = ((SIGNATURE_HEADER, signature), (TIMESTAMP_HEADER, timestamp), (DELIVERY_ID_HEADER, delivery_id))
    missing = [name for name, value in given if not value]
    if missing:
        raise SignatureError(
            f"unsigned delivery: missing {', '.join(missing)}; create the MLflow webhook with a secret "
            "(memo webhook-register)"
        )
    try:
        sent = float(timestamp)
    except ValueError:
        raise SignatureError(f"{TIMESTAMP_HEADER} is not a unix timestamp: {timestamp!r}") from None
    age = (time.time() if now is None else now) - sent
    if abs(age) > max_age_s:
        when = f"{age:.0f} s ago" if age > 0 else f"{-age:.0f} s in the future"
        raise SignatureError(
            f"delivery was signed {when}, outside the {max_age_s:.0f} s allowed: a replayed delivery, or the "
            "clocks of the MLflow server and the relay disagree"
        )
    expected = sign(secret, delivery_id, timestamp, body)
    # MLflow sends one signature; Standard Webhooks allows several, space-separated, during key rotation.
    if not any(hmac.compare_digest(expected, given) for given in signature.split()):
        raise SignatureError("bad signature: the delivery was not signed with this relay's secret")


@dataclass(frozen=True)
class Approval:
    """A reviewer set ``approval=approved`` on a model version."""

    model_name: str
    version: str
    delivery_id: str


def approval_in(payload: Mapping[str, Any], delivery_id: str) -> Approval | None:
    """The approval a webhook payload announces, or None for any other registry event."""
    if f"{payload.get('entity')}.{payload.get('action')}" != TAG_SET_EVENT:
        return None
    data = payload.get("data") or {}
    if data.get("key") != "approval" or data.get("value") != "approved":
        return None
    return Approval(str(data["name"]), str(data["version"]), delivery_id)


def create_relay_app(
    secret: str,
    model_name: str,
    on_approval: Callable[[Approval], Awaitable[None]],
    max_age_s: float = MAX_AGE_S,
) -> Any:
    """The ASGI app (``memo webhook-relay``): ``POST /mlflow/webhook`` and ``GET /health``.

    Replies: 401 for an unsigned, badly signed or stale delivery; 400 for a body that is not a webhook
    payload; 200 for events it ignores; 202 once ``on_approval`` has returned; 503 when it raised, so
    MLflow delivers again.
    """
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

    if not secret:
        raise ValueError("the relay needs the webhook's secret to check signatures; it is empty")
    app = FastAPI(title="memo webhook relay", version="1")

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "model": model_name}

    @app.post("/mlflow/webhook")
    async def receive(request: Request) -> JSONResponse:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            return JSONResponse({"detail": f"body over {MAX_BODY_BYTES} bytes"}, status_code=413)
        body = await request.body()
        try:
            verify_delivery(secret, request.headers, body, max_age_s=max_age_s)
        except SignatureError as exc:
            log.warning("refused a webhook delivery from %s: %s", request.client, exc)
            return JSONResponse({"detail": str(exc)}, status_code=401)
        try:
            payload = json.loads(body)
            approval = approval_in(payload, request.headers[DELIVERY_ID_HEADER])
        except (ValueError, KeyError, TypeError, AttributeError):
            return JSONResponse({"detail": "not an MLflow webhook payload"}, status_code=400)
        if approval is None:
            return JSONResponse({"relayed": False, "reason": "not an approval"})
        if approval.model_name != model_name:
            reason = f"model {approval.model_name!r} is not {model_name!r}"
            return JSONResponse({"relayed": False, "reason": reason})
        try:
            await on_approval(approval)
        except Exception as exc:
            log.exception("could not relay the approval of version %s", approval.version)
            return JSONResponse({"detail": f"could not relay the approval: {exc}"}, status_code=503)
        log.info("relayed the approval of %s version %s", approval.model_name, approval.version)
        return JSONResponse(
            {"relayed": True, "model": approval.model_name, "version": approval.version}, status_code=202
        )

    return app


def register_webhook(client: MlflowClient, url: str, secret: str, name: str = WEBHOOK_NAME) -> Webhook:
    """Create the MLflow webhook that posts tag changes to the relay at ``url``, or update the one named
    ``name``: running it again (a new URL, a rotated secret) never leaves two."""
    for webhook in client.list_webhooks(max_results=1000):
        if webhook.name == name:
            return client.update_webhook(
                webhook.webhook_id, url=url, events=[TAG_SET_EVENT], secret=secret, status="ACTIVE"
            )
    return client.create_webhook(
        name=name,
        url=url,
        events=[TAG_SET_EVENT],
        secret=secret,
        description="model-version tag changes to the memo relay, which starts promotion on approval",
    )
