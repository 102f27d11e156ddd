"""Evaluation suites built from provenance: new knowledge and its probes, retention of every earlier corpus
version, changed facts, facts of removed documents, abstention, and the held-out questions.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from memo_core.config import MemoConfig
from memo_core.evaluation.metrics import QAItem, exact_match
from memo_core.plan.planner import UpdatePlan
from memo_core.reflections.build import _corpus_documents
from memo_core.reflections.records import Reflection
from memo_core.runtime import open_store
from memo_core.sources.manifest import CorpusManifest
from memo_core.text import and_list, normalise_text
from memo_core.training.abstention import ABSTAIN_ANSWER, abstention_questions, vocabulary


def _sample(items: list[QAItem], limit: int, seed: int) -> list[QAItem]:
    return items if len(items) <= limit else random.Random(seed).sample(items, limit)


def _stratified(items: list[QAItem], limit: int, seed: int) -> list[QAItem]:
    """An equal share of ``limit`` per tag (the corpus version that introduced the fact), so a version with
    few facts is still measured and one with many does not crowd the others out."""
    groups: dict[str, list[QAItem]] = {}
    for item in items:
        groups.setdefault(item.tag, []).append(item)
    share = max(1, limit // len(groups)) if groups else 0
    return [chosen for tag in sorted(groups) for chosen in _sample(groups[tag], share, seed)]


def build_suites(
    config: MemoConfig,
    plan: UpdatePlan,
    reflections: Sequence[Reflection],
    parent_reflections: Sequence[Reflection] = (),
) -> dict[str, list[QAItem]]:
    """Evaluation suites: new knowledge (trained pairs and held-out probes of new and changed documents);
    when continuing from the champion, also retention of every earlier version, facts whose answer changed
    and facts whose only documents were removed, the last two found in ``parent_reflections`` (the
    champion's reflection set)."""
    limit, seed = config.evaluation.max_questions_per_suite, config.seed
    fresh = set(plan.new_documents)
    train_refs = [r for r in reflections if r.split == "train"]
    probes = [r for r in reflections if r.split == "probe"]

    def items(refs: Sequence[Reflection]) -> list[QAItem]:
        return [QAItem(r.question, (r.answer,), tag=f"v{r.corpus_version}") for r in refs]

    is_new = (lambda r: True) if plan.mode == "full" else (lambda r: bool(fresh.intersection(r.document_ids)))
    suites = {
        "new_knowledge": _sample(items([r for r in train_refs if is_new(r)]), limit, seed),
        "new_knowledge_probes": _sample(items([r for r in probes if is_new(r)]), limit, seed),
    }
    # Probe wordings about invented names (other names than training's): does the memory abstain?
    taken = vocabulary(f"{r.question} {r.answer}" for r in reflections)
    unknown = abstention_questions([r.question for r in probes], min(limit, 100), taken, seed + 1)
    if unknown:
        suites["abstention"] = [QAItem(q, (ABSTAIN_ANSWER,)) for q in unknown]
    if plan.mode == "incremental":
        suites["retention"] = _stratified(items([r for r in train_refs if not is_new(r)]), limit, seed)
        changed = _changed_facts(reflections, parent_reflections, fresh)
        removed = _removed_facts(reflections, parent_reflections, set(plan.removed_documents))
        for name, found in (("changed_facts", changed), ("removed_documents", removed)):
            if found:
                suites[name] = _sample(found, limit, seed)
    return suites


def _changed_facts(
    reflections: Sequence[Reflection], parent_reflections: Sequence[Reflection], fresh: set[str]
) -> list[QAItem]:
    """Questions of new or changed documents that the champion's set also asked, with another answer: the
    candidate should give the new answer and no longer the old one. Tagged by split (train or probe)."""
    before = {normalise_text(p.question): p.answer for p in parent_reflections}
    found = []
    for r in reflections:
        old = before.get(normalise_text(r.question))
        if old is not None and fresh.intersection(r.document_ids) and not exact_match(old, [r.answer]):
            found.append(QAItem(r.question, (r.answer,), tag=r.split, old_answers=(old,)))
    return found


def _removed_facts(
    reflections: Sequence[Reflection], parent_reflections: Sequence[Reflection], removed: set[str]
) -> list[QAItem]:
    """The champion's questions whose every source document was removed and that no current document
    asks any more: nothing is true for them now, the suite measures how often the old answer remains."""
    current = {normalise_text(r.question) for r in reflections}
    return [
        QAItem(p.question, (), old_answers=(p.answer,))
        for p in parent_reflections
        if removed.issuperset(p.document_ids) and normalise_text(p.question) not in current
    ]


def heldout_questions(config: MemoConfig, manifest: CorpusManifest) -> list[QAItem]:
    """Held-out questions whose answer the current corpus still states in the documents they cite."""
    if not config.evaluation.questions_file:
        return []
    by_path = {d.path: d.text for d in _corpus_documents(config, open_store(config), manifest)}
    selected = []
    for line in Path(config.evaluation.questions_file).read_text().splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        texts = [by_path.get(p) for p in row["documents"]]
        item = question_item(row)
        stated = item.items or item.answers
        if all(t is not None for t in texts) and any(a in t for a in stated for t in texts if t):
            selected.append(item)
    return selected


def question_item(row: dict[str, Any]) -> QAItem:
    """A held-out question: ``answer`` with its ``aliases``, or ``answers``, every item of a set-valued
    answer; tagged by its hop count ("1-hop", ..., "4+-hop")."""
    hops = int(row.get("hops", 1))
    tag = f"{hops}-hop" if hops < 4 else "4+-hop"
    if "answers" in row and len(row["answers"]) > 1:
        items = tuple(row["answers"])
        return QAItem(row["question"], (and_list(list(items)),), tag=tag, items=items)
    answers = (row["answer"],) if "answer" in row else (row["answers"][0],)
    return QAItem(row["question"], (*answers, *row.get("aliases", [])), tag=tag)
