"""Scores across model versions, as a plot a reviewer reads beside a candidate's report.

Every registered version's run holds its new-knowledge and retention exact match; plotted together they
show whether updates keep learning and how much each one forgets. Drawing uses matplotlib's Agg canvas
directly (no pyplot), so it needs no display and leaves no global figure state behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from memo_core.config import MemoConfig
from memo_core.evaluation.canary import CanaryResult
from memo_core.evaluation.changelog import changelog_markdown
from memo_core.evaluation.gate import GateResult
from memo_core.evaluation.metrics import SuiteResult
from memo_core.plan.planner import UpdatePlan
from memo_core.reflections.conflicts import Conflict, conflicts_markdown
from memo_core.runtime import open_store
from memo_core.store import scores_plot_key

SERIES = (("new_knowledge", "new knowledge"), ("retention", "retention"))


@dataclass(frozen=True)
class VersionScores:
    version: int
    corpus_version: str
    new_knowledge: float | None
    retention: float | None  # None for a full build: nothing earlier to retain
    retention_floor: float | None = None  # the gate's lowest retention: the champion's less the allowed drop


def draw_scores(history: Sequence[VersionScores], min_new_knowledge: float | None = None) -> Figure:
    """One line per score, one point per version that has it, and the gate's thresholds: the lowest new
    knowledge as a line, each incremental version's retention floor as a mark below its retention."""
    figure = Figure(figsize=(max(4.0, 1.2 * len(history) + 2), 3.2), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for attribute, label in SERIES:
        points = [(h.version, value) for h in history if (value := getattr(h, attribute)) is not None]
        if points:
            xs, ys = zip(*points, strict=True)
            axes.plot(xs, ys, marker="o", label=label)
    floors = [(h.version, h.retention_floor) for h in history if h.retention_floor is not None]
    if floors:
        xs, ys = zip(*floors, strict=True)
        axes.plot(
            xs, ys, linestyle="none", marker="_", markersize=14, color="C1", label="gate: retention floor"
        )
    if min_new_knowledge is not None:
        axes.axhline(
            min_new_knowledge, linestyle="--", color="C0", alpha=0.6, label="gate: min new knowledge"
        )
    axes.set_xticks(
        [h.version for h in history], [f"v{h.version}\ncorpus {h.corpus_version}" for h in history]
    )
    axes.set_ylim(-0.02, 1.02)
    axes.set_ylabel("exact match")
    axes.set_title("memo: scores by model version")
    axes.grid(alpha=0.3)
    axes.legend(loc="best")
    return figure


def save_scores_plot(
    history: Sequence[VersionScores], path: str | Path, min_new_knowledge: float | None = None
) -> Path:
    """The plot of ``history`` as a PNG at ``path``."""
    path = Path(path)
    draw_scores(history, min_new_knowledge).savefig(path, format="png", dpi=100)
    return path


@dataclass
class EvaluationReport:
    candidate_id: str
    suites: dict[str, SuiteResult]
    champion_suites: dict[str, SuiteResult]
    canary: CanaryResult
    gate: GateResult
    training: dict[str, Any]
    data: dict[str, Any] = field(default_factory=dict)  # conflicts, documents left out, skipped files
    changelog: dict[str, Any] = field(default_factory=dict)  # facts added, changed, removed (changelog.py)

    def metrics(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for prefix, suites in (("", self.suites), ("champion_", self.champion_suites)):
            for name, suite in suites.items():
                if suite.exact_match is not None:
                    out[f"{prefix}{name}_em"] = round(suite.exact_match, 4)
                    for tag, value in suite.by_tag.items():
                        out[f"{prefix}{name}_em_{tag.replace('-', '_')}"] = round(value, 4)
                if prefix:
                    continue
                if suite.f1 is not None:
                    out[f"{name}_f1"] = round(suite.f1, 4)
                if suite.set_f1 is not None and name == "heldout":
                    out[f"{name}_set_f1"] = round(suite.set_f1, 4)
                if suite.old_answer_rate is not None:
                    out[f"{name}_old_answer_rate"] = round(suite.old_answer_rate, 4)
                if suite.judged_correct is not None:
                    out[f"{name}_judge"] = round(suite.judged_correct, 4)
        out["canary_perplexity"] = round(self.canary.perplexity, 4)
        if self.canary.reference_perplexity is not None and self.canary.drift is not None:
            out[f"{self.canary.reference}_canary_perplexity"] = round(self.canary.reference_perplexity, 4)
            out["canary_drift"] = round(self.canary.drift, 4)
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "candidate_id": self.candidate_id,
            "gate": {
                "passed": self.gate.passed,
                "failures": self.gate.failures,
                "checks": [asdict(check) for check in self.gate.checks],
            },
            "metrics": self.metrics(),
            "suites": {k: asdict(v) for k, v in self.suites.items()},
            "champion_suites": {k: asdict(v) for k, v in self.champion_suites.items()},
            "canary": asdict(self.canary),
            "training": self.training,
            "data": self.data,
            "changelog": self.changelog,
        }


def _score(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def render_report(plan: UpdatePlan, report: dict[str, Any], version: str | None = None) -> str:
    """The candidate's report in markdown, for the Prefect artifact and the MLflow run."""
    gate = report["gate"]
    suites, champion_suites = report["suites"], report["champion_suites"]
    lines = [
        f"# memo knowledge update: corpus v{plan.corpus_version}",
        "",
        f"- candidate: `{plan.candidate_id}`" + (f", registered as version **{version}**" if version else ""),
        f"- mode: **{plan.mode}**"
        + (
            f" from version {plan.parent_version} (corpus v{plan.parent_corpus_version})"
            if plan.parent_version
            else ""
        ),
        f"- documents new or changed: {len(plan.new_documents)}, removed: {len(plan.removed_documents)}, "
        f"moved: {len(plan.moved_documents)}",
        f"- gate: **{'passed' if gate['passed'] else 'FAILED'}**"
        + "".join(
            f"\n  - {c['name']}: {c['value']:.3f} (limit {c['limit']:.3f}) "
            + ("passed" if c["passed"] else "**failed**")
            for c in gate.get("checks", [])
        ),
        "",
    ]
    changes = changelog_markdown(report.get("changelog", {}))
    if changes:
        lines += changes + [""]
    judged = any(s.get("judged_correct") is not None for s in suites.values())
    lines += [
        "| suite | questions | exact match | F1 | set F1 | old answer given | champion EM |"
        + (" judge |" if judged else ""),
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |" + (" ---: |" if judged else ""),
    ]
    for name, suite in suites.items():
        champion = champion_suites.get(name, {})
        set_f1 = suite.get("set_f1") if name == "heldout" else None
        row = (
            f"| {name} | {suite['count']} | {_score(suite['exact_match'])} | {_score(suite['f1'])} | "
            f"{_score(set_f1)} | {_score(suite.get('old_answer_rate'))} | "
            f"{_score(champion.get('exact_match'))} |"
        )
        lines.append(row + (f" {_score(suite.get('judged_correct'))} |" if judged else ""))
    if "new_knowledge_probes" in suites:
        lines += [
            "",
            "*new_knowledge* is recall of the pairs trained; *new_knowledge_probes* asks the same facts in "
            "wordings never trained (generalisation); *heldout* asks questions in users' words through the "
            'executive, set F1 scoring the items of answers such as "A, B and C".',
        ]
    if any(s.get("old_answer_rate") is not None for s in suites.values()):
        lines += [
            "",
            "*old answer given*: share of questions whose answer changed (changed_facts) or whose only "
            "documents were removed (removed_documents) still answered with the old answer.",
        ]
    by_version = suites.get("retention", {}).get("by_tag", {})
    if by_version:
        champion_by_version = champion_suites.get("retention", {}).get("by_tag", {})
        lines += ["", "Retention by the corpus version that introduced the fact:", ""]
        lines += ["| corpus version | exact match | champion EM |", "| --- | ---: | ---: |"]
        lines += [
            f"| {tag} | {value:.3f} | {_score(champion_by_version.get(tag))} |"
            for tag, value in by_version.items()
        ]
    canary = report.get("canary")
    if canary:
        compared = (
            f"; {canary['reference']} {canary['reference_perplexity']:.2f}, drift {canary['drift']:+.1%}"
            if canary["drift"] is not None
            else "; no pretrained model to compare with"
        )
        lines += [
            "",
            f"General-text canary: perplexity {canary['perplexity']:.2f} over {canary['tokens']} tokens"
            + compared
            + ".",
        ]
    training = report["training"]
    lines += [
        "",
        f"Training: {training['steps']} steps on {training['examples']} examples "
        f"({training['new_examples']} new, {training['replay_examples']} replayed, "
        f'{training.get("abstention_examples", 0)} "I don\'t know"), final loss '
        f"{training['final_loss']:.4f}, {training['tokens_per_second']:.0f} tokens/s, "
        f"{training['seconds']:.0f} s"
        + (
            f", LoRA adapter of {training['trainable_parameters']:,} weights"
            if training.get("adapter")
            else ""
        )
        + ".",
    ]
    lines += _data_lines(report.get("data", {}))
    for name, title in (("changed_facts", "Changed facts"), ("heldout", "Held-out")):
        samples = suites.get(name, {}).get("samples", [])
        if samples:
            old = name == "changed_facts"
            lines += ["", f"{title} samples:", ""]
            lines += [
                "| question | expected | answer |" + (" old answer |" if old else ""),
                "| --- | --- | --- |" + (" --- |" if old else ""),
            ]
            lines += [
                f"| {s['question']} | {s['expected']} | {s['answer']} |"
                + (f" {s.get('old_answer', '')} |" if old else "")
                for s in samples
            ]
    return "\n".join(lines) + "\n"


def _data_lines(data: dict[str, Any], limit: int = 20) -> list[str]:
    """The report's sections on the corpus: conflicting facts, documents left out, skipped files."""
    lines: list[str] = []
    conflicts = [
        Conflict(c["question"], tuple((v["answer"], tuple(v["document_ids"])) for v in c["values"]))
        for c in data.get("conflicts", [])
    ]
    if conflicts:
        lines += ["", conflicts_markdown(conflicts, limit).rstrip("\n")]
    for title, rows in (
        ("Documents left out of this run (gone or changed after the scan)", data.get("left_out", {}).items()),
        (
            "Files the scan skipped",
            [(f"{s['source']}/{s['path']}", s["reason"]) for s in data.get("skipped", [])],
        ),
    ):
        rows = list(rows)
        if rows:
            lines += ["", f"{title}: {len(rows)}", "", "| file | reason |", "| --- | --- |"]
            lines += [f"| {name} | {reason} |" for name, reason in rows[:limit]]
            if len(rows) > limit:
                lines += ["", f"and {len(rows) - limit} more"]
    return lines


def markdown_links(links: dict[str, str]) -> str:
    """Pages named by what they show, as one line of markdown links."""
    return " · ".join(f"[{name}]({url})" for name, url in links.items())


def report_markdown(
    config: MemoConfig,
    plan: UpdatePlan,
    report_key: str | None,
    version: str | None,
    links: dict[str, str] | None = None,
) -> str:
    """The report of an update for the Prefect artifact: ``links`` (MLflow pages by what they show) lead it,
    and the scores plot is drawn from the ``scores plot`` link, the tracking server serving the image."""
    if report_key is None:
        what = "nothing changed since the champion's corpus" if plan.is_empty else "dry run: nothing trained"
        return (
            f"# memo knowledge update: corpus v{plan.corpus_version}\n\n{what}.\n\n"
            f"- mode: {plan.mode}\n- new or changed: {plan.new_documents}\n"
            f"- removed: {plan.removed_documents}\n"
            f"- moved: {plan.moved_documents}\n"
        )
    links = dict(links or {})
    plot_url = links.pop("scores plot", None)
    store = open_store(config)
    markdown = render_report(plan, store.read_json(report_key), version)
    if links:
        title, _, body = markdown.partition("\n")
        markdown = f"{title}\n\nIn MLflow: {markdown_links(links)}\n{body}"
    plot = scores_plot_key(report_key)
    if plot_url:
        markdown += f"\n![Scores by model version]({plot_url})\n"
    if store.exists(plot):
        markdown += f"\nScores across versions: `{store.uri(plot)}`\n"
    return markdown
