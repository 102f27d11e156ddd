"""MLflow registry for MEMORY models: candidates, approval and the ``champion`` alias.

Every candidate is a registered model version holding a pyfunc (question in, answer out) with the Hugging
Face weights as its artifact. Approval lives in the version's tags and is the only way to move ``champion``;
the champion it replaces becomes ``previous``. MLflow is the one source of truth for which model serves.
"""

from __future__ import annotations

import getpass
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.models import Model, infer_signature

from memo_core.pyfunc import MemoryPyfunc

log = logging.getLogger(__name__)

CANDIDATE, CHAMPION, PREVIOUS = "candidate", "champion", "previous"


class RegistryError(RuntimeError):
    """A registry request that cannot be carried out, with the reason a reviewer needs."""


class MemoRegistry:
    def __init__(
        self, tracking_uri: str, model_name: str, experiment: str, cache_dir: str | Path, artifact_root: str
    ) -> None:
        self.tracking_uri = tracking_uri
        self.artifact_root = artifact_root
        self.model_name = model_name
        self.experiment = experiment
        self.cache_dir = Path(cache_dir)
        mlflow.set_tracking_uri(tracking_uri)
        mlflow.set_registry_uri(tracking_uri)
        self.client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)

    def register_candidate(
        self,
        checkpoint_dir: str | Path,
        params: dict[str, Any],
        metrics: dict[str, float],
        tags: dict[str, str],
        reports: dict[str, str],
        sample_questions: list[str],
    ) -> ModelVersion:
        """Log a run with everything a reviewer needs, register its model and point ``candidate`` at it."""
        if self.client.get_experiment_by_name(self.experiment) is None:
            self.client.create_experiment(self.experiment, artifact_location=self.artifact_root)
        mlflow.set_experiment(self.experiment)
        with mlflow.start_run(run_name=f"update-corpus-v{tags.get('corpus_version', '?')}") as run:
            mlflow.log_params(params)
            mlflow.log_metrics(metrics)
            mlflow.set_tags(tags)
            for name, text in reports.items():
                mlflow.log_text(text, f"report/{name}")
            example = pd.DataFrame({"question": sample_questions[:3]})
            model_info = mlflow.pyfunc.log_model(
                name="memory",
                python_model=MemoryPyfunc(),
                artifacts={"memory": str(checkpoint_dir)},
                signature=infer_signature(example, ["answer"] * len(example)),
                input_example=example,
                pip_requirements=["memo", "mlflow", "torch", "transformers", "pandas"],
            )
        version = mlflow.register_model(model_info.model_uri, self.model_name, tags=tags)
        for key, value in tags.items():
            self.client.set_model_version_tag(self.model_name, version.version, key, value)
        self.client.set_model_version_tag(self.model_name, version.version, "approval", "pending")
        self.client.set_registered_model_alias(self.model_name, CANDIDATE, version.version)
        log.info("registered %s version %s (run %s)", self.model_name, version.version, run.info.run_id)
        return self.client.get_model_version(self.model_name, version.version)

    def get(self, ref: str | int) -> ModelVersion:
        """A version by number or alias (``candidate``, ``champion``, ``previous``)."""
        ref = str(ref)
        try:
            if ref.isdigit():
                return self.client.get_model_version(self.model_name, ref)
            return self.client.get_model_version_by_alias(self.model_name, ref)
        except MlflowException as exc:
            raise RegistryError(
                f"no version {ref!r} of model {self.model_name!r} in {self.tracking_uri}"
            ) from exc

    def find(self, alias: str) -> ModelVersion | None:
        try:
            return self.get(alias)
        except RegistryError:
            return None

    def versions(self) -> list[ModelVersion]:
        try:
            found = self.client.search_model_versions(f"name='{self.model_name}'")
        except MlflowException:
            return []
        # Search results carry no aliases; fetch each version whole.
        numbers = sorted(int(v.version) for v in found)
        return [self.client.get_model_version(self.model_name, str(n)) for n in numbers]

    def approve(
        self, ref: str | int, reviewer: str | None = None, override_gate: bool = False
    ) -> ModelVersion:
        """Record the approval and make the version ``champion``; the old champion becomes ``previous``."""
        version = self.get(ref)
        tags = version.tags
        if tags.get("approval") == "rejected":
            raise RegistryError(f"version {version.version} was rejected; a rejected version stays rejected")
        if tags.get("gate") == "failed" and not override_gate:
            raise RegistryError(
                f"version {version.version} failed its gate ({tags.get('gate_failures', 'see report')}); "
                "approve with --override-gate to promote it anyway (the override is recorded)"
            )
        reviewer = reviewer or getpass.getuser()
        now = datetime.now(UTC).isoformat(timespec="seconds")
        for key, value in {"approval": "approved", "approved_by": reviewer, "approved_at": now}.items():
            self.client.set_model_version_tag(self.model_name, version.version, key, value)
        if override_gate and tags.get("gate") == "failed":
            self.client.set_model_version_tag(self.model_name, version.version, "gate_override", reviewer)
        current = self.find(CHAMPION)
        if current is not None and current.version != version.version:
            self.client.set_registered_model_alias(self.model_name, PREVIOUS, current.version)
        self.client.set_registered_model_alias(self.model_name, CHAMPION, version.version)
        return self.get(version.version)

    def memory_dir(self, ref: str | int) -> Path:
        """Local folder with the version's Hugging Face weights, downloaded once into the cache."""
        version = self.get(ref)
        target = self.cache_dir / self.model_name / str(version.version)
        if not (target / "MLmodel").exists():
            target.mkdir(parents=True, exist_ok=True)
            mlflow.artifacts.download_artifacts(
                artifact_uri=f"models:/{self.model_name}/{version.version}",
                dst_path=str(target),
                tracking_uri=self.tracking_uri,
            )
        artifacts = Model.load(target / "MLmodel").flavors["python_function"]["artifacts"]
        return target / artifacts["memory"]["path"]
