"""Benchmark: scan and diff 10,000 small local documents; print a table, write bench/results/scan.json.

Phases: the first scan (everything added, manifest v1), an unchanged rescan (the idempotent re-run),
a rescan after a known mix of edits (the delta is checked against it), then an unchanged corpus of
1,000 documents twice: a full rescan, and the watcher's check (which reads only files whose stamp
changed). Wall time is measured with time.perf_counter; peak memory is the process's peak resident set
during the phase (Linux VmHWM, reset before each phase), beside the resident set it started from.
Usage: python bench/scan.py [--docs N] [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from memo_core.sources.config import SourceConfig
from memo_core.sources.manifest import ManifestStore, compute_delta, pending_changes
from memo_core.sources.scan import scan_sources
from memo_core.store import ArtifactStore

GOAL_S = 10.0  # the goal for scanning and diffing 10,000 documents on this 2-core machine
WATCH_GOAL_S = 2.0  # the goal for the watcher's check of an unchanged 1,000-document corpus
EDITS = 100  # documents changed, added, removed and moved (each) before the third phase
WORDS = [
    *("the", "instrument", "mast", "river", "station", "survey", "gauge", "reading", "winter", "storm"),
    *("engineer", "laboratory", "company", "north", "bank", "founded", "designed", "measured", "recorded"),
    *("opened", "built", "Quenlow", "Tarnholt", "Kelderwick", "Saltmere"),
]


def memory_mib(field: str) -> float:
    match = re.search(rf"{field}:\s+(\d+) kB", Path("/proc/self/status").read_text())
    return int(match.group(1)) / 1024 if match else float("nan")


def measure(name: str, action: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run ``action`` once: wall time, peak resident memory during it, and what it reports."""
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM, so the peak is this phase's own
    before = memory_mib("VmRSS")
    started = time.perf_counter()
    facts = action()
    wall = time.perf_counter() - started
    return {
        "phase": name,
        "wall_s": round(wall, 3),
        "rss_start_mib": round(before, 1),
        "peak_rss_mib": round(memory_mib("VmHWM"), 1),
        **facts,
    }


def text(rng: random.Random) -> str:
    """A small document: a heading and a few paragraphs, 0.5 to 2 KB."""
    paragraphs = [" ".join(rng.choices(WORDS, k=rng.randint(20, 60))) + "." for _ in range(rng.randint(1, 4))]
    return f"# Note {rng.randrange(10**6)}\n\n" + "\n\n".join(paragraphs) + "\n"


def make_corpus(root: Path, count: int, rng: random.Random) -> list[Path]:
    paths = []
    for i in range(count):
        path = root / f"area{i % 20:02d}" / f"topic{i % 7}" / f"doc{i:05d}.{'md' if i % 3 else 'txt'}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text(rng))
        paths.append(path)
    return paths


def edit(root: Path, paths: list[Path], rng: random.Random) -> dict[str, int]:
    """Change, add, remove and move ``EDITS`` documents each; the delta the next scan must find."""
    chosen = rng.sample(paths, 3 * EDITS)
    for path in chosen[:EDITS]:
        path.write_text(text(rng))
    for path in chosen[EDITS : 2 * EDITS]:
        path.unlink()
    for i, path in enumerate(chosen[2 * EDITS :]):
        path.rename(path.with_name(f"moved{i:03d}{path.suffix}"))
    for i in range(EDITS):
        (root / "new").mkdir(exist_ok=True)
        (root / "new" / f"added{i:03d}.md").write_text(text(rng))
    return {"added": EDITS, "changed": EDITS, "removed": EDITS, "moved": EDITS}


def run(docs: int, work: Path) -> dict[str, Any]:
    rng = random.Random(20260511)
    corpus = work / "corpus"
    started = time.perf_counter()
    paths = make_corpus(corpus, docs, rng)
    generated_s = time.perf_counter() - started
    sources = [SourceConfig(name="bench", url=str(corpus))]
    manifests = ManifestStore(ArtifactStore(str(work / "store")))

    def scan_and_record() -> dict[str, Any]:
        previous = manifests.latest()
        scan = scan_sources(sources)
        manifest, written = manifests.record(scan)
        delta = compute_delta(previous, manifest)
        return {
            "documents": len(scan.documents),
            "skipped": len(scan.skipped),
            "manifest_written": written,
            "delta": {k: v for k, v in delta.summary().items() if k != "unchanged"},
        }

    phases = [measure(f"first scan + manifest ({docs:,} new)", scan_and_record)]
    phases.append(measure("unchanged rescan + diff", scan_and_record))
    expected = edit(corpus, paths, rng)
    phases.append(measure(f"rescan + diff after {EDITS} each of add/change/remove/move", scan_and_record))
    if phases[-1]["delta"] != expected:
        raise SystemExit(f"wrong delta: {phases[-1]['delta']} != {expected}")

    small = work / "small"
    make_corpus(small, 1000, rng)
    small_sources = [SourceConfig(name="small", url=str(small))]
    small_manifests = ManifestStore(ArtifactStore(str(work / "small-store")))
    small_manifests.record(scan_sources(small_sources))

    def full_rescan() -> dict[str, Any]:
        scan = scan_sources(small_sources)
        manifest, written = small_manifests.record(scan)
        return {
            "documents": len(scan.documents),
            "files_read": len(scan.documents),
            "manifest_written": written,
        }

    def watcher_check() -> dict[str, Any]:
        pending = pending_changes(small_sources, small_manifests)
        assert pending.delta.is_empty()
        return {"documents": len(pending.current.documents), "files_read": pending.files_read}

    phases.append(measure("unchanged 1,000 documents: full rescan + diff", full_rescan))
    phases.append(measure("unchanged 1,000 documents: watcher check (stamps)", watcher_check))
    return {
        "benchmark": "bench/scan.py",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "documents": docs,
        "corpus_bytes": sum(p.stat().st_size for p in corpus.rglob("*") if p.is_file()),
        "generate_s": round(generated_s, 3),
        "goal_s": GOAL_S,
        "watch_goal_s": WATCH_GOAL_S,
        "phases": phases,
    }


def table(results: dict[str, Any]) -> str:
    rows = [("phase", "wall s", "start RSS MiB", "peak RSS MiB", "files read", "delta")]
    for p in results["phases"]:
        delta = ", ".join(f"{k} {v}" for k, v in p.get("delta", {}).items()) or "-"
        memory = (f"{p['rss_start_mib']:.0f}", f"{p['peak_rss_mib']:.0f}")
        rows.append(
            (p["phase"], f"{p['wall_s']:.2f}", *memory, str(p.get("files_read", p["documents"])), delta)
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "scan.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="memo-bench-") as work:
        results = run(args.docs, Path(work))
    print(
        f"{results['documents']:,} documents, {results['corpus_bytes'] / 1e6:.1f} MB, "
        f"{results['machine']['cpus']} CPUs (corpus written in {results['generate_s']:.1f} s)"
    )
    print(table(results))
    worst = max(p["wall_s"] for p in results["phases"][:3])
    watch = max(p["wall_s"] for p in results["phases"][3:])
    print(
        f"slowest scan + diff {worst:.2f} s (goal {GOAL_S:.0f} s); "
        f"unchanged 1,000 documents {watch:.2f} s (goal {WATCH_GOAL_S:.0f} s)"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
