"""Benchmark of the offline generator on the sample corpus: fact coverage, reflections per document by kind,
documents per second.

Fact coverage is the share of single-document questions in examples/questions.jsonl whose reference answer
(or an alias), normalised, appears inside a train reflection answer generated from its source document:
a fact the generator never turned into a training pair cannot be learned by MEMORY.

Run: .venv/bin/python bench/reflections.py  (writes bench/results/reflections.json)
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

from memo_core.reflections.config import GeneratorConfig
from memo_core.reflections.generators.base import build_generator
from memo_core.reflections.records import Reflection
from memo_core.sources.config import SourceConfig
from memo_core.sources.scan import Document, scan_sources
from memo_core.text import normalise_text

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
RESULTS = ROOT / "bench" / "results" / "reflections.json"
MIN_SECONDS = 2.0


def load_batches() -> dict[int, dict[str, Document]]:
    """Documents of each batch by file name (the sample corpus names documents by file)."""
    batches = {}
    for number in (1, 2):
        scan = scan_sources([SourceConfig(name=f"batch{number}", url=str(EXAMPLES / f"batch{number}"))])
        batches[number] = {doc.path.rsplit("/", 1)[-1]: doc for doc in scan.documents}
    return batches


def contains(haystack: str, needle: str) -> bool:
    return re.search(rf"(?:^| ){re.escape(needle)}(?: |$)", haystack) is not None


def coverage(
    questions: list[dict[str, Any]],
    batches: dict[int, dict[str, Document]],
    reflections: dict[str, list[Reflection]],
    kinds: tuple[str, ...] = ("direct", "inferred", "consolidated", "entity"),
) -> tuple[float, list[dict[str, Any]]]:
    """Share of single-document questions answered in a train reflection (of ``kinds``) of their document."""
    missed = []
    single = [q for q in questions if q["hops"] == 1]
    for q in single:
        doc = batches[q["introduced"]].get(q["documents"][0]) or batches[1][q["documents"][0]]
        answers = [normalise_text(a) for a in [q["answer"], *q.get("aliases", [])]]
        trained = [
            normalise_text(r.answer) for r in reflections[doc.id] if r.split == "train" and r.kind in kinds
        ]
        if not any(contains(t, a) for t in trained for a in answers if a):
            missed.append(
                {"id": q["id"], "question": q["question"], "answer": q["answer"], "document": doc.id}
            )
    return 1 - len(missed) / len(single), missed


def main() -> None:
    batches = load_batches()
    documents = [doc for batch in batches.values() for doc in batch.values()]
    questions = [
        json.loads(line) for line in (EXAMPLES / "questions.jsonl").read_text().splitlines() if line.strip()
    ]

    generator = build_generator(GeneratorConfig())
    reflections = {doc.id: generator.reflect_document(doc, 1) for doc in documents}
    start = time.perf_counter()
    corpus = generator.reflect_corpus(documents, 1)
    corpus_seconds = time.perf_counter() - start
    report = getattr(generator, "report", None)  # the offline generator counts what verification did

    timed = build_generator(GeneratorConfig())
    start = time.perf_counter()
    rounds = 0
    while time.perf_counter() - start < MIN_SECONDS:
        for doc in documents:
            timed.reflect_document(doc, 1)
        rounds += 1
    docs_per_second = rounds * len(documents) / (time.perf_counter() - start)

    share, missed = coverage(questions, batches, reflections)
    single_fact_share, _ = coverage(questions, batches, reflections, kinds=("direct", "inferred"))
    rows = [r for rs in reflections.values() for r in rs] + corpus
    by_kind = Counter((r.kind, r.split) for r in rows)
    table = {
        kind: {
            "train_per_doc": round(by_kind[(kind, "train")] / len(documents), 2),
            "probe_per_doc": round(by_kind[(kind, "probe")] / len(documents), 2),
        }
        for kind in sorted({k for k, _ in by_kind})
    }
    result = {
        "generator": generator.name,
        "generator_hash": generator.settings_hash(),
        "documents": len(documents),
        "single_document_questions": sum(1 for q in questions if q["hops"] == 1),
        "fact_coverage": round(share, 4),
        "fact_coverage_single_fact_pairs": round(single_fact_share, 4),
        "missed": missed,
        "reflections_per_document_by_kind": table,
        "reflections_total": len(rows),
        "documents_per_second": round(docs_per_second, 1),
        "reflect_corpus_seconds": round(corpus_seconds, 3),
        "verification": dataclasses.asdict(report) if report is not None else None,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")

    print(f"fact coverage (hops=1): {share:.1%} of {result['single_document_questions']} questions")
    print(f"  counting direct and inferred one-fact pairs only: {single_fact_share:.1%}")
    print(f"documents per second (reflect_document): {docs_per_second:.1f}")
    print(f"reflect_corpus (cross-document step) on {len(documents)} documents: {corpus_seconds:.3f} s")
    if report is not None:
        print(f"verification: {report.passed} passed, {report.rewritten} rewritten, {report.dropped} dropped")
    print(f"{'kind':<16}{'train/doc':>10}{'probe/doc':>10}")
    for kind, row in table.items():
        print(f"{kind:<16}{row['train_per_doc']:>10}{row['probe_per_doc']:>10}")
    for m in missed:
        print(f"  missed {m['id']} [{m['document']}] {m['question']} -> {m['answer']}")


if __name__ == "__main__":
    main()
