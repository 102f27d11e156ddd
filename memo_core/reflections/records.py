"""Reflection records: the question-answer pairs MEMORY is trained on, with their provenance.

Every record carries where its fact came from (document, chunk, character spans), which corpus version and
generator produced it, and whether it is a training pair or a held-out probe, so evaluation, lineage and
the per-document cache can all work from the same rows.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from memo_core.text import normalise_text

KINDS = ("direct", "inferred", "consolidated", "entity", "cross_document", "abstain")
STEPS = ("extraction", "consolidation", "verification", "entity_surfacing", "cross_document")
SPLITS = ("train", "probe")


def reflection_id(question: str, answer: str) -> str:
    """Stable id of a pair: the same question and answer get the same id in every run and version."""
    key = f"{normalise_text(question)}\x1f{normalise_text(answer)}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Reflection:
    """One self-contained question-answer pair and where it came from."""

    id: str
    question: str
    answer: str
    kind: str
    step: str
    document_ids: tuple[str, ...]
    chunk_ids: tuple[str, ...]  # "<document id>#p<paragraph>", one per span: chunk_ids[i] holds spans[i]
    spans: tuple[tuple[int, int], ...]  # character offsets in that document's Document.text
    corpus_version: int
    generator: str
    generator_hash: str
    split: str = "train"
    fact_id: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {self.kind!r}")
        if self.step not in STEPS:
            raise ValueError(f"step must be one of {STEPS}, not {self.step!r}")
        if self.split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, not {self.split!r}")

    @classmethod
    def create(cls, question: str, answer: str, **fields: Any) -> Reflection:
        """A reflection whose id is derived from its question and answer (and fact_id defaults to it)."""
        rid = reflection_id(question, answer)
        fields.setdefault("fact_id", rid)
        return cls(id=rid, question=question, answer=answer, **fields)

    def with_version(self, corpus_version: int) -> Reflection:
        """The same pair stamped with another corpus version (cached reflections are re-stamped)."""
        return dataclasses.replace(self, corpus_version=corpus_version)

    def to_dict(self) -> dict[str, Any]:
        row = dataclasses.asdict(self)
        row["document_ids"] = list(self.document_ids)
        row["chunk_ids"] = list(self.chunk_ids)
        row["spans"] = [list(span) for span in self.spans]
        return row

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> Reflection:
        return cls(
            id=str(row["id"]),
            question=str(row["question"]),
            answer=str(row["answer"]),
            kind=str(row["kind"]),
            step=str(row["step"]),
            document_ids=tuple(str(d) for d in row["document_ids"]),
            chunk_ids=tuple(str(c) for c in row["chunk_ids"]),
            spans=tuple((int(s[0]), int(s[1])) for s in row["spans"]),
            corpus_version=int(row["corpus_version"]),
            generator=str(row["generator"]),
            generator_hash=str(row["generator_hash"]),
            split=str(row.get("split", "train")),
            fact_id=str(row.get("fact_id") or row["id"]),
        )


def dedupe(reflections: Iterable[Reflection]) -> list[Reflection]:
    """Drop every pair whose normalised question was already seen (the first one wins), and every probe
    whose question is also trained: a probe measures a wording the memory never saw."""
    rows = list(reflections)
    trained = {normalise_text(r.question) for r in rows if r.split == "train"}
    seen: set[str] = set()
    kept: list[Reflection] = []
    for reflection in rows:
        key = normalise_text(reflection.question)
        if key not in seen and (reflection.split == "train" or key not in trained):
            seen.add(key)
            kept.append(reflection)
    return kept


def to_jsonl(reflections: Sequence[Reflection]) -> bytes:
    return "".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in reflections).encode("utf-8")


def from_jsonl(data: bytes) -> list[Reflection]:
    return [
        Reflection.from_dict(json.loads(line)) for line in data.decode("utf-8").splitlines() if line.strip()
    ]


def save_reflections(reflections: Sequence[Reflection], path: str | Path) -> None:
    """Write ``.parquet`` (through HF datasets, for training) or ``.jsonl`` (for people), by extension."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".jsonl":
        path.write_bytes(to_jsonl(reflections))
    elif path.suffix == ".parquet":
        from datasets import Dataset, Features, Value
        from datasets import Sequence as Seq

        features = Features(
            {
                "id": Value("string"),
                "question": Value("string"),
                "answer": Value("string"),
                "kind": Value("string"),
                "step": Value("string"),
                "document_ids": Seq(Value("string")),
                "chunk_ids": Seq(Value("string")),
                "spans": Seq(Seq(Value("int64"))),
                "corpus_version": Value("int64"),
                "generator": Value("string"),
                "generator_hash": Value("string"),
                "split": Value("string"),
                "fact_id": Value("string"),
            }
        )
        rows = [r.to_dict() for r in reflections]
        columns = {name: [row[name] for row in rows] for name in features}
        Dataset.from_dict(columns, features=features).to_parquet(str(path))
    else:
        raise ValueError(
            f"{path}: reflections are saved as .parquet or .jsonl, not {path.suffix or 'no suffix'}"
        )


def load_reflections(path: str | Path) -> list[Reflection]:
    """Read what ``save_reflections`` wrote."""
    path = Path(path)
    if path.suffix == ".jsonl":
        return from_jsonl(path.read_bytes())
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return [Reflection.from_dict(row) for row in pq.read_table(path).to_pylist()]
    raise ValueError(
        f"{path}: reflections are read from .parquet or .jsonl, not {path.suffix or 'no suffix'}"
    )
