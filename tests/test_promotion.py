"""Approval, rejection, promotion and rollback: the promote flow on a real Prefect API (a temporary server),
the ``memo`` commands through click, both against a real MLflow registry (sqlite). Tags a reviewer would
set in the MLflow UI are set with MlflowClient, as the UI does."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from prefect.testing.utilities import prefect_test_harness
from registry_helpers import register as register_version

from flows.cli import main
from flows.promote import promote
from memo_core.config import load_config
from memo_core.registry.registry import MemoRegistry
from memo_core.runtime import open_registry

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def prefect_api() -> Iterator[None]:
    with prefect_test_harness():
        yield


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("promotion")


@pytest.fixture
def config_path(store: Path) -> str:
    """A model of its own per test, in one MLflow store shared by the module (created once)."""
    name = f"memo-{uuid.uuid4().hex[:8]}"
    path = store / f"{name}.yaml"
    path.write_text(
        yaml.safe_dump({"store": {"root": str(store / "store")}, "registry": {"model_name": name}})
    )
    return str(path)


@pytest.fixture
def registry(config_path: str) -> MemoRegistry:
    return open_registry(load_config(config_path))


def register(registry: MemoRegistry, checkpoint: Path, gate: str = "passed") -> str:
    failures = ["retention dropped 0.17 > 0.10"] if gate == "failed" else []
    return str(register_version(registry, checkpoint, gate_failures=failures).version)


def set_in_ui(registry: MemoRegistry, version: str, **tags: str) -> None:
    for key, value in tags.items():
        registry.client.set_model_version_tag(registry.model_name, version, key, value)


def memo(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_promote_flow_promotes_the_newest_approved_version_and_moves_previous(
    prefect_api: None, config_path: str, registry: MemoRegistry, checkpoint: Path
) -> None:
    first = register(registry, checkpoint)
    registry.approve(first, reviewer="ana")
    second, third = register(registry, checkpoint), register(registry, checkpoint)
    set_in_ui(registry, second, approval="approved")
    set_in_ui(registry, third, approval="approved", approved_by="ben")

    result = promote(config_path=config_path)

    assert (result["promoted"], result["champion"], result["previous"]) == (third, third, first)
    assert result["approved_by"] == "ben" and result["superseded"] == [second] and result["refused"] == []
    assert str(registry.get("champion").version) == third
    assert str(registry.get("previous").version) == first
    tags = registry.get(third).tags
    assert tags["promoted_over"] == first and tags["approved_by"] == "ben"
    datetime.fromisoformat(tags["promoted_at"])
    # The older approval was overtaken: it is never promoted automatically, now or after a rollback.
    assert registry.get(second).tags["superseded_by"] == third
    again = promote(config_path=config_path)
    assert (again["promoted"], again["champion"]) == (None, third)
    code, output = memo("status", "--config", config_path)
    assert code == 0 and f"[superseded by {third}]" in output.splitlines()[int(second)], output


def test_promote_flow_refuses_a_rejected_version_even_when_approved_later(
    prefect_api: None, config_path: str, registry: MemoRegistry, checkpoint: Path
) -> None:
    version = register(registry, checkpoint)
    code, output = memo(
        "reject",
        version,
        "--reason",
        "answers from the old price list",
        "--reviewer",
        "cy",
        "--config",
        config_path,
    )
    assert code == 0, output
    set_in_ui(registry, version, approval="approved")  # someone approves it in the UI afterwards

    result = promote(config_path=config_path)

    assert result["promoted"] is None and registry.find("champion") is None
    [refused] = result["refused"]
    assert refused["version"] == version
    assert "rejected by cy" in refused["reason"] and "old price list" in refused["reason"]
    tags = registry.get(version).tags
    assert tags["approval"] == "rejected" and "can never be promoted" in tags["promotion_refused"]

    state = promote(config_path=config_path, version=version, return_state=True)
    assert state.is_failed() and "rejected by cy" in str(state.message)
    code, output = memo("approve", version, "--config", config_path)
    assert code == 1 and "stays rejected" in output
    assert registry.find("champion") is None


def test_promote_flow_leaves_unapproved_versions_alone(
    prefect_api: None, config_path: str, registry: MemoRegistry, checkpoint: Path
) -> None:
    version = register(registry, checkpoint)
    result = promote(config_path=config_path)
    assert (result["promoted"], result["champion"], result["refused"]) == (None, None, [])

    state = promote(config_path=config_path, version=version, return_state=True)
    assert state.is_failed() and "is not approved (approval=pending)" in str(state.message)
    assert registry.find("champion") is None and registry.get(version).tags["approval"] == "pending"


def test_a_failed_gate_is_promoted_only_with_a_recorded_override(
    prefect_api: None, config_path: str, registry: MemoRegistry, checkpoint: Path
) -> None:
    version = register(registry, checkpoint, gate="failed")
    set_in_ui(registry, version, approval="approved")

    refused = promote(config_path=config_path)
    assert refused["promoted"] is None and registry.find("champion") is None
    assert "failed its gate (retention dropped 0.17 > 0.10)" in refused["refused"][0]["reason"]
    assert "gate_override" in registry.get(version).tags["promotion_refused"]

    set_in_ui(registry, version, gate_override="ana")
    code, output = memo("promote", "--config", config_path)  # the CLI runs the same flow
    assert code == 0, output
    assert f"Version {version} is now champion" in output
    tags = registry.get(version).tags
    assert "champion" in registry.get(version).aliases and "promotion_refused" not in tags


def test_rollback_returns_champion_to_previous_and_keeps_the_history(
    prefect_api: None, config_path: str, registry: MemoRegistry, checkpoint: Path
) -> None:
    first, second, third = (register(registry, checkpoint) for _ in range(3))
    for version in (first, second, third):
        registry.approve(version, reviewer="ana")
    assert str(registry.get("previous").version) == second

    code, output = memo("rollback", "--reason", "worse answers", "--reviewer", "dee", "--config", config_path)
    assert code == 0, output
    assert f"Version {second} of {registry.model_name} is champion again" in output
    assert str(registry.get("champion").version) == second
    assert str(registry.get("previous").version) == first  # the champion that `second` replaced
    tags = registry.get(third).tags
    assert (tags["rolled_back_by"], tags["rolled_back_to"], tags["rollback_reason"]) == (
        "dee",
        second,
        "worse answers",
    )
    datetime.fromisoformat(tags["rolled_back_at"])
    # Approved and newer than the champion, yet rolled back: promotion leaves it alone.
    assert promote(config_path=config_path)["promoted"] is None

    code, output = memo("rollback", "--config", config_path)
    assert code == 0, output
    assert str(registry.get("champion").version) == first and registry.find("previous") is None
    code, output = memo("rollback", "--config", config_path)
    assert code == 1 and "nothing to roll back to" in output
    assert str(registry.get("champion").version) == first


def test_reject_records_reviewer_time_and_reason_and_spares_the_champion(
    config_path: str, registry: MemoRegistry, checkpoint: Path
) -> None:
    champion = register(registry, checkpoint)
    registry.approve(champion, reviewer="ana")
    code, output = memo("reject", champion, "--config", config_path)
    assert code == 1 and "is the champion; roll it back first" in output

    candidate = register(registry, checkpoint)
    code, output = memo(
        "reject", "candidate", "--reason", "too narrow", "--reviewer", "cy", "--config", config_path
    )
    assert code == 0 and f"Version {candidate} of {registry.model_name} is rejected" in output
    tags = registry.get(candidate).tags
    assert (tags["approval"], tags["rejected_by"], tags["rejection_reason"]) == (
        "rejected",
        "cy",
        "too narrow",
    )
    datetime.fromisoformat(tags["rejected_at"])

    code, output = memo("reject", candidate, "--config", config_path)
    assert code == 1 and "stays rejected" in output
    code, output = memo("reject", "99", "--config", config_path)
    assert code == 1 and "no version '99'" in output


def test_rollback_never_restores_a_rejected_version(
    config_path: str, registry: MemoRegistry, checkpoint: Path
) -> None:
    first, second = register(registry, checkpoint), register(registry, checkpoint)
    registry.approve(first, reviewer="ana")
    registry.approve(second, reviewer="ana")
    code, output = memo("reject", first, "--reason", "leaks drafts", "--config", config_path)
    assert code == 0, output
    code, output = memo("rollback", "--config", config_path)
    assert code == 1 and f"cannot roll back to version {first}" in output and "leaks drafts" in output
    assert str(registry.get("champion").version) == second


def test_deleting_the_rejection_tag_does_not_unreject_a_version(
    prefect_api: None, config_path: str, registry: MemoRegistry, checkpoint: Path
) -> None:
    version = register(registry, checkpoint, gate="failed")
    code, output = memo(
        "reject", version, "--reason", "wrong prices", "--reviewer", "cy", "--config", config_path
    )
    assert code == 0, output
    # In the UI: the rejection tags deleted, the gate overridden and the version approved.
    for key in ("rejected_at", "rejected_by", "rejection_reason"):
        registry.client.delete_model_version_tag(registry.model_name, version, key)
    set_in_ui(registry, version, approval="approved", gate_override="mallory")

    result = promote(config_path=config_path)

    assert result["promoted"] is None and registry.find("champion") is None
    [refused] = result["refused"]
    assert "rejected by cy" in refused["reason"] and "wrong prices" in refused["reason"]
    assert "rejected_at was removed" in refused["reason"]
    tags = registry.get(version).tags
    assert tags["approval"] == "rejected" and "the tag is ignored" in tags["tag_conflict"]
    code, output = memo("approve", version, "--override-gate", "--config", config_path)
    assert code == 1 and "stays rejected" in output


def test_a_gate_tag_edited_to_passed_is_reported_and_ignored(
    prefect_api: None, config_path: str, registry: MemoRegistry, checkpoint: Path
) -> None:
    version = register(registry, checkpoint, gate="failed")
    set_in_ui(registry, version, gate="passed", gate_failures="", approval="approved")

    result = promote(config_path=config_path)

    assert result["promoted"] is None and registry.find("champion") is None
    [refused] = result["refused"]
    assert "failed its gate (retention dropped 0.17 > 0.10)" in refused["reason"]
    assert "tag gate=passed but the recorded gate verdict is failed" in refused["reason"]
    code, output = memo("status", "--config", config_path, "--json")
    assert code == 0, output
    [row] = [r for r in json.loads(output) if str(r["version"]) == version]
    assert row["gate"] == "failed"
    assert any("recorded gate verdict is failed" in note for note in row["notes"]), row
    code, output = memo("approve", version, "--config", config_path)
    assert code == 1 and "failed its gate" in output
