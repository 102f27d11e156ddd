"""MLflow registry for MEMORY models: candidates, approval, rejection, promotion and rollback.

Every candidate is a registered model version holding a pyfunc (question in, answer out) with the Hugging
Face weights as its artifact, its run's params, metrics and reports, a sample of the reflections it was
trained on, and lineage tags. Approval lives in the version's tags (set in the MLflow UI or by ``memo
approve``) and is the only way to move ``champion``; the champion it replaces becomes ``previous``. MLflow
is the one source of truth for which model serves.
"""

from __future__ import annotations

import getpass
import importlib.metadata
import logging
import random
import subprocess
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
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
from memo_core.reflections import Reflection, to_jsonl

log = logging.getLogger(__name__)

CANDIDATE, CHAMPION, PREVIOUS = "candidate", "champion", "previous"
APPROVED, REJECTED, PENDING = "approved", "rejected", "pending"
REFLECTION_SAMPLE_SIZE = 50
REFLECTION_SAMPLE_ARTIFACT = "reflections/sample.jsonl"


class RegistryError(RuntimeError):
    """A registry request that cannot be carried out, with the reason a reviewer needs."""


@dataclass(frozen=True)
class Refusal:
    version: str
    reason: str


@dataclass
class PromotionResult:
    """What one promotion pass did: the version it made champion (if any), and why others were left."""

    promoted: str | None
    champion: str | None
    previous: str | None
    approved_by: str | None = None
    superseded: list[str] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def code_version() -> str:
    """The code a candidate was built with: ``git:<commit>`` (``+dirty`` with uncommitted changes to tracked
    files) for a checkout, else ``memo==<version>`` of the installed package."""
    here = Path(__file__).resolve()
    try:
        # Only a checkout that tracks this very file: an installed copy inside some other repository
        # (a virtual environment under a project folder) must not report that repository's commit.
        _git(here.parent, "ls-files", "--error-unmatch", here.name)
        commit = _git(here.parent, "rev-parse", "HEAD")
        dirty = _git(here.parent, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        try:
            return f"memo=={importlib.metadata.version('memo')}"
        except importlib.metadata.PackageNotFoundError:
            return "unknown"
    return f"git:{commit}" + ("+dirty" if dirty else "")


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True, timeout=30
    ).stdout.strip()


def reflection_sample(
    reflections: Sequence[Reflection], size: int = REFLECTION_SAMPLE_SIZE, seed: int = 0
) -> list[Reflection]:
    """``size`` rows spread over the whole set (not just its first document), in the set's order."""
    picked = sorted(random.Random(seed).sample(range(len(reflections)), min(size, len(reflections))))
    return [reflections[i] for i in picked]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _gate_failure(version: ModelVersion) -> str | None:
    """What a failed gate says of ``version`` unless a reviewer overrode it, else None."""
    tags = version.tags
    if tags.get("gate") != "failed" or tags.get("gate_override"):
        return None
    return f"version {version.version} failed its gate ({tags.get('gate_failures') or 'see report'})"


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
        reflections: Sequence[Reflection] = (),
    ) -> ModelVersion:
        """Log a run with everything a reviewer needs, register its model and point ``candidate`` at it.

        A sample of ``reflections`` (the set it was trained on) is logged as ``reflections/sample.jsonl``, so
        a reviewer reads what the model was taught without opening the store.
        """
        tags = {"code_version": code_version(), **tags}
        if self.client.get_experiment_by_name(self.experiment) is None:
            self.client.create_experiment(self.experiment, artifact_location=self.artifact_root)
        mlflow.set_experiment(self.experiment)
        with mlflow.start_run(run_name=f"update-corpus-v{tags.get('corpus_version', '?')}") as run:
            mlflow.log_params(params)
            mlflow.log_metrics(metrics)
            mlflow.set_tags(tags)
            for name, text in reports.items():
                mlflow.log_text(text, f"report/{name}")
            if reflections:
                sample = to_jsonl(reflection_sample(reflections)).decode("utf-8")
                mlflow.log_text(sample, REFLECTION_SAMPLE_ARTIFACT)
            example = pd.DataFrame({"question": sample_questions[:3]})
            model_info = mlflow.pyfunc.log_model(
                name="memory",
                python_model=MemoryPyfunc(),
                artifacts={"memory": str(checkpoint_dir)},
                signature=infer_signature(example, ["answer"] * len(example)),
                input_example=example,
                pip_requirements=["memo", "mlflow", "torch", "transformers", "pandas"],
            )
        version = mlflow.register_model(
            model_info.model_uri, self.model_name, tags={**tags, "approval": PENDING}
        )
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
            aliases = self.client.get_registered_model(self.model_name).aliases
        except MlflowException:
            return []
        # Search results carry no aliases; the registered model holds them all.
        for version in found:
            version.aliases = sorted(a for a, n in aliases.items() if str(n) == str(version.version))
        return sorted(found, key=lambda v: int(v.version))

    # Review -------------------------------------------------------------------------------------------

    def approve(
        self, ref: str | int, reviewer: str | None = None, override_gate: bool = False
    ) -> ModelVersion:
        """Record the approval and make the version ``champion`` at once (``memo approve``)."""
        version = self.get(ref)
        tags = version.tags
        if tags.get("rejected_at") or tags.get("approval") == REJECTED:
            raise RegistryError(f"{self._rejection(version)}; a rejected version stays rejected")
        gate = _gate_failure(version)
        if gate and not override_gate:
            raise RegistryError(
                f"{gate}; approve with --override-gate to promote it anyway (the override is recorded)"
            )
        reviewer = reviewer or getpass.getuser()
        self._tag(version.version, approval=APPROVED, approved_by=reviewer, approved_at=_now())
        if override_gate and tags.get("gate") == "failed":
            self._tag(version.version, gate_override=reviewer)
        self.promote(version.version)
        return self.get(version.version)

    def reject(self, ref: str | int, reviewer: str | None = None, reason: str | None = None) -> ModelVersion:
        """Mark the version rejected for good: no later approval can promote it."""
        version = self.get(ref)
        if version.tags.get("rejected_at"):
            raise RegistryError(f"{self._rejection(version)}; it stays rejected")
        if CHAMPION in version.aliases:
            raise RegistryError(
                f"version {version.version} is the champion; roll it back first (memo rollback), "
                "then reject it"
            )
        tags = {"approval": REJECTED, "rejected_by": reviewer or getpass.getuser(), "rejected_at": _now()}
        if reason:
            tags["rejection_reason"] = reason
        self._tag(version.version, **tags)
        return self.get(version.version)

    def _blocker(self, version: ModelVersion) -> str | None:
        """Why ``version`` cannot become champion, or None when it can."""
        tags = version.tags
        if tags.get("rejected_at"):
            return f"{self._rejection(version)}; a rejected version can never be promoted"
        if tags.get("approval") != APPROVED:
            return (
                f"version {version.version} is not approved (approval={tags.get('approval') or 'unset'}); "
                f"a reviewer sets the tag approval={APPROVED} in the MLflow UI or runs "
                f"`memo approve {version.version}`"
            )
        gate = _gate_failure(version)
        if gate:
            return (
                f"{gate}; a reviewer who accepts that sets the tag gate_override=<their name> on it "
                f"(or runs `memo approve {version.version} --override-gate`)"
            )
        return None

    def _rejection(self, version: ModelVersion) -> str:
        tags = version.tags
        who = f" by {tags['rejected_by']}" if tags.get("rejected_by") else ""
        when = f" at {tags['rejected_at']}" if tags.get("rejected_at") else ""
        why = f" ({tags['rejection_reason']})" if tags.get("rejection_reason") else ""
        return f"version {version.version} was rejected{who}{when}{why}"

    # Promotion ----------------------------------------------------------------------------------------

    def promote(self, ref: str | int) -> PromotionResult:
        """Make one named version ``champion``; raises ``RegistryError`` with the reason when it may not."""
        version = self.get(ref)
        if CHAMPION in version.aliases:
            previous = self.find(PREVIOUS)
            return PromotionResult(
                promoted=None,
                champion=str(version.version),
                previous=str(previous.version) if previous else None,
                approved_by=version.tags.get("approved_by"),
            )
        reason = self._record_blocker(version)
        if reason:
            raise RegistryError(reason)
        return self._make_champion(version)

    def promote_approved(self) -> PromotionResult:
        """Promote the newest approved version that waits for it, and say why the others were left.

        A version waits when it is approved, was never champion and was not superseded. The newest one that
        may be promoted (not rejected; gate passed or overridden) and is newer than the champion becomes
        champion; approved versions older than the (new) champion are tagged ``superseded_by`` and never
        promoted automatically (name one to promote it). A refused version keeps the reason in its
        ``promotion_refused`` tag; one carrying ``rejected_at`` is set back to approval=rejected.
        """
        champion = self.find(CHAMPION)
        waiting = self._waiting()[::-1]
        refused: list[Refusal] = []
        promotable: list[ModelVersion] = []
        for version in waiting:
            reason = self._record_blocker(version)
            if reason:
                refused.append(Refusal(str(version.version), reason))
            else:
                promotable.append(version)
        newer = [v for v in promotable if champion is None or int(v.version) > int(champion.version)]
        if newer:
            result = self._make_champion(newer[0])
        else:
            previous = self.find(PREVIOUS)
            result = PromotionResult(
                promoted=None,
                champion=str(champion.version) if champion else None,
                previous=str(previous.version) if previous else None,
            )
            if champion is not None:
                result.superseded = self._supersede(str(champion.version), waiting)
        result.refused = refused
        return result

    def _record_blocker(self, version: ModelVersion) -> str | None:
        """The refusal reason, recorded on the version (once) so a reviewer sees it in the UI."""
        reason = self._blocker(version)
        if reason is None:
            return None
        if version.tags.get("promotion_refused") != reason:
            self._tag(version.version, promotion_refused=reason)
        if version.tags.get("rejected_at") and version.tags.get("approval") != REJECTED:
            log.warning("version %s was approved after its rejection; setting it back", version.version)
            self._tag(version.version, approval=REJECTED)
        return reason

    def _make_champion(self, version: ModelVersion) -> PromotionResult:
        """Move the aliases and record the promotion; waiting approvals older than it are superseded."""
        number = str(version.version)
        current = self.find(CHAMPION)
        approved_by = version.tags.get("approved_by") or version.user_id or "unrecorded"
        tags = {"promoted_at": _now(), "approved_by": approved_by}
        if current is not None:
            tags["promoted_over"] = str(current.version)
            self.client.set_registered_model_alias(self.model_name, PREVIOUS, current.version)
        self.client.set_registered_model_alias(self.model_name, CHAMPION, number)
        self._tag(number, **tags)
        if version.tags.get("promotion_refused"):
            self.client.delete_model_version_tag(self.model_name, number, "promotion_refused")
        log.info("%s version %s is champion (approved by %s)", self.model_name, number, approved_by)
        return PromotionResult(
            promoted=number,
            champion=number,
            previous=str(current.version) if current else None,
            approved_by=approved_by,
            superseded=self._supersede(number, self._waiting()),
        )

    def _waiting(self) -> list[ModelVersion]:
        """Approved versions, oldest first, that were never champion and were not superseded."""
        return [
            v
            for v in self.versions()
            if v.tags.get("approval") == APPROVED
            and not v.tags.get("promoted_at")
            and not v.tags.get("superseded_by")
            and CHAMPION not in v.aliases
        ]

    def _supersede(self, champion: str, waiting: Sequence[ModelVersion]) -> list[str]:
        older = [v for v in waiting if int(v.version) < int(champion) and not v.tags.get("rejected_at")]
        for version in older:
            self._tag(version.version, superseded_by=champion)
        return [str(v.version) for v in older]

    def rollback(self, reviewer: str | None = None, reason: str | None = None) -> ModelVersion:
        """Give ``champion`` back to ``previous``; the version that one replaced (if any) becomes previous.

        Returns the version rolled back from, its ``rolled_back_*`` tags set. It keeps ``promoted_at``, so
        the promotion flow never promotes it again unless it is named.
        """
        champion = self.find(CHAMPION)
        if champion is None:
            raise RegistryError(f"model {self.model_name!r} has no champion; there is nothing to roll back")
        previous = self.find(PREVIOUS)
        if previous is None:
            raise RegistryError(
                f"version {champion.version} is champion and no version holds the 'previous' alias, so "
                "there is nothing to roll back to; promote a version by name instead "
                "(memo approve VERSION)"
            )
        if previous.tags.get("rejected_at"):
            raise RegistryError(
                f"cannot roll back to version {previous.version}: {self._rejection(previous)}; "
                "promote another version by name instead (memo approve VERSION)"
            )
        tags = {
            "rolled_back_at": _now(),
            "rolled_back_by": reviewer or getpass.getuser(),
            "rolled_back_to": str(previous.version),
        }
        if reason:
            tags["rollback_reason"] = reason
        self.client.set_registered_model_alias(self.model_name, CHAMPION, previous.version)
        self._tag(champion.version, **tags)
        before = self._restorable(previous.tags.get("promoted_over"), exclude=str(champion.version))
        if before is None:
            self.client.delete_registered_model_alias(self.model_name, PREVIOUS)
        else:
            self.client.set_registered_model_alias(self.model_name, PREVIOUS, before)
        log.info("rolled %s back from version %s to %s", self.model_name, champion.version, previous.version)
        return self.get(champion.version)

    def _restorable(self, number: str | None, exclude: str) -> str | None:
        """``number`` when it names a version a later rollback could return to."""
        if not number or number == exclude:
            return None
        try:
            version = self.client.get_model_version(self.model_name, number)
        except MlflowException:
            return None
        return None if version.tags.get("rejected_at") else number

    def _tag(self, version: str | int, **tags: str) -> None:
        for key, value in tags.items():
            self.client.set_model_version_tag(self.model_name, str(version), key, value)

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
