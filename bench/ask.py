"""Benchmark of asking: the MEMORY through the offline executive against a BM25 retrieval baseline driven
by the same executive, split by hop count.

Sample corpus (needs a champion: run `make demo` first, or pass --config for another store): the champion
memory on the held-out questions of examples/questions.jsonl.

Corpora of bench/corpora (dev and held-out splits): no memory is trained for them here, so MeMo's column is
a memory that recalls exactly the generator's training questions and knows nothing else (what the trained
memory does on its training wording, EM 1.0 in the demo); it measures whether the executive reaches the
facts through the wordings the generator trains. BM25 reads the same documents. With --train each split is
also learnt by the production update (`memo update`, a full build in one training process, under
.memo/bench-ask/) and its candidate memory is asked the same questions: MeMo itself.

BM25 (bm25s over 120-word passages): each sub-question retrieves the top passages, and a reader answers with
the offline generator's fact from those passages whose question is closest to the sub-question. Context
tokens are what an executive LLM would have to read per question: memory answers (MeMo) or retrieved
passages (BM25), counted with the memory's tokenizer (sample corpus only).

Run: .venv/bin/python bench/ask.py [--config examples/demo.yaml] [--what all|sample|corpora] [--train]
(writes bench/results/ask.json)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

from memo_core.config import load_config
from memo_core.evaluation.metrics import QAItem, set_f1, token_f1
from memo_core.evaluation.suites import question_item
from memo_core.executive.protocol import build_executive
from memo_core.memory.model import MemoryModel
from memo_core.reflections.chunking import Chunk, chunk_document
from memo_core.reflections.config import ChunkingConfig
from memo_core.reflections.generators.offline.generator import OfflineGenerator
from memo_core.reflections.records import dedupe
from memo_core.runtime import open_registry
from memo_core.sources.config import SourceConfig
from memo_core.sources.scan import Document, scan_sources
from memo_core.text import normalise_text

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "ask.json"
CORPORA = ROOT / "bench" / "corpora"
TOP_K = 3
HOPS = ("1-hop", "2-hop", "3-hop", "4+-hop")
ABSTAIN = "I don't know."


class CountingMemory:
    """Wraps a memory function, counting questions asked and the tokens an executive reads back."""

    def __init__(
        self, answer: Callable[[list[str]], list[str]], context: Callable[[list[str], list[str]], int]
    ):
        self.answer = answer
        self.context = context
        self.calls = 0
        self.tokens = 0

    def __call__(self, questions: list[str]) -> list[str]:
        answers = self.answer(questions)
        self.calls += len(questions)
        self.tokens += self.context(questions, answers)
        return answers


class BM25Reader:
    """Retrieval baseline: BM25 over passages, then the closest offline-generated fact in the top passages."""

    def __init__(self, documents: Sequence[Document]) -> None:
        import bm25s

        self.passages: list[Chunk] = [
            chunk for d in documents for chunk in chunk_document(d, ChunkingConfig(size=120, overlap=20))
        ]
        self.retriever = bm25s.BM25()
        self.retriever.index(
            bm25s.tokenize([p.text for p in self.passages], show_progress=False), show_progress=False
        )
        self.generator = OfflineGenerator()
        self._facts: dict[int, list[tuple[set[str], str]]] = {}
        self.retrieved: list[list[str]] = []

    def _passage_facts(self, index: int) -> list[tuple[set[str], str]]:
        if index not in self._facts:
            chunk = self.passages[index]
            doc = Document(
                id=chunk.document_id, source="bm25", path=chunk.document_id, text=chunk.text, content_hash=""
            )
            self._facts[index] = [
                (set(normalise_text(f.question).split()), f.answer) for f in self.generator.facts(doc)
            ]
        return self._facts[index]

    def __call__(self, questions: list[str]) -> list[str]:
        import bm25s

        hits, _ = self.retriever.retrieve(
            bm25s.tokenize(questions, show_progress=False), k=TOP_K, show_progress=False
        )
        answers = []
        for question, row in zip(questions, hits, strict=True):
            self.retrieved.append([self.passages[int(i)].text for i in row])
            asked = set(normalise_text(question).split())
            best, best_score = "", 0.0
            for index in row:
                for words, answer in self._passage_facts(int(index)):
                    score = len(asked & words) / (len(asked | words) or 1)
                    if score > best_score:
                        best, best_score = answer, score
            answers.append(best)
        return answers


def questions_about(documents: Sequence[Document], questions_file: Path) -> list[QAItem]:
    """Held-out questions whose cited documents are all here and still state the answer."""
    by_name = {d.path.rsplit("/", 1)[-1]: d.text for d in documents}
    items = []
    for line in questions_file.read_text().splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        texts = [by_name.get(p) for p in row["documents"]]
        item = question_item(row)
        if all(texts) and any(a in t for a in item.items or item.answers for t in texts if t):
            items.append(item)
    return items


def recall_memory(documents: Sequence[Document]) -> Callable[[list[str]], list[str]]:
    """A memory that answers exactly the offline generator's training questions, and abstains otherwise."""
    generator = OfflineGenerator()
    rows = [r for d in documents for r in generator.reflect_document(d, 1)]
    rows = dedupe(rows + generator.reflect_corpus(documents, 1))
    table = {normalise_text(r.question): r.answer for r in rows if r.split == "train"}
    return lambda questions: [table.get(normalise_text(q), ABSTAIN) for q in questions]


def run(name: str, items: Sequence[QAItem], memory: CountingMemory, config: Any) -> dict[str, Any]:
    executive = build_executive(memory, config.executive)
    rows = []
    for item in items:
        calls, tokens = memory.calls, memory.tokens
        start = time.perf_counter()
        answer = executive.ask(item.question).answer
        rows.append(
            {
                "tag": item.tag,
                "em": item.exact_match(answer),
                "f1": token_f1(answer, item.answers),
                "set_f1": set_f1(answer, item.expected_items),
                "seconds": time.perf_counter() - start,
                "memory_calls": memory.calls - calls,
                "context_tokens": memory.tokens - tokens,
            }
        )

    def summary(selected: list[dict[str, Any]]) -> dict[str, float]:
        if not selected:
            return {}
        seconds = sorted(r["seconds"] for r in selected)
        return {
            "questions": len(selected),
            "em": round(statistics.fmean(r["em"] for r in selected), 3),
            "f1": round(statistics.fmean(r["f1"] for r in selected), 3),
            "set_f1": round(statistics.fmean(r["set_f1"] for r in selected), 3),
            "latency_p50_ms": round(1000 * seconds[len(seconds) // 2], 1),
            "latency_p95_ms": round(1000 * seconds[min(len(seconds) - 1, int(0.95 * len(seconds)))], 1),
            "memory_calls_per_question": round(statistics.fmean(r["memory_calls"] for r in selected), 2),
            "context_tokens_per_question": round(statistics.fmean(r["context_tokens"] for r in selected), 1),
        }

    result = {"method": name, "all": summary(rows)}
    result.update({hop: summary([r for r in rows if r["tag"] == hop]) for hop in HOPS})
    return result


def corpus_results(config: Any) -> dict[str, list[dict[str, Any]]]:
    """Each bench corpus split: the recall memory and BM25, through the same executive."""
    out = {}
    for folder in sorted(p for p in CORPORA.glob("*/*") if (p / "questions.jsonl").exists()):
        documents = scan_sources([SourceConfig(name=folder.parent.name, url=str(folder / "docs"))]).documents
        items = questions_about(documents, folder / "questions.jsonl")
        uncounted = CountingMemory(recall_memory(documents), lambda q, a: 0)
        reader = BM25Reader(documents)
        out[f"{folder.parent.name}/{folder.name}"] = [
            run("MeMo (recall memory)", items, uncounted, config),
            run("BM25 top-3 + reader", items, CountingMemory(reader, lambda q, a: 0), config),
        ]
    return out


def trained_results(folder: Path) -> dict[str, Any]:
    """A memory trained on one bench corpus split by the production update (``memo update``, one training
    process), its candidate and BM25 asked the split's questions."""
    work = ROOT / ".memo" / "bench-ask" / f"{folder.parent.name}-{folder.name}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    settings = {
        "store": {"root": str(work / "store")},
        "sources": [{"name": folder.parent.name, "url": str(folder / "docs")}],
        "training": {"mode": "full", "launcher": "none"},
        "evaluation": {"questions_file": str(folder / "questions.jsonl")},
        "registry": {"model_name": f"bench-{folder.parent.name}-{folder.name}"},
    }
    path = work / "memo.yaml"
    path.write_text(yaml.safe_dump(settings))
    env = {**os.environ, "PREFECT_HOME": str(work / "prefect"), "HF_HUB_OFFLINE": "1"}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "flows.cli", "update", "--config", str(path)], env=env, check=True)
    result = sample_results(load_config(path), folder / "docs", alias="candidate")
    result["update_seconds"] = round(time.perf_counter() - started, 1)
    return result


def print_table(title: str, results: list[dict[str, Any]]) -> None:
    print(title)
    print(
        f"  {'method':<24}{'split':<8}{'n':>4}{'EM':>7}{'F1':>7}{'set F1':>8}"
        f"{'p50 ms':>9}{'p95 ms':>9}{'calls':>7}{'ctx tok':>9}"
    )
    for result in results:
        for split in ("all", *HOPS):
            s = result[split]
            if s:
                print(
                    f"  {result['method']:<24}{split:<8}{s['questions']:>4}{s['em']:>7.3f}{s['f1']:>7.3f}"
                    f"{s['set_f1']:>8.3f}{s['latency_p50_ms']:>9.1f}{s['latency_p95_ms']:>9.1f}"
                    f"{s['memory_calls_per_question']:>7.2f}{s['context_tokens_per_question']:>9.1f}"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "examples" / "demo.yaml"))
    parser.add_argument(
        "--corpus",
        default=str(ROOT / "examples" / "batch1"),
        help="the documents the champion was trained on",
    )
    parser.add_argument("--what", choices=("all", "sample", "corpora"), default="all")
    parser.add_argument(
        "--train",
        action="store_true",
        help="also train a memory on each bench corpus split with `memo update` (minutes per split)",
    )
    parser.add_argument("--out", default=str(RESULTS), help="where the figures are written")
    args = parser.parse_args()
    config = load_config(args.config)
    figures: dict[str, Any] = {"executive": config.executive.backend}
    if args.what != "corpora":
        figures["sample"] = sample_results(config, Path(args.corpus))
        sample = figures["sample"]
        print_table(
            f"sample corpus {sample['corpus']}, champion v{sample['model_version']}", sample["results"]
        )
    if args.what != "sample":
        figures["corpora"] = corpus_results(config)
        for name, results in figures["corpora"].items():
            print_table(f"bench/corpora/{name}", results)
    if args.train:
        figures["trained"] = {}
        for folder in sorted(p for p in CORPORA.glob("*/*") if (p / "questions.jsonl").exists()):
            name = f"{folder.parent.name}/{folder.name}"
            figures["trained"][name] = trained = trained_results(folder)
            print_table(f"bench/corpora/{name}, memory trained by memo update", trained["results"])
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"wrote {out}")


def sample_results(config: Any, corpus: Path, alias: str = "champion") -> dict[str, Any]:
    """The memory registered as ``alias`` and BM25 on the held-out questions of its corpus."""
    registry = open_registry(config)
    champion = registry.get(alias)
    documents = scan_sources([SourceConfig(name="docs", url=str(corpus))]).documents
    items = questions_about(
        documents, Path(config.evaluation.questions_file or ROOT / "examples/questions.jsonl")
    )
    memory = MemoryModel.load(registry.memory_dir(alias), config.memory.max_new_tokens)

    def count(texts: Sequence[str]) -> int:
        return sum(len(memory.tokenizer(t)["input_ids"]) for t in texts)

    memo = CountingMemory(memory.answer, lambda q, a: count(q) + count(a))
    reader = BM25Reader(documents)

    def bm25_context(questions: list[str], answers: list[str]) -> int:
        passages = reader.retrieved[-len(questions) :]
        return count(questions) + sum(count(p) for p in passages)

    bm25 = CountingMemory(reader, bm25_context)
    return {
        "model_version": str(champion.version),
        "corpus": corpus.name,
        "questions": len(items),
        "results": [
            run(f"MeMo ({alias} memory)", items, memo, config),
            run("BM25 top-3 + reader", items, bm25, config),
        ],
    }


if __name__ == "__main__":
    main()
