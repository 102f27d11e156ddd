"""The ``memo`` command: run updates, review candidates, ask questions.

``memo update`` runs the Prefect flow (on the ephemeral local API unless PREFECT_API_URL names a server);
the other commands talk to the MLflow registry and the memory model directly, so they start quickly.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import click

from memo_core.config import ConfigError, MemoConfig, config_file, load_config

config_option = click.option(
    "--config",
    "config_path",
    default=None,
    metavar="PATH",
    help="Config file (default: $MEMO_CONFIG or ./memo.yaml).",
)


def _load(config_path: str | None) -> MemoConfig:
    try:
        return load_config(config_path)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """memo keeps a MEMORY model current with your documents; an executive answers from it."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=False
    )


@main.command()
@config_option
@click.option(
    "--mode", type=click.Choice(["incremental", "full"]), default=None, help="Override training.mode."
)
@click.option("--dry-run", is_flag=True, help="Scan and plan only; train nothing.")
def update(config_path: str | None, mode: str | None, dry_run: bool) -> None:
    """Scan the sources and, if anything changed, train and register a candidate."""
    config = _load(config_path)
    from flows.knowledge_update import knowledge_update

    result = knowledge_update(config_path=str(config_file(config_path)), mode=mode, dry_run=dry_run)
    click.echo("")
    if result["status"] == "registered":
        click.secho(
            f"Registered candidate version {result['version']} of {config.registry.model_name}", bold=True
        )
        click.echo(_format_metrics(result["metrics"]))
        click.echo(f"Review it, then: memo approve {result['version']}")
    else:
        click.echo(f"Corpus v{result['corpus_version']}: {result['status']}")


@main.command()
@config_option
@click.argument("version")
@click.option("--reviewer", default=None, help="Name recorded as approver (default: the OS user).")
@click.option("--override-gate", is_flag=True, help="Promote a version whose gate failed; recorded on it.")
def approve(config_path: str | None, version: str, reviewer: str | None, override_gate: bool) -> None:
    """Approve VERSION (a number, or 'candidate') and make it the champion."""
    from memo_core.registry import RegistryError
    from memo_core.update import open_registry

    registry = open_registry(_load(config_path))
    try:
        approved = registry.approve(version, reviewer=reviewer, override_gate=override_gate)
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Version {approved.version} of {registry.model_name} is now champion.")


@main.command()
@config_option
@click.argument("question")
@click.option("--trace", is_flag=True, help="Print each sub-question and the memory's answer.")
@click.option("--version", "ref", default="champion", show_default=True, help="Model version or alias.")
@click.option("--json", "as_json", is_flag=True, help="Print answer and trace as JSON.")
def ask(config_path: str | None, question: str, trace: bool, ref: str, as_json: bool) -> None:
    """Answer QUESTION through the executive, interrogating the champion memory."""
    from memo_core.executive import OfflineExecutive
    from memo_core.memory.model import MemoryModel
    from memo_core.registry import RegistryError
    from memo_core.update import open_registry

    config = _load(config_path)
    try:
        memory_dir = open_registry(config).memory_dir(ref)
    except RegistryError as exc:
        raise click.ClickException(f"{exc}; run `memo update` and `memo approve` first") from None
    memory = MemoryModel.load(memory_dir, config.memory.max_new_tokens)
    result = OfflineExecutive(memory.answer, config.executive).ask(question)
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2))
        return
    if trace:
        for step in result.trace:
            click.echo(f"  [{step.stage}] {step.sub_question}  ->  {step.memory_answer}")
    click.echo(result.answer)


@main.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print versions as JSON.")
def status(config_path: str | None, as_json: bool) -> None:
    """List model versions with their aliases, corpus version, gate, approval and scores."""
    from memo_core.update import open_registry

    registry = open_registry(_load(config_path))
    rows = []
    for version in registry.versions():
        metrics = registry.client.get_run(version.run_id).data.metrics if version.run_id else {}
        rows.append(
            {
                "version": version.version,
                "aliases": sorted(version.aliases),
                "corpus_version": version.tags.get("corpus_version"),
                "mode": version.tags.get("mode"),
                "gate": version.tags.get("gate"),
                "approval": version.tags.get("approval"),
                "metrics": {k: metrics[k] for k in sorted(metrics) if not k.startswith("champion_")},
            }
        )
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
        click.echo(
            f"{row['version']:>7}  {','.join(row['aliases']) or '-':<20} {row['corpus_version'] or '-':>6}  "
            f"{row['mode'] or '-':<11} {row['gate'] or '-':<7} {row['approval'] or '-':<9} {scores}"
        )


@main.command()
@config_option
def sources(config_path: str | None) -> None:
    """List the sources and the changes the next update would process (reads only)."""
    from memo_core.manifest import format_sources_report
    from memo_core.update import open_store

    config = _load(config_path)
    click.echo(format_sources_report(config.sources, open_store(config)))


def _format_metrics(metrics: dict[str, Any]) -> str:
    keys = [k for k in metrics if k.endswith("_em") or k.endswith("_f1")]
    return "\n".join(f"  {k:<32} {metrics[k]:.3f}" for k in sorted(keys))


if __name__ == "__main__":
    sys.exit(main())
