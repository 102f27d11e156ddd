"""The ``memo`` command: run updates, review candidates, ask questions.

``memo update`` runs the Prefect flow (on the ephemeral local API unless PREFECT_API_URL names a server);
the other commands talk to the MLflow registry and the memory model directly, so they start quickly.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

import click

from memo_core.config import ConfigError, MemoConfig, config_file, load_config

if TYPE_CHECKING:
    from memo_core.registry.registry import MemoRegistry

config_option = click.option(
    "--config",
    "config_path",
    default=None,
    metavar="PATH",
    help="Config file (default: $MEMO_CONFIG or ./memo.yaml).",
)


def _load(config_path: str | None) -> MemoConfig:
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if config.log_level == "DEBUG":
        _library_logs(verbose=True)
    return config


# Libraries whose routine lines bury memo's own: a line per Prefect log request (httpx), DeepSpeed's
# accelerator and hostfile notes. Shown again with `memo --verbose` or `log_level: DEBUG`.
_CHATTY = {"httpx": logging.WARNING, "httpcore": logging.WARNING, "DeepSpeed": logging.ERROR}


class _Below(logging.Filter):
    """Drops a library's lines under a level. A filter, not the logger's level: DeepSpeed sets its logger's
    level when it is imported, which happens after the command starts (transformers imports it)."""

    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= self.level


def _library_logs(verbose: bool) -> None:
    for name, level in _CHATTY.items():
        logger = logging.getLogger(name)
        for old in [f for f in logger.filters if isinstance(f, _Below)]:
            logger.removeFilter(old)
        if not verbose:
            logger.addFilter(_Below(level))


@contextlib.contextmanager
def _registry(config_path: str | None) -> Iterator[MemoRegistry]:
    """The configured registry; a request it refuses ends the command with the registry's reason."""
    from memo_core.runtime import open_registry

    config = _load(config_path)
    with _clear_errors():
        yield open_registry(config)


# Defaults the environment may override: no usage reports sent anywhere (Prefect and MLflow both honour
# DO_NOT_TRACK), and time for Prefect's local API to start on a loaded machine (its default is 20 s).
_ENVIRONMENT_DEFAULTS = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",  # log lines, not bars, in a terminal
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
}


@contextlib.contextmanager
def _clear_errors() -> Iterator[None]:
    """End the command with one line for failures whose message says it all, not a traceback."""
    from memo_core.registry.registry import RegistryError
    from memo_core.sources.scan import SourceError

    try:
        yield
    except (RegistryError, SourceError) as exc:
        raise click.ClickException(str(exc)) from None
    except RuntimeError as exc:
        if not str(exc).startswith("Timed out while attempting to connect to ephemeral Prefect API"):
            raise
        raise click.ClickException(
            "Prefect's local API did not start within "
            f"{os.environ['PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS']} s; the machine may be busy: "
            "raise PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, or set PREFECT_API_URL to a running "
            "Prefect server"
        ) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Also show the libraries' routine log lines.")
def main(verbose: bool) -> None:
    """memo keeps a MEMORY model current with your documents; an executive answers from it."""
    for name, value in _ENVIRONMENT_DEFAULTS.items():
        os.environ.setdefault(name, value)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=False
    )
    _library_logs(verbose)


@main.command()
@config_option
@click.option(
    "--mode", type=click.Choice(["incremental", "full"]), default=None, help="Override training.mode."
)
@click.option("--dry-run", is_flag=True, help="Scan and plan only; train nothing.")
def update(config_path: str | None, mode: Literal["incremental", "full"] | None, dry_run: bool) -> None:
    """Scan the sources and, if anything changed, train and register a candidate."""
    config = _load(config_path)
    from flows.knowledge_update import knowledge_update
    from memo_core.sources.scan import check_local_roots

    with _clear_errors():
        check_local_roots(config.sources)
        state = knowledge_update(
            config_path=str(config_file(config_path)),
            mode=mode or "as configured",
            dry_run=dry_run,
            return_state=True,
        )
        result = cast(dict[str, Any], state.result())  # a returned state is unwrapped to its data
    click.echo("")
    if result["status"] == "already-registered":
        click.echo(
            f"Candidate {result['candidate_id']} of corpus v{result['corpus_version']} is already version "
            f"{result['version']} of {config.registry.model_name} (registered by another update); "
            "nothing registered again"
        )
    elif result["status"] == "registered":
        click.secho(
            f"Registered candidate version {result['version']} of {config.registry.model_name}", bold=True
        )
        click.echo(_format_metrics(result["metrics"]))
        if state.name == "Gate failed":
            click.secho(f"Gate failed: {state.message}", fg="red")
        click.echo(
            f"Review it (memo status {result['version']}, or its page in the MLflow UI), "
            f"then: memo approve {result['version']}"
        )
    else:
        click.echo(f"Corpus v{result['corpus_version']}: {result['status']}")


@main.command()
@config_option
@click.argument("version")
@click.option("--reviewer", default=None, help="Name recorded as approver (default: the OS user).")
@click.option("--override-gate", is_flag=True, help="Promote a version whose gate failed; recorded on it.")
def approve(config_path: str | None, version: str, reviewer: str | None, override_gate: bool) -> None:
    """Approve VERSION (a number, or 'candidate') and make it the champion."""
    with _registry(config_path) as registry:
        approved = registry.approve(version, reviewer=reviewer, override_gate=override_gate)
    click.echo(f"Version {approved.version} of {registry.model_name} is now champion.")


@main.command()
@config_option
@click.argument("version")
@click.option("--reason", default=None, help="Why it is rejected; recorded on the version.")
@click.option("--reviewer", default=None, help="Name recorded as rejecter (default: the OS user).")
def reject(config_path: str | None, version: str, reason: str | None, reviewer: str | None) -> None:
    """Reject VERSION (a number, or 'candidate') for good: no later approval can promote it."""
    with _registry(config_path) as registry:
        rejected = registry.reject(version, reviewer=reviewer, reason=reason)
    click.echo(f"Version {rejected.version} of {registry.model_name} is rejected.")


@main.command()
@config_option
@click.option("--reason", default=None, help="Why; recorded on the version rolled back from.")
@click.option("--reviewer", default=None, help="Name recorded on the rollback (default: the OS user).")
def rollback(config_path: str | None, reason: str | None, reviewer: str | None) -> None:
    """Give 'champion' back to the 'previous' version."""
    with _registry(config_path) as registry:
        rolled_back = registry.rollback(reviewer=reviewer, reason=reason)
    click.echo(
        f"Version {rolled_back.tags['rolled_back_to']} of {registry.model_name} is champion again "
        f"(rolled back from version {rolled_back.version})."
    )


@main.command()
@config_option
@click.argument("version", required=False)
def promote(config_path: str | None, version: str | None) -> None:
    """Run the promote flow: make the newest approved version champion, or VERSION when given."""
    _load(config_path)
    from flows.promote import promote as promote_flow

    with _clear_errors():
        result = promote_flow(config_path=str(config_file(config_path)), version=version)
    for refusal in result["refused"]:
        click.echo(f"Not promoted: {refusal['reason']}")
    if result["promoted"]:
        click.echo(f"Version {result['promoted']} is now champion (approved by {result['approved_by']}).")
    else:
        click.echo(f"Nothing to promote; champion: {result['champion'] or 'none'}.")


@main.command()
@config_option
@click.argument("question")
@click.option("--trace", is_flag=True, help="Print each sub-question and the memory's answer.")
@click.option("--version", "ref", default="champion", show_default=True, help="Model version or alias.")
@click.option("--json", "as_json", is_flag=True, help="Print answer and trace as JSON.")
def ask(config_path: str | None, question: str, trace: bool, ref: str, as_json: bool) -> None:
    """Answer QUESTION through the executive, interrogating the champion memory; cite the documents."""
    if not question.strip():
        raise click.UsageError("QUESTION is empty or only whitespace: ask something")
    from memo_core.executive.protocol import build_executive
    from memo_core.registry.registry import RegistryError, RegistryUnavailable
    from memo_core.runtime import open_registry
    from memo_core.serving.app import load_memory
    from memo_core.serving.citations import answer_with_citations

    config = _load(config_path)
    try:
        served = load_memory(config, open_registry(config), ref)
    except RegistryUnavailable as exc:
        raise click.ClickException(str(exc)) from None
    except RegistryError as exc:
        raise click.ClickException(f"{exc}; run `memo update` and `memo approve` first") from None
    executive = build_executive(served.memory.answer, config.executive)
    result = {**answer_with_citations(executive, served.citations, question), "model_version": served.version}
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    if trace:
        for step in result["trace"]:
            hop = f" {step['hop']}" if step.get("hop") else ""
            click.echo(f"  [{step['stage']}{hop}] {step['sub_question']}  ->  {step['memory_answer']}")
    click.echo(result["answer"])
    sources = [
        f"  source: {', '.join(c['document_ids'])} (characters "
        + ", ".join(f"{start}-{end}" for start, end in c["spans"])
        + ")"
        for c in result["citations"]
    ]
    for line in dict.fromkeys(sources):  # several reflections may cite the same sentences
        click.echo(line)


@main.command()
@config_option
@click.argument("ref", metavar="[VERSION]", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print versions as JSON.")
@click.option("--limit", default=20, show_default=True, help="Facts shown per kind of change, with VERSION.")
def status(config_path: str | None, ref: str | None, as_json: bool, limit: int) -> None:
    """List model versions with their aliases, corpus version, gate, approval and scores; with VERSION (a
    number or an alias), that version and the facts it adds, changes and removes.

    The gate and any rejection are read from each version's audit record; a tag that contradicts it is
    named in the notes.
    """
    from memo_core.registry.registry import tag_conflicts

    rows: list[dict[str, Any]] = []
    with _registry(config_path) as registry:
        chosen = [registry.get(ref)] if ref else registry.versions()
        for version in chosen:
            record = registry.record(version)
            with registry.reached(f"read the run of version {version.version}"):
                metrics = registry.client.get_run(version.run_id).data.metrics if version.run_id else {}
            rows.append(
                {
                    "version": version.version,
                    "aliases": sorted(version.aliases),
                    "corpus_version": version.tags.get("corpus_version"),
                    "mode": version.tags.get("mode"),
                    "gate": record.gate,
                    "approval": "rejected" if record.rejection else version.tags.get("approval"),
                    "notes": _review_notes(version.tags) + tag_conflicts(version, record),
                    "metrics": {k: metrics[k] for k in sorted(metrics) if not k.startswith("champion_")},
                }
            )
        if ref is not None:
            report = registry.report(chosen[0])
            rows[0]["changelog"] = report.get("changelog", {}) if report else {}
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No model versions yet; run `memo update`.")
        return
    click.echo(
        f"{'version':>7}  {'aliases':<20} {'corpus':>6}  {'mode':<11} {'gate':<7} {'approval':<9} scores"
    )
    for row in rows:
        scores = ", ".join(
            f"{k}={v:.2f}" for k, v in row["metrics"].items() if k.endswith("_em") and "_em_" not in k
        )
        notes = "".join(f"  [{note}]" for note in row["notes"])
        click.echo(
            f"{row['version']:>7}  {','.join(row['aliases']) or '-':<20} {row['corpus_version'] or '-':>6}  "
            f"{row['mode'] or '-':<11} {row['gate'] or '-':<7} {row['approval'] or '-':<9} {scores}{notes}"
        )
    if "changelog" in rows[0]:
        for line in _changelog_lines(rows[0]["changelog"], limit):
            click.echo(line)


def _changelog_lines(changelog: dict[str, Any], limit: int) -> list[str]:
    """The facts a version adds, changes and removes, by document, for a terminal."""
    counts = changelog.get("counts")
    if not counts:
        return ["", "No knowledge changelog in this version's report (registered before memo wrote one)."]
    lines = [
        "",
        f"Knowledge: {counts['added']} facts added, {counts['changed']} changed, {counts['removed']} removed",
    ]
    documents = list(changelog["by_document"].items())
    lines += [
        f"  {name}: {c['added']} added, {c['changed']} changed, {c['removed']} removed"
        for name, c in documents[:limit]
    ]
    lines += _more(len(documents), limit)
    for kind in ("changed", "removed", "added"):
        if changelog[kind]:
            lines += ["", f"{kind.capitalize()}:"]
            lines += [f"  {_fact_line(kind, fact)}" for fact in changelog[kind][:limit]]
            lines += _more(counts[kind], limit)
    return lines


def _fact_line(kind: str, fact: dict[str, Any]) -> str:
    documents, old_documents = ", ".join(fact.get("documents", [])), ", ".join(fact.get("old_documents", []))
    if kind == "changed":
        return (
            f"{fact['question']}  {fact['old_answer']} -> {fact['answer']}  ({old_documents} -> {documents})"
        )
    if kind == "removed":
        return f"{fact['question']}  was {fact['old_answer']}  ({old_documents})"
    return f"{fact['question']}  {fact['answer']}  ({documents})"


def _more(total: int, shown: int) -> list[str]:
    return [f"  ... and {total - shown} more (--limit, or --json)"] if total > shown else []


def _review_notes(tags: dict[str, str]) -> list[str]:
    """What a reviewer should know beyond the approval tag: why a version waits or will never serve."""
    notes = []
    if tags.get("superseded_by"):
        notes.append(f"superseded by {tags['superseded_by']}")
    if tags.get("promotion_refused"):
        notes.append(f"not promoted: {tags['promotion_refused']}")
    if tags.get("gate_override"):
        notes.append(f"gate overridden by {tags['gate_override']}")
    if tags.get("rolled_back_at"):
        notes.append(f"rolled back to {tags.get('rolled_back_to', '?')} at {tags['rolled_back_at']}")
    return notes


@main.command()
@config_option
def sources(config_path: str | None) -> None:
    """List the sources and the changes the next update would process (reads only)."""
    from memo_core.runtime import open_store
    from memo_core.sources.manifest import format_sources_report

    config = _load(config_path)
    click.echo(format_sources_report(config.sources, open_store(config)))


@main.command()
@config_option
@click.argument("source")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write: .parquet (for training) or .jsonl (to read).",
)
@click.option(
    "--backend",
    type=click.Choice(["offline", "openai", "hf"]),
    default=None,
    help="Override generator.backend.",
)
@click.option("--include", multiple=True, metavar="GLOB", help="Files to read (repeatable; default: all).")
def reflect(
    config_path: str | None, source: str, out: Path, backend: str | None, include: tuple[str, ...]
) -> None:
    """Distil the documents under SOURCE (a folder or fsspec URL) into reflections; trains nothing.

    The generator and validation settings come from the config file when there is one. The quarantine
    (rows that failed validation, with reasons) and the validation data docs are written beside OUT.
    """
    from memo_core.llm.chat import ChatError
    from memo_core.reflections.build import reflect_folder
    from memo_core.reflections.validation import ReflectionSetInvalid

    have_config = config_path is not None or config_file().exists()
    config = _load(config_path) if have_config else MemoConfig()
    generator = config.generator.model_copy(update={"backend": backend}) if backend else config.generator
    click.echo(f"reflecting {source} with the {generator.backend} generator")
    try:
        report = reflect_folder(
            source,
            out,
            generator,
            config.validation,
            include=list(include) or None,
            on_document=lambda doc_id, done, total: click.echo(f"  [{done}/{total}] {doc_id}"),
        )
    except (ReflectionSetInvalid, ChatError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("")
    click.secho(
        f"{report.reflections} reflections from {report.documents} documents -> {report.out}", bold=True
    )
    click.echo("  by kind:  " + ", ".join(f"{k} {n}" for k, n in sorted(report.by_kind.items())))
    click.echo("  by split: " + ", ".join(f"{k} {n}" for k, n in sorted(report.by_split.items())))
    quarantined = report.validation.quarantined
    reasons = ", ".join(f"{r} {n}" for r, n in sorted(report.validation.reason_counts.items()))
    click.echo(
        f"  quarantined: {len(quarantined)}" + (f" ({reasons}) -> {report.quarantine}" if quarantined else "")
    )
    if report.validation.data_docs_index is not None:
        click.echo(f"  validation report: {report.validation.data_docs_index}")
    verification = report.generator.get("verification")
    if verification:
        reasons = ", ".join(f"{r} {n}" for r, n in sorted(verification["reasons"].items()))
        click.echo(
            f"  facts dropped: {verification['dropped']}"
            + (f" ({reasons})" if reasons else "")
            + f"; rewritten {verification['rewritten']}, kept as written {verification['passed']}"
        )
    for skipped in report.skipped:
        click.echo(f"  skipped {skipped.path}: {skipped.reason}")
    for conflict in report.conflicts:
        values = " / ".join(f"{answer} ({', '.join(docs)})" for answer, docs in conflict.values)
        click.echo(f"  conflicting: {conflict.question} {values}")


@main.command()
@config_option
@click.option("--host", default=None, help="Interface to listen on (default: serve.host, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: serve.port, 8080).")
def serve(config_path: str | None, host: str | None, port: int | None) -> None:
    """Serve the champion over HTTP: /v1/ask, /v1/memory/query, /v1/chat/completions and /health.

    An approval is picked up without a restart (the alias is looked up every serve.reload_interval_s).
    """
    import uvicorn

    from memo_core.serving.app import create_app

    config = _load(config_path)
    overrides = {key: value for key, value in {"host": host, "port": port}.items() if value is not None}
    settings = config.serve.model_copy(update=overrides)
    try:
        with _clear_errors():
            app = create_app(config, settings)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")


secret_env_option = click.option(
    "--secret-env",
    default="MEMO_WEBHOOK_SECRET",
    show_default=True,
    metavar="NAME",
    help="Environment variable holding the webhook's secret.",
)


def _secret(name: str) -> str:
    secret = os.environ.get(name)
    if not secret:
        raise click.ClickException(
            f"${name} is not set; put the webhook's secret there (the same value for webhook-register "
            "and webhook-relay), or name another variable with --secret-env"
        )
    return secret


@main.command("webhook-relay")
@config_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", type=int, default=8090, show_default=True, help="Port.")
@secret_env_option
@click.option(
    "--max-age",
    type=float,
    default=300.0,
    show_default=True,
    help="Oldest delivery accepted, in seconds (older ones are refused as replays).",
)
def webhook_relay(config_path: str | None, host: str, port: int, secret_env: str, max_age: float) -> None:
    """Receive MLflow's signed webhooks on POST /mlflow/webhook; relay approvals as Prefect events.

    Each approval=approved tag set on a version of the configured model becomes the Prefect event
    memo.model-version.approved, which the promote deployment's trigger reacts to. Needs PREFECT_API_URL.
    """
    import uvicorn
    from prefect.settings import PREFECT_API_URL

    from flows.promote import emit_approval
    from memo_core.registry.webhooks import create_relay_app

    config = _load(config_path)
    if not PREFECT_API_URL.value():
        raise click.ClickException(
            "PREFECT_API_URL is not set; point it at the Prefect server that runs the promote deployment"
        )
    app = create_relay_app(_secret(secret_env), config.registry.model_name, emit_approval, max_age)
    uvicorn.run(app, host=host, port=port, log_level="info")


@main.command("webhook-register")
@config_option
@click.option("--url", required=True, help="The relay as the MLflow server reaches it, .../mlflow/webhook.")
@secret_env_option
def webhook_register(config_path: str | None, url: str, secret_env: str) -> None:
    """Create (or update) the MLflow webhook that posts model-version tag changes to the relay."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    from memo_core.registry.webhooks import register_webhook

    config = _load(config_path)
    if not config.tracking_uri.startswith(("http://", "https://")):
        raise click.ClickException(
            f"webhooks are sent by an MLflow tracking server, and registry.tracking_uri is "
            f"{config.tracking_uri}; start `mlflow server` on that store and set registry.tracking_uri "
            "to its URL"
        )
    client = MlflowClient(tracking_uri=config.tracking_uri, registry_uri=config.tracking_uri)
    try:
        webhook = register_webhook(client, url, _secret(secret_env))
    except MlflowException as exc:
        raise click.ClickException(f"MLflow refused the webhook: {exc.message}") from None
    click.echo(f"Webhook {webhook.name} ({webhook.webhook_id}) posts model_version_tag.set to {webhook.url}")


def _format_metrics(metrics: dict[str, Any]) -> str:
    keys = [k for k in metrics if k.endswith("_em") or k.endswith("_f1")]
    return "\n".join(f"  {k:<32} {metrics[k]:.3f}" for k in sorted(keys))


if __name__ == "__main__":
    sys.exit(main())
