"""MLflow registry for MEMORY models: candidates, approval, rejection, promotion and rollback.

Every candidate is a registered model version holding a pyfunc (question in, answer out) with the Hugging
Face weights as its artifact, its run's params, metrics and reports, a sample of the reflections it was
trained on, and lineage tags. Approval lives in the version's tags (set in the MLflow UI or by ``memo
approve``) and is the only way to move ``champion``; the champion it replaces becomes ``previous``. MLflow
is the one source of truth for which model serves.

Tags are for people to read and set, so nothing that guards promotion rests on them alone: the gate's
verdict and every rejection are also written to the version's run as an append-only audit record
(``audit/*.json`` artifacts, which the MLflow UI can neither edit nor delete), and promotion reads that
record. A tag edited to contradict it is reported on the version and ignored.
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import importlib.metadata
import json
import logging
import os
import random
import subprocess
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import mlflow
import pandas as pd
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.models import Model, infer_signature
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE, RESOURCE_DOES_NOT_EXIST, ErrorCode

from memo_core.reflections.records import Reflection, to_jsonl
from memo_core.registry.pyfunc import MemoryPyfunc

log = logging.getLogger(__name__)


CANDIDATE, CHAMPION, PREVIOUS = "candidate", "champion", "previous"
APPROVED, REJECTED, PENDING = "approved", "rejected", "pending"
REFLECTION_SAMPLE_SIZE = 50
REFLECTION_SAMPLE_ARTIFACT = "reflections/sample.jsonl"
AUDIT_DIR = "audit"
REPORT_ARTIFACT = "report/report.json"
LOCAL_UI = "http://127.0.0.1:5000"  # where `mlflow ui --backend-store-uri sqlite:///...` serves by default
PARENT_RUN_TAG = "mlflow.parentRunId"  # what the MLflow UI nests runs by


class RegistryError(RuntimeError):
    """A registry request that cannot be carried out, with the reason a reviewer needs."""


class RegistryUnavailable(RegistryError):
    """The tracking store could not be reached or answered an error: never to be read as "nothing there"."""


_NOT_FOUND = ErrorCode.Name(RESOURCE_DOES_NOT_EXIST)


def _not_found(exc: MlflowException) -> bool:
    """An answer that the thing asked for does not exist (an unknown alias is an invalid parameter)."""
    return exc.error_code == _NOT_FOUND or (
        exc.error_code == ErrorCode.Name(INVALID_PARAMETER_VALUE) and "not found" in exc.message
    )


@dataclass(frozen=True)
class Record:
    """What the audit record of a version says: the gate's verdict at registration and any rejection."""

    gate_passed: bool | None = None
    gate_failures: tuple[str, ...] = ()
    rejection: dict[str, str] | None = None
    overridden_by: str | None = None

    @classmethod
    def of(cls, events: Sequence[dict[str, Any]]) -> Record:
        gate_passed: bool | None = None
        failures: tuple[str, ...] = ()
        rejection: dict[str, str] | None = None
        overridden_by: str | None = None
        for event in events:
            if event["event"] == "registered":
                gate_passed, failures = bool(event["gate_passed"]), tuple(event["gate_failures"])
            elif event["event"] == "rejected" and rejection is None:
                rejection = {k: str(v) for k, v in event.items() if k in ("by", "at", "reason")}
            elif event["event"] == "gate_override" and overridden_by is None:
                overridden_by = str(event["by"])
        return cls(gate_passed, failures, rejection, overridden_by)

    @property
    def gate(self) -> str | None:
        return None if self.gate_passed is None else "passed" if self.gate_passed else "failed"


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


def _first_line(text: str, limit: int = 300) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "no message"
    return line if len(line) <= limit else line[:limit] + "..."


def tag_conflicts(version: ModelVersion, record: Record) -> list[str]:
    """Each tag of ``version`` that contradicts its audit record, worded for the reviewer."""
    tags, found = version.tags, []
    if record.gate is not None and tags.get("gate") != record.gate:
        found.append(f"tag gate={tags.get('gate') or 'unset'} but the recorded gate verdict is {record.gate}")
    if record.rejection is not None and not tags.get("rejected_at"):
        found.append(f"tag rejected_at was removed but the version was rejected at {record.rejection['at']}")
    return found


def bound_requests(retries: int, timeout_s: int) -> None:
    """Bound how long an unreachable tracking server is retried (MLflow's default is about four minutes).

    MLflow reads these settings from the environment at every request and takes them from nowhere else;
    training processes inherit them, so the whole update gives up at the same bound.
    """
    os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = str(retries)
    os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = str(timeout_s)
    os.environ["MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR"] = "1"


@contextlib.contextmanager
def _sqlite_schema_lock(tracking_uri: str) -> Iterator[None]:
    """Serialise first contact with a sqlite store: two processes creating its schema at once collide."""
    database = Path(tracking_uri.removeprefix("sqlite:///"))
    database.parent.mkdir(parents=True, exist_ok=True)
    with open(database.with_name(database.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def ui_base(tracking_uri: str, ui_url: str | None = None) -> str:
    """The MLflow UI that serves ``tracking_uri``: ``ui_url``, the tracking server itself, or `mlflow ui`'s
    local address for a database file."""
    if ui_url:
        return ui_url.rstrip("/")
    if tracking_uri.startswith(("http://", "https://")):
        return tracking_uri.rstrip("/")
    return LOCAL_UI


class MemoRegistry:
    def __init__(
        self,
        tracking_uri: str,
        model_name: str,
        experiment: str,
        cache_dir: str | Path,
        artifact_root: str,
        ui_url: str | None = None,
    ) -> None:
        self.tracking_uri = tracking_uri
        self.ui_url = ui_base(tracking_uri, ui_url)
        self.artifact_root = artifact_root
        self.model_name = model_name
        self.experiment = experiment
        self.cache_dir = Path(cache_dir)
        mlflow.set_tracking_uri(tracking_uri)
        mlflow.set_registry_uri(tracking_uri)
        if not tracking_uri.startswith("sqlite:///"):  # a server: reached at the first request
            self.client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
            return
        with _sqlite_schema_lock(tracking_uri), self.reached("open the tracking store"):
            self.client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
            self.client.search_experiments(max_results=1)  # creates or migrates the schema, once
            self.client.search_registered_models(max_results=1)

    @contextlib.contextmanager
    def reached(self, what: str) -> Iterator[None]:
        """Turn a failure to talk to the tracking store into one line that names it."""
        try:
            yield
        except MlflowException as exc:
            if _not_found(exc):
                raise
            raise RegistryUnavailable(
                f"could not {what}: the MLflow tracking store {self.tracking_uri} failed "
                f"({_first_line(exc.message)}); check registry.tracking_uri and that the server is up"
            ) from exc
        except Exception as exc:  # a sqlite or network error below MLflow's own
            if isinstance(exc, RegistryError):
                raise
            raise RegistryUnavailable(
                f"could not {what}: the MLflow tracking store {self.tracking_uri} failed "
                f"({type(exc).__name__}: {_first_line(str(exc))})"
            ) from exc

    def register_candidate(
        self,
        checkpoint_dir: str | Path,
        params: dict[str, Any],
        metrics: dict[str, float],
        tags: dict[str, str],
        reports: dict[str, str],
        sample_questions: list[str],
        gate_failures: Sequence[str],
        reflections: Sequence[Reflection] = (),
        training_run_id: str | None = None,
    ) -> ModelVersion:
        """Log a run with everything a reviewer needs, register its model and point ``candidate`` at it.

        The gate's verdict (passed when ``gate_failures`` is empty) opens the version's audit record; the
        ``gate`` tags only repeat it for the UI. A sample of ``reflections`` (the set it was trained on) is
        logged as ``reflections/sample.jsonl``, so a reviewer reads what the model was taught without
        opening the store. The training run, when there is one, is nested under the version's run.
        """
        verdict = "failed" if gate_failures else "passed"
        tags = {
            "code_version": code_version(),
            **tags,
            "gate": verdict,
            "gate_failures": "; ".join(gate_failures),
        }
        with self.reached(f"register a version of {self.model_name}"):
            if self.client.get_experiment_by_name(self.experiment) is None:
                self.client.create_experiment(self.experiment, artifact_location=self.artifact_root)
            mlflow.set_experiment(self.experiment)
            with mlflow.start_run(run_name=f"update-corpus-v{tags.get('corpus_version', '?')}") as run:
                mlflow.log_params(params)
                mlflow.log_metrics(metrics)
                mlflow.set_tags(tags)
                if training_run_id:
                    mlflow.set_tag("training_run", self.run_url(training_run_id))
                    self.client.set_tag(training_run_id, PARENT_RUN_TAG, run.info.run_id)
                event = {"gate_passed": not gate_failures, "gate_failures": list(gate_failures)}
                self._audit(run.info.run_id, "registered", **event)
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
            with self.reached(f"read version {ref!r} of {self.model_name}"):
                if ref.isdigit():
                    return self.client.get_model_version(self.model_name, ref)
                return self.client.get_model_version_by_alias(self.model_name, ref)
        except MlflowException as exc:  # what reached() lets through is "not found"
            raise RegistryError(
                f"no version {ref!r} of model {self.model_name!r} in {self.tracking_uri}"
            ) from exc

    def find(self, alias: str) -> ModelVersion | None:
        """The version behind ``alias``, or None when no version holds it; an unreachable store raises."""
        try:
            return self.get(alias)
        except RegistryUnavailable:
            raise
        except RegistryError:
            return None

    def versions(self) -> list[ModelVersion]:
        """Every version, oldest first; none while the model is not registered yet."""
        try:
            with self.reached(f"list the versions of {self.model_name}"):
                found = self.client.search_model_versions(f"name='{self.model_name}'")
                aliases = self.client.get_registered_model(self.model_name).aliases
        except MlflowException:  # what reached() lets through is "not found": no model yet
            return []
        # Search results carry no aliases; the registered model holds them all.
        for version in found:
            version.aliases = sorted(a for a, n in aliases.items() if str(n) == str(version.version))
        return sorted(found, key=lambda v: int(v.version))

    # The audit record ---------------------------------------------------------------------------------

    def _audit(self, run_id: str, event: str, **fields: Any) -> None:
        """Append one event to a version's audit record: a new artifact, never a rewrite."""
        name = f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}-{event}-{uuid.uuid4().hex[:8]}.json"
        with self.reached(f"record {event} on run {run_id}"):
            self.client.log_dict(run_id, {"event": event, "at": _now(), **fields}, f"{AUDIT_DIR}/{name}")

    def record(self, version: ModelVersion) -> Record:
        """The version's audit record, read from its run's artifacts, oldest event first."""
        if not version.run_id:
            return Record()
        what = f"read the audit record of version {version.version}"
        with tempfile.TemporaryDirectory() as tmp, self.reached(what):
            names = [f.path for f in self.client.list_artifacts(version.run_id, AUDIT_DIR)]
            if not names:
                return Record()
            folder = Path(self.client.download_artifacts(version.run_id, AUDIT_DIR, tmp))
            events = [json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))]
        return Record.of(events)

    def report(self, version: ModelVersion) -> dict[str, Any] | None:
        """The evaluation report registered with the version (``report/report.json`` on its run)."""
        if not version.run_id:
            return None
        with (
            tempfile.TemporaryDirectory() as tmp,
            self.reached(f"read the report of version {version.version}"),
        ):
            folder = REPORT_ARTIFACT.rpartition("/")[0]
            if REPORT_ARTIFACT not in {f.path for f in self.client.list_artifacts(version.run_id, folder)}:
                return None
            path = self.client.download_artifacts(version.run_id, REPORT_ARTIFACT, tmp)
            return dict(json.loads(Path(path).read_text()))

    def _report_conflicts(self, version: ModelVersion, record: Record) -> list[str]:
        """Tags that contradict the record, logged and kept on the version so the reviewer sees them."""
        found = tag_conflicts(version, record)
        if found:
            note = "; ".join(found) + " (the record wins; the tag is ignored)"
            log.warning("version %s: %s", version.version, note)
            if version.tags.get("tag_conflict") != note:
                self._tag(version.version, tag_conflict=note)
        return found

    # Review -------------------------------------------------------------------------------------------

    def approve(
        self, ref: str | int, reviewer: str | None = None, override_gate: bool = False
    ) -> ModelVersion:
        """Record the approval and make the version ``champion`` at once (``memo approve``)."""
        version = self.get(ref)
        record = self.record(version)
        self._report_conflicts(version, record)
        if record.rejection is not None or version.tags.get("approval") == REJECTED:
            raise RegistryError(f"{self._rejection(version, record)}; a rejected version stays rejected")
        gate = self._gate_failure(version, record)
        if gate and not override_gate:
            raise RegistryError(
                f"{gate}; approve with --override-gate to promote it anyway (the override is recorded)"
            )
        reviewer = reviewer or getpass.getuser()
        self._tag(version.version, approval=APPROVED, approved_by=reviewer, approved_at=_now())
        if override_gate and record.gate_passed is False:
            self._tag(version.version, gate_override=reviewer)
        self.promote(version.version)
        return self.get(version.version)

    def reject(self, ref: str | int, reviewer: str | None = None, reason: str | None = None) -> ModelVersion:
        """Mark the version rejected for good: no later approval can promote it."""
        version = self.get(ref)
        record = self.record(version)
        if record.rejection is not None:
            raise RegistryError(f"{self._rejection(version, record)}; it stays rejected")
        if CHAMPION in version.aliases:
            raise RegistryError(
                f"version {version.version} is the champion; roll it back first (memo rollback), "
                "then reject it"
            )
        by, at = reviewer or getpass.getuser(), _now()
        self._audit(str(version.run_id), "rejected", by=by, reason=reason or "", at=at)
        tags = {"approval": REJECTED, "rejected_by": by, "rejected_at": at}
        if reason:
            tags["rejection_reason"] = reason
        self._tag(version.version, **tags)
        return self.get(version.version)

    def _gate_failure(self, version: ModelVersion, record: Record) -> str | None:
        """What the recorded gate verdict says of ``version`` unless a reviewer overrode it, else None."""
        if record.gate_passed is not False or version.tags.get("gate_override"):
            return None
        failures = "; ".join(record.gate_failures) or "see report"
        return f"version {version.version} failed its gate ({failures})"

    def _blocker(self, version: ModelVersion, record: Record) -> str | None:
        """Why ``version`` cannot become champion, or None when it can."""
        tags = version.tags
        if record.rejection is not None:
            return f"{self._rejection(version, record)}; a rejected version can never be promoted"
        if record.gate_passed is None:
            return f"version {version.version} has no recorded gate verdict; it was not registered by memo"
        if tags.get("approval") != APPROVED:
            return (
                f"version {version.version} is not approved (approval={tags.get('approval') or 'unset'}); "
                f"a reviewer sets the tag approval={APPROVED} in the MLflow UI or runs "
                f"`memo approve {version.version}`"
            )
        gate = self._gate_failure(version, record)
        if gate:
            return (
                f"{gate}; a reviewer who accepts that sets the tag gate_override=<their name> on it "
                f"(or runs `memo approve {version.version} --override-gate`)"
            )
        return None

    def _rejection(self, version: ModelVersion, record: Record) -> str:
        rejection = record.rejection or {
            "by": version.tags.get("rejected_by", ""),
            "at": version.tags.get("rejected_at", ""),
            "reason": version.tags.get("rejection_reason", ""),
        }
        who = f" by {rejection['by']}" if rejection.get("by") else ""
        when = f" at {rejection['at']}" if rejection.get("at") else ""
        why = f" ({rejection['reason']})" if rejection.get("reason") else ""
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
        record = self.record(version)
        reason = self._record_blocker(version, record)
        if reason:
            raise RegistryError(reason)
        return self._make_champion(version, record)

    def promote_approved(self) -> PromotionResult:
        """Promote the newest approved version that waits for it, and say why the others were left.

        A version waits when it is approved, was never champion and was not superseded. The newest one that
        may be promoted (not rejected; gate passed or overridden) and is newer than the champion becomes
        champion; approved versions older than the (new) champion are tagged ``superseded_by`` and never
        promoted automatically (name one to promote it). A refused version keeps the reason in its
        ``promotion_refused`` tag; a rejected one is set back to approval=rejected.
        """
        champion = self.find(CHAMPION)
        waiting = self._waiting()[::-1]
        refused: list[Refusal] = []
        promotable: list[tuple[ModelVersion, Record]] = []
        for version in waiting:
            record = self.record(version)
            reason = self._record_blocker(version, record)
            if reason:
                refused.append(Refusal(str(version.version), reason))
            else:
                promotable.append((version, record))
        newer = [p for p in promotable if champion is None or int(p[0].version) > int(champion.version)]
        if newer:
            result = self._make_champion(*newer[0])
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

    def _record_blocker(self, version: ModelVersion, record: Record) -> str | None:
        """The refusal reason, checked against the audit record and kept on the version (once) so a
        reviewer sees it in the UI; tags that contradict the record are reported there too."""
        conflicts = self._report_conflicts(version, record)
        reason = self._blocker(version, record)
        if reason is None:
            return None
        if conflicts:
            reason += "; " + "; ".join(conflicts) + " (the record wins)"
        if version.tags.get("promotion_refused") != reason:
            self._tag(version.version, promotion_refused=reason)
        if record.rejection is not None and version.tags.get("approval") != REJECTED:
            log.warning("version %s was approved after its rejection; setting it back", version.version)
            self._tag(version.version, approval=REJECTED)
        return reason

    def _make_champion(self, version: ModelVersion, record: Record) -> PromotionResult:
        """Move the aliases and record the promotion; waiting approvals older than it are superseded."""
        number = str(version.version)
        current = self.find(CHAMPION)
        approved_by = version.tags.get("approved_by") or version.user_id or "unrecorded"
        tags = {"promoted_at": _now(), "approved_by": approved_by}
        override = version.tags.get("gate_override")
        if override and record.gate_passed is False:
            self._audit(str(version.run_id), "gate_override", by=override)
        self._audit(str(version.run_id), "promoted", approved_by=approved_by)
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
        older = [v for v in waiting if int(v.version) < int(champion) and self.record(v).rejection is None]
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
        previous_record = self.record(previous)
        if previous_record.rejection is not None:
            raise RegistryError(
                f"cannot roll back to version {previous.version}: "
                f"{self._rejection(previous, previous_record)}; "
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
        version = self.find(number)
        return None if version is None or self.record(version).rejection is not None else number

    def describe(self, version: str | int, description: str) -> None:
        """Set the text the MLflow UI shows at the top of the version's page."""
        with self.reached(f"describe version {version} of {self.model_name}"):
            self.client.update_model_version(self.model_name, str(version), description=description)

    def version_url(self, version: str | int) -> str:
        return f"{self.ui_url}/#/models/{self.model_name}/versions/{version}"

    def run_url(self, run_id: str) -> str:
        with self.reached(f"read run {run_id}"):
            experiment_id = self.client.get_run(run_id).info.experiment_id
        return f"{self.ui_url}/#/experiments/{experiment_id}/runs/{run_id}"

    def artifact_url(self, run_id: str, path: str) -> str:
        """The file as the tracking server serves it to the UI: an image here renders in any web page."""
        return f"{self.ui_url}/get-artifact?{urlencode({'path': path, 'run_uuid': run_id})}"

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
