"""The plot of scores across model versions."""

from __future__ import annotations

from pathlib import Path

from memo_core.evaluation.report import VersionScores, draw_scores, save_scores_plot

HISTORY = [
    VersionScores(1, "1", new_knowledge=0.92, retention=None),
    VersionScores(2, "2", new_knowledge=0.85, retention=0.81, retention_floor=0.82),
    VersionScores(4, "3", new_knowledge=0.88, retention=0.9, retention_floor=0.71),
]


def test_plot_is_written_as_a_png(tmp_path: Path):
    path = save_scores_plot(HISTORY, tmp_path / "scores.png")
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 1000


def test_one_point_per_version_on_each_score_it_has():
    axes = draw_scores(HISTORY).axes[0]
    lines = {line.get_label(): line for line in axes.get_lines()}
    assert list(lines["new knowledge"].get_xdata()) == [1, 2, 4]
    assert list(lines["new knowledge"].get_ydata()) == [0.92, 0.85, 0.88]
    assert list(lines["retention"].get_xdata()) == [2, 4]  # a full build has nothing to retain
    assert [t.get_text() for t in axes.get_xticklabels()] == ["v1\ncorpus 1", "v2\ncorpus 2", "v4\ncorpus 3"]


def test_the_gate_thresholds_are_drawn_with_the_scores():
    axes = draw_scores(HISTORY, min_new_knowledge=0.5).axes[0]
    lines = {line.get_label(): line for line in axes.get_lines()}
    assert list(lines["gate: min new knowledge"].get_ydata()) == [0.5, 0.5]
    floor = lines["gate: retention floor"]
    assert (list(floor.get_xdata()), list(floor.get_ydata())) == ([2, 4], [0.82, 0.71])
    assert "gate: retention floor" in [t.get_text() for t in axes.get_legend().get_texts()]
