"""prefect.yaml: every deployment loads its flow, names it right, and passes parameters the flow accepts."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest
import yaml
from prefect import Flow
from prefect.events.schemas.deployment_triggers import DeploymentEventTrigger
from prefect.events.schemas.events import Event, ResourceSpecification
from prefect.flows import load_flow_from_entrypoint
from prefect.server.utilities.user_templates import render_user_template_sync

from flows.watch_sources import DEFAULT_DEPLOYMENT

ROOT = Path(__file__).resolve().parents[1]
PROJECT = yaml.safe_load((ROOT / "prefect.yaml").read_text())
DEPLOYMENTS = {d["name"]: d for d in PROJECT["deployments"]}
# deployment -> the flow it runs; "<flow>/<deployment>" is how the code and memo.yaml name them
FLOWS = {
    "knowledge-update-nightly": "knowledge-update",
    "knowledge-update": "knowledge-update",
    "watch-sources": "watch-sources",
    "fine-tune": "fine-tune",
    "promote": "promote",
}


def load(name: str) -> Flow[..., Any]:
    entrypoint = DEPLOYMENTS[name]["entrypoint"]
    assert (ROOT / entrypoint.split(":")[0]).is_file(), entrypoint
    return load_flow_from_entrypoint(str(ROOT / entrypoint))


def test_the_deployments_are_the_ones_the_code_and_docs_name() -> None:
    assert set(DEPLOYMENTS) == set(FLOWS)
    full_names = {f"{flow}/{name}" for name, flow in FLOWS.items()}
    assert DEFAULT_DEPLOYMENT in full_names  # what watch-sources starts by default
    assert DEPLOYMENTS["watch-sources"]["parameters"]["deployment"] in full_names
    pools = {name: d["work_pool"]["name"] for name, d in DEPLOYMENTS.items()}
    assert pools.pop("fine-tune") == "memo-gpu"
    assert set(pools.values()) == {"memo-default"}


@pytest.mark.parametrize("name", sorted(FLOWS))
def test_each_deployment_runs_its_flow_with_parameters_it_accepts(name: str) -> None:
    deployment = DEPLOYMENTS[name]
    flow = load(name)
    assert flow.name == FLOWS[name]
    parameters = deployment.get("parameters", {})
    assert set(parameters) <= set(inspect.signature(flow.fn).parameters)
    if deployment.get("schedules"):  # a scheduled run gets exactly these: they must be complete and valid
        flow.validate_parameters(parameters)
    for schedule in deployment.get("schedules", []):
        assert schedule.keys() & {"cron", "interval"}
        if "cron" in schedule:
            assert schedule.get("timezone"), "a cron without a timezone runs at UTC"


def test_deployments_started_by_people_or_code_validate_their_parameters() -> None:
    for name in ("knowledge-update", "fine-tune", "promote"):
        assert DEPLOYMENTS[name]["enforce_parameter_schema"] is True


def test_an_approval_event_of_the_model_runs_promote() -> None:
    deployment = DEPLOYMENTS["promote"]
    [trigger] = [DeploymentEventTrigger.model_validate(t) for t in deployment["triggers"]]
    assert trigger.expect == {"memo.model-version.approved"}
    event = Event(
        event="memo.model-version.approved",
        resource={"prefect.resource.id": "mlflow.model-version.memo-memory.12"},
    )
    assert isinstance(trigger.match, ResourceSpecification)
    assert trigger.match.includes([event.resource])
    other_model = Event(event=event.event, resource={"prefect.resource.id": "mlflow.model-version.other.3"})
    assert not trigger.match.includes([other_model.resource])
    assert trigger.parameters is not None
    rendered = {k: render_user_template_sync(v, {"event": event}) for k, v in trigger.parameters.items()}
    assert rendered == {"config_path": "memo.yaml"}  # the newest approved version wins, whichever event
    parameters = {**deployment["parameters"], **rendered}
    assert load("promote").validate_parameters(parameters) == {"config_path": "memo.yaml", "version": None}
    assert deployment["concurrency_limit"] == 1
    # and every 5 minutes, for registries that send no webhooks
    assert deployment["schedules"] == [{"interval": 300}]


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_the_run_form_describes_every_parameter(name: str) -> None:
    schema = load(name).parameters.model_dump()["properties"]
    assert all(field.get("description") for field in schema.values()), schema


def test_the_update_mode_is_a_choice_in_the_run_form() -> None:
    mode = load("knowledge-update").parameters.model_dump()["properties"]["mode"]
    assert mode["enum"] == ["as configured", "incremental", "full"] and mode["default"] == "as configured"
