"""Scoring memory answers and gating candidates.

Metrics are deterministic: SQuAD-style normalised exact match (any of the reference's aliases counts) and
token F1. A suite is a named list of (question, accepted answers); the gate compares a candidate's suite
scores with fixed thresholds and with the champion's, and names every check that failed.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation)


class GateConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_new_knowledge: float = Field(
        0.5, ge=0, le=1, description="lowest exact match on new-knowledge probes"
    )
    max_retention_drop: float = Field(
        0.1, ge=0, le=1, description="largest retention loss against the champion"
    )


class EvaluationConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_questions_per_suite: int = Field(
        300, ge=1, description="suites larger than this are sampled (seeded)"
    )
    questions_file: str | None = Field(
        None, description="held-out questions (jsonl) scored through the executive"
    )
    gate: GateConfig = Field(default_factory=GateConfig)


def normalize_answer(text: str) -> str:
    text = text.lower().translate(_PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, references: Sequence[str]) -> float:
    pred = normalize_answer(prediction)
    return float(any(pred == normalize_answer(ref) for ref in references))


def token_f1(prediction: str, references: Sequence[str]) -> float:
    return max((_f1(prediction, ref) for ref in references), default=0.0)


def _f1(prediction: str, reference: str) -> float:
    pred, ref = normalize_answer(prediction).split(), normalize_answer(reference).split()
    common = sum((Counter(pred) & Counter(ref)).values())
    if not pred or not ref or common == 0:
        return float(pred == ref)
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


@dataclass(frozen=True)
class QAItem:
    question: str
    answers: tuple[str, ...]
    tag: str = ""  # a grouping label, e.g. the number of hops or the corpus version


@dataclass
class SuiteResult:
    name: str
    exact_match: float
    f1: float
    count: int
    by_tag: dict[str, float] = field(default_factory=dict)
    samples: list[dict[str, str]] = field(default_factory=list)


def score_suite(name: str, items: Sequence[QAItem], answer: Callable[[list[str]], list[str]]) -> SuiteResult:
    """Ask every question of the suite in one batch and score the answers."""
    if not items:
        return SuiteResult(name, 0.0, 0.0, 0)
    predictions = answer([item.question for item in items])
    ems = [exact_match(p, item.answers) for p, item in zip(predictions, items, strict=True)]
    f1s = [token_f1(p, item.answers) for p, item in zip(predictions, items, strict=True)]
    by_tag: dict[str, list[float]] = {}
    for item, em in zip(items, ems, strict=True):
        if item.tag:
            by_tag.setdefault(item.tag, []).append(em)
    samples = [
        {"question": item.question, "expected": item.answers[0], "answer": pred}
        for item, pred in list(zip(items, predictions, strict=True))[:5]
    ]
    return SuiteResult(
        name=name,
        exact_match=sum(ems) / len(ems),
        f1=sum(f1s) / len(f1s),
        count=len(items),
        by_tag={tag: sum(v) / len(v) for tag, v in sorted(by_tag.items())},
        samples=samples,
    )


@dataclass
class GateResult:
    passed: bool
    failures: list[str]


def apply_gate(
    config: GateConfig, new_knowledge: float | None, retention: float | None, champion_retention: float | None
) -> GateResult:
    """Pass only if the candidate learnt enough new knowledge and forgot no more than allowed."""
    failures: list[str] = []
    if new_knowledge is not None and new_knowledge < config.min_new_knowledge:
        failures.append(
            f"new_knowledge {new_knowledge:.3f} < min_new_knowledge {config.min_new_knowledge:.3f}"
        )
    if retention is not None and champion_retention is not None:
        drop = champion_retention - retention
        if drop > config.max_retention_drop:
            failures.append(f"retention drop {drop:.3f} > max_retention_drop {config.max_retention_drop:.3f}")
    return GateResult(passed=not failures, failures=failures)
