import pytest
from registry_helpers import register as register_version

from memo_core.registry.registry import MemoRegistry, RegistryError


@pytest.fixture
def registry(tmp_path):
    return MemoRegistry(
        f"sqlite:///{tmp_path}/mlflow.db",
        "memo-test",
        "memo-test",
        tmp_path / "cache",
        str(tmp_path / "artifacts"),
    )


def register(registry, checkpoint, corpus_version, gate="passed"):
    failures = ["new knowledge 0.20 < 0.50"] if gate == "failed" else []
    return register_version(registry, checkpoint, corpus_version, gate_failures=failures)


def test_candidate_is_registered_with_alias_tags_and_metrics(registry, checkpoint):
    version = register(registry, checkpoint, 1)
    assert "candidate" in version.aliases
    assert version.tags["approval"] == "pending"
    assert version.tags["corpus_version"] == "1"
    run = registry.client.get_run(version.run_id)
    assert run.data.metrics["new_knowledge_em"] == 0.9
    assert run.data.params["mode"] == "full"
    assert registry.find("champion") is None


def test_approval_moves_champion_and_keeps_previous(registry, checkpoint):
    first = register(registry, checkpoint, 1)
    registry.approve(first.version, reviewer="ana")
    second = register(registry, checkpoint, 2)
    approved = registry.approve("candidate", reviewer="ben")
    assert approved.version == second.version
    assert registry.get("champion").version == second.version
    assert registry.get("previous").version == first.version
    assert approved.tags["approved_by"] == "ben"
    assert registry.memory_dir("champion").joinpath("config.json").exists()


def test_failed_gate_needs_an_explicit_recorded_override(registry, checkpoint):
    version = register(registry, checkpoint, 1, gate="failed")
    with pytest.raises(RegistryError, match="--override-gate"):
        registry.approve(version.version)
    assert registry.find("champion") is None
    approved = registry.approve(version.version, reviewer="ana", override_gate=True)
    assert approved.tags["gate_override"] == "ana"


def test_unknown_version_is_a_clear_error(registry):
    with pytest.raises(RegistryError, match="no version '7'"):
        registry.get(7)
