"""Flow ``promote``: make the newest approved model version ``champion``; the approval event that starts it.

Approval lives in MLflow (the tag ``approval=approved``, set in the UI or by ``memo approve``). The
``memo webhook-relay`` turns each approval MLflow posts into the Prefect event ``memo.model-version.approved``
on the resource ``mlflow.model-version.<model name>.<version>``; a deployment trigger on that event runs
this flow at once, and a schedule (every 5 minutes) runs it too, so an approval made while the relay was
down is promoted all the same. The rules (which version, what blocks it) are memo_core.registry.registry's.
"""

from __future__ import annotations

import uuid
from typing import Any

from prefect import flow, get_run_logger
from prefect.events.clients import get_events_client
from prefect.events.schemas.events import Event

from flows import load_run_config
from memo_core.registry.webhooks import Approval
from memo_core.runtime import open_registry

APPROVED_EVENT = "memo.model-version.approved"


def resource_id(model_name: str, version: str) -> str:
    return f"mlflow.model-version.{model_name}.{version}"


def approval_event(approval: Approval) -> Event:
    """The Prefect event for an approval; its id follows from MLflow's delivery id, so a delivery MLflow
    retries is the same event."""
    return Event(
        event=APPROVED_EVENT,
        resource={
            "prefect.resource.id": resource_id(approval.model_name, approval.version),
            "prefect.resource.name": f"{approval.model_name} version {approval.version}",
            "mlflow.model-name": approval.model_name,
            "mlflow.model-version": approval.version,
        },
        payload={"tag": "approval", "value": "approved", "mlflow_delivery_id": approval.delivery_id},
        id=uuid.uuid5(uuid.NAMESPACE_URL, f"mlflow-webhook-delivery:{approval.delivery_id}"),
    )


async def emit_approval(approval: Approval) -> None:
    """Send the approval event and wait until the Prefect server has it (checkpoint after every event): the
    relay answers MLflow only then, so a delivery is retried rather than lost."""
    async with get_events_client(checkpoint_every=1) as events:
        await events.emit(approval_event(approval))


@flow(name="promote")
def promote(config_path: str = "memo.yaml", version: str | None = None) -> dict[str, Any]:
    """Make the newest approved version that waits ``champion`` (the old champion becomes ``previous``).

    Args:
        config_path: memo.yaml, relative to the worker's checkout.
        version: promote exactly this version (a number or alias) instead; the run fails, with the reason,
            when it is not approved, was rejected, or failed its gate without a recorded gate_override.
    """
    logger = get_run_logger()
    registry = open_registry(load_run_config(config_path))
    result = registry.promote(version) if version else registry.promote_approved()
    for refusal in result.refused:
        logger.warning("not promoted: %s", refusal.reason)
    if result.superseded:
        logger.info(
            "approved but older than the champion, left as they are (name one to promote it): %s",
            ", ".join(result.superseded),
        )
    if result.promoted:
        logger.info(
            "version %s is champion (approved by %s); previous: %s",
            result.promoted,
            result.approved_by,
            result.previous or "none",
        )
    else:
        logger.info("nothing to promote; champion: %s", result.champion or "none")
    return result.to_json()
