"""Scores across model versions, as a plot a reviewer reads beside a candidate's report.

Every registered version's run holds its new-knowledge and retention exact match; plotted together they
show whether updates keep learning and how much each one forgets. Drawing uses matplotlib's Agg canvas
directly (no pyplot), so it needs no display and leaves no global figure state behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from memo_core.registry import MemoRegistry

SERIES = (("new_knowledge", "new knowledge"), ("retention", "retention"))


@dataclass(frozen=True)
class VersionScores:
    version: int
    corpus_version: str
    new_knowledge: float | None
    retention: float | None  # None for a full build: nothing earlier to retain


def score_history(registry: MemoRegistry) -> list[VersionScores]:
    """Each registered version's exact match on new knowledge and retention, oldest first."""
    history = []
    for version in registry.versions():
        metrics = registry.client.get_run(version.run_id).data.metrics if version.run_id else {}
        history.append(
            VersionScores(
                version=int(version.version),
                corpus_version=version.tags.get("corpus_version", "?"),
                new_knowledge=metrics.get("new_knowledge_em"),
                retention=metrics.get("retention_em"),
            )
        )
    return history


def draw_scores(history: Sequence[VersionScores]) -> Figure:
    """One line per score, one point per version that has it."""
    figure = Figure(figsize=(max(4.0, 1.2 * len(history) + 2), 3.2), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for attribute, label in SERIES:
        points = [(h.version, value) for h in history if (value := getattr(h, attribute)) is not None]
        if points:
            xs, ys = zip(*points, strict=True)
            axes.plot(xs, ys, marker="o", label=label)
    axes.set_xticks(
        [h.version for h in history], [f"v{h.version}\ncorpus {h.corpus_version}" for h in history]
    )
    axes.set_ylim(-0.02, 1.02)
    axes.set_ylabel("exact match")
    axes.set_title("memo: scores by model version")
    axes.grid(alpha=0.3)
    axes.legend(loc="best")
    return figure


def save_scores_plot(history: Sequence[VersionScores], path: str | Path) -> Path:
    """The plot of ``history`` as a PNG at ``path``."""
    path = Path(path)
    draw_scores(history).savefig(path, format="png", dpi=100)
    return path
