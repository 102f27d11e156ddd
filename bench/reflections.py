"""Benchmark of the offline generator: fact coverage on corpora it was not written against, reflections per
document by kind, documents per second.

Corpora (bench/corpora/README.md): biographies, news, registers and a generated world, each with a dev
split (rules may be tuned on it) and a held-out split (only ever measured), and gold facts written
independently of the generator. A gold fact (subject, relation cues, value) is covered when a training
reflection citing its document names the subject, contains one of the cues (as a word or a form of it)
and answers with the value (or an alias) inside its answer.

The sample corpus keeps its earlier measure: the share of single-document questions in
examples/questions.jsonl whose reference answer appears inside a training answer of its document.

Run: .venv/bin/python bench/reflections.py  (writes bench/results/reflections.json)
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import re
import time
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

from lemminflect import getAllInflections, getAllLemmas

from memo_core.reflections.config import GeneratorConfig
from memo_core.reflections.generators.offline.generator import OfflineGenerator
from memo_core.reflections.records import Reflection
from memo_core.sources.config import SourceConfig
from memo_core.sources.scan import Document, scan_sources
from memo_core.text import answer_form, normalise_text

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
CORPORA = ROOT / "bench" / "corpora"
RESULTS = ROOT / "bench" / "results" / "reflections.json"
MIN_SECONDS = 3.0


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def scan_folder(folder: Path, name: str) -> dict[str, Document]:
    """Documents of ``folder`` by file name."""
    scan = scan_sources([SourceConfig(name=name, url=str(folder))])
    return {doc.path.rsplit("/", 1)[-1]: doc for doc in scan.documents}


@cache
def word_forms(word: str) -> frozenset[str]:
    """A word, its lemmas and their inflections: "founded" -> {"found", "founder"?, "founds", ...}."""
    forms = {word}
    for lemmas in getAllLemmas(word).values():
        forms.update(lemmas)
    for lemma in list(forms):
        for inflections in getAllInflections(lemma).values():
            forms.update(inflections)
    return frozenset(f.lower() for f in forms)


def cue_in(question: str, cues: list[str]) -> bool:
    words = normalise_text(question).split()
    wanted = {c.lower() for c in cues}
    return any(word in wanted or word_forms(word) & wanted for word in words)


def contains(haystack: str, needle: str) -> bool:
    return bool(needle) and re.search(rf"(?:^| ){re.escape(needle)}(?: |$)", haystack) is not None


def gold_coverage(
    gold: list[dict[str, Any]], documents: dict[str, Document], reflections: list[Reflection]
) -> tuple[float, list[dict[str, Any]]]:
    by_document: dict[str, list[Reflection]] = {}
    for r in reflections:
        if r.split == "train":
            for document_id in r.document_ids:
                by_document.setdefault(document_id, []).append(r)
    missed = []
    for fact in gold:
        doc = documents[fact["document"]]
        subject = normalise_text(fact["subject"])
        values = [answer_form(v) for v in [fact["value"], *fact.get("aliases", [])]]
        covered = any(
            contains(normalise_text(r.question), subject)
            and cue_in(r.question, fact["cues"])
            and any(contains(answer_form(r.answer), v) for v in values)
            for r in by_document.get(doc.id, [])
        )
        if not covered:
            missed.append(fact)
    return 1 - len(missed) / max(len(gold), 1), missed


def sample_coverage(
    questions: list[dict[str, Any]], batches: dict[int, dict[str, Document]], reflections: list[Reflection]
) -> tuple[float, list[dict[str, Any]]]:
    """The sample corpus's measure: single-document questions whose answer is inside a train answer."""
    trained: dict[str, list[str]] = {}
    for r in reflections:
        if r.split == "train" and len(r.document_ids) == 1:
            trained.setdefault(r.document_ids[0], []).append(normalise_text(r.answer))
    missed = []
    single = [q for q in questions if q["hops"] == 1]
    for q in single:
        doc = batches[q["introduced"]].get(q["documents"][0]) or batches[1][q["documents"][0]]
        answers = [normalise_text(a) for a in [q["answer"], *q.get("aliases", [])]]
        if not any(contains(t, a) for t in trained.get(doc.id, []) for a in answers):
            missed.append({"id": q["id"], "question": q["question"], "answer": q["answer"]})
    return 1 - len(missed) / len(single), missed


def reflect(documents: list[Document]) -> tuple[OfflineGenerator, list[Reflection]]:
    generator = OfflineGenerator(GeneratorConfig())
    rows = [r for doc in documents for r in generator.reflect_document(doc, 1)]
    return generator, rows + generator.reflect_corpus(documents, 1)


def documents_per_second(documents: list[Document]) -> float:
    """``reflect_document`` throughput, the pipeline loaded (its one-off load is not per document); a new
    generator each pass, as the generator keeps what it read of each text."""
    OfflineGenerator(GeneratorConfig()).reflect_document(documents[0], 1)
    start, count = time.perf_counter(), 0
    while time.perf_counter() - start < MIN_SECONDS:
        generator = OfflineGenerator(GeneratorConfig())
        for doc in documents:
            generator.reflect_document(doc, 1)
        count += len(documents)
    return count / (time.perf_counter() - start)


def kinds(rows: list[Reflection], documents: int) -> dict[str, dict[str, float]]:
    by_kind = Counter((r.kind, r.split) for r in rows)
    return {
        kind: {
            "train_per_doc": round(by_kind[(kind, "train")] / documents, 2),
            "probe_per_doc": round(by_kind[(kind, "probe")] / documents, 2),
        }
        for kind in sorted({k for k, _ in by_kind})
    }


def main() -> None:
    corpora: dict[str, Any] = {}
    for corpus in sorted(p.name for p in CORPORA.iterdir() if (p / "dev").is_dir()):
        for split in ("dev", "heldout"):
            folder = CORPORA / corpus / split
            documents = scan_folder(folder / "docs", f"{corpus}-{split}")
            gold = read_jsonl(folder / "gold.jsonl")
            generator, rows = reflect(list(documents.values()))
            share, missed = gold_coverage(gold, documents, rows)
            corpora[f"{corpus}/{split}"] = {
                "documents": len(documents),
                "gold_facts": len(gold),
                "fact_coverage": round(share, 4),
                "documents_per_second": round(documents_per_second(list(documents.values())), 1),
                "reflections_per_document_by_kind": kinds(rows, len(documents)),
                "verification": dataclasses.asdict(generator.report),
                "missed": missed if split == "dev" else len(missed),  # held-out misses are not read
            }

    batches = {n: scan_folder(EXAMPLES / f"batch{n}", f"batch{n}") for n in (1, 2)}
    sample_docs = [doc for batch in batches.values() for doc in batch.values()]
    generator, rows = reflect(sample_docs)
    sample_share, sample_missed = sample_coverage(read_jsonl(EXAMPLES / "questions.jsonl"), batches, rows)
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "generator": generator.name,
        "generator_hash": generator.settings_hash(),
        "corpora": corpora,
        "sample": {
            "documents": len(sample_docs),
            "fact_coverage": round(sample_share, 4),
            "documents_per_second": round(documents_per_second(sample_docs), 1),
            "reflections_total": len(rows),
            "reflections_per_document_by_kind": kinds(rows, len(sample_docs)),
            "missed": sample_missed,
        },
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")

    print(f"{'corpus':<22}{'docs':>6}{'facts':>7}{'coverage':>10}{'docs/s':>9}{'train/doc':>11}")
    for name, row in corpora.items():
        train = sum(k["train_per_doc"] for k in row["reflections_per_document_by_kind"].values())
        print(
            f"{name:<22}{row['documents']:>6}{row['gold_facts']:>7}{row['fact_coverage']:>10.1%}"
            f"{row['documents_per_second']:>9.1f}{train:>11.1f}"
        )
    sample = result["sample"]
    train = sum(k["train_per_doc"] for k in sample["reflections_per_document_by_kind"].values())
    print(
        f"{'examples (questions)':<22}{sample['documents']:>6}{'':>7}{sample['fact_coverage']:>10.1%}"
        f"{sample['documents_per_second']:>9.1f}{train:>11.1f}"
    )


if __name__ == "__main__":
    main()
