"""Scoring memory answers and gating candidates.

Metrics are deterministic by default: SQuAD-style normalised exact match (any of the reference's aliases
counts) and token F1; an LLM judge (``memo_core.evaluation.judge``) can be added. A suite is a named list of
(question, accepted answers); an item may also carry answers that are no longer true (a changed fact, a
removed document), and the suite then reports how often the model still gives one of them. The gate
compares a candidate's scores with fixed thresholds and with the champion's, and names every check that
failed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from memo_core.text import answer_form, answer_items

# questions, accepted answers per question, answers -> whether each answer is correct (None: unjudged)
JudgeFn = Callable[[Sequence[str], Sequence[Sequence[str]], Sequence[str]], list[bool | None]]


def exact_match(prediction: str, references: Sequence[str]) -> float:
    pred = answer_form(prediction)
    return float(any(pred == answer_form(ref) for ref in references))


def token_f1(prediction: str, references: Sequence[str]) -> float:
    return max((_f1(prediction, ref) for ref in references), default=0.0)


def _f1(prediction: str, reference: str) -> float:
    pred, ref = answer_form(prediction).split(), answer_form(reference).split()
    common = sum((Counter(pred) & Counter(ref)).values())
    if not pred or not ref or common == 0:
        return float(pred == ref)
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def set_f1(prediction: str, expected: Sequence[Sequence[str]]) -> float:
    """F1 of the predicted items against the expected ones, each expected item with its accepted forms:
    "A and C" for {A, B} has precision 1/2, recall 1/2. A whole prediction that matches a single expected
    item counts as one item, so "Pell & Marr" or "Smith and Sons" is not split against itself."""
    if not expected:
        return 0.0
    forms = [{answer_form(f) for f in item} for item in expected]
    whole = answer_form(prediction)
    predicted = (
        [whole] if any(whole in f for f in forms) else [answer_form(p) for p in answer_items(prediction)]
    )
    predicted = list(dict.fromkeys(p for p in predicted if p))
    matched = {i for p in predicted for i, f in enumerate(forms) if p in f}
    correct = sum(any(p in f for f in forms) for p in predicted)
    if not predicted or not matched:
        return 0.0
    precision, recall = correct / len(predicted), len(matched) / len(forms)
    return 2 * precision * recall / (precision + recall)


@dataclass(frozen=True)
class QAItem:
    question: str
    answers: tuple[str, ...]  # empty when nothing is true any more (the only source was removed)
    tag: str = ""  # a grouping label, e.g. the number of hops or the corpus version
    old_answers: tuple[str, ...] = ()  # answers that were true before this corpus version
    items: tuple[str, ...] = ()  # a set-valued answer's items ("the sisters of X"); answers then list it

    @property
    def expected_items(self) -> list[tuple[str, ...]]:
        """What set F1 matches against: each item of a set, or the one answer with its aliases."""
        return [(i,) for i in self.items] if self.items else [self.answers]

    def exact_match(self, prediction: str) -> float:
        """Exact match, for a set-valued answer every item and no other."""
        if self.items:
            return float(set_f1(prediction, self.expected_items) == 1.0)
        return exact_match(prediction, self.answers)


@dataclass
class SuiteResult:
    name: str
    exact_match: float | None  # None when no question of the suite has a true answer
    f1: float | None
    count: int
    set_f1: float | None = None  # items of each answer against the expected ones (sets: "A, B and C")
    by_tag: dict[str, float] = field(default_factory=dict)  # exact match per tag
    samples: list[dict[str, str]] = field(default_factory=list)
    old_answer_rate: float | None = None  # share of questions with old answers still answered with one
    judged_correct: float | None = None  # share correct by exact match or, failing that, the judge
    unjudged: int = 0  # answers the judge gave no usable verdict on (counted as wrong)


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def score_suite(
    name: str,
    items: Sequence[QAItem],
    answer: Callable[[list[str]], list[str]],
    judge: JudgeFn | None = None,
) -> SuiteResult:
    """Ask every question of the suite in one batch and score the answers."""
    if not items:
        return SuiteResult(name, None, None, 0)
    predictions = answer([item.question for item in items])
    pairs = list(zip(items, predictions, strict=True))
    with_answers = [(item, p) for item, p in pairs if item.answers]
    ems = [item.exact_match(p) for item, p in with_answers]
    by_tag: dict[str, list[float]] = {}
    for (item, _), em in zip(with_answers, ems, strict=True):
        if item.tag:
            by_tag.setdefault(item.tag, []).append(em)
    with_old = [(item, p) for item, p in pairs if item.old_answers]
    result = SuiteResult(
        name=name,
        exact_match=_mean(ems),
        f1=_mean([token_f1(p, item.answers) for item, p in with_answers]),
        count=len(items),
        set_f1=_mean([set_f1(p, item.expected_items) for item, p in with_answers]),
        by_tag={tag: sum(v) / len(v) for tag, v in sorted(by_tag.items())},
        samples=[_sample(item, p) for item, p in pairs[:5]],
        old_answer_rate=_mean([exact_match(p, item.old_answers) for item, p in with_old]),
    )
    if judge is not None and with_answers:
        missed = [(item, p) for (item, p), em in zip(with_answers, ems, strict=True) if not em]
        verdicts = judge(
            [i.question for i, _ in missed], [i.answers for i, _ in missed], [p for _, p in missed]
        )
        result.judged_correct = (sum(ems) + sum(v is True for v in verdicts)) / len(ems)
        result.unjudged = sum(v is None for v in verdicts)
    return result


def _sample(item: QAItem, prediction: str) -> dict[str, str]:
    sample = {"question": item.question, "expected": " | ".join(item.answers), "answer": prediction}
    if item.old_answers:
        sample["old_answer"] = " | ".join(item.old_answers)
    return sample
