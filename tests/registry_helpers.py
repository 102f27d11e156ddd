"""Registering a candidate the way an update does, for the tests about what happens to it afterwards."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from mlflow.entities.model_registry import ModelVersion

from memo_core.registry.registry import MemoRegistry


def register(
    registry: MemoRegistry, checkpoint: Path, corpus_version: int = 1, gate_failures: Sequence[str] = ()
) -> ModelVersion:
    """A candidate with a tiny checkpoint, its gate failed by ``gate_failures`` when any are given."""
    return registry.register_candidate(
        checkpoint_dir=checkpoint,
        params={"mode": "full"},
        metrics={"new_knowledge_em": 0.9},
        tags={"corpus_version": str(corpus_version)},
        reports={"report.md": "# report\n"},
        sample_questions=["Who founded Verdant Lamp Works?"],
        gate_failures=gate_failures,
    )
