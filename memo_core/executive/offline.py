"""The offline EXECUTIVE: answers a user's question by asking the MEMORY model one hop at a time.

The question is read with the generator's English pipeline (``questions``). Its innermost hop ("the mother
of X", "the firm that employs X") is asked first, in the wordings the generator trains for that relation;
the answer the memory is surest of replaces the phrase, and the question is read again until it names its
subject directly, when it is asked as written and in its trained wordings. A hop with several
values ("the sisters of X") is followed for each, and the answer is the union. Every hop is in the trace;
when the memory knows no answer at a hop, the question is asked as it stands before giving up.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from memo_core.executive.config import ExecutiveConfig
from memo_core.executive.protocol import ExecutiveAnswer, MemoryFn, TraceStep
from memo_core.executive.questions import QuestionReader, without_in_laws
from memo_core.memory.recall import Recalled
from memo_core.text import NAME, and_list, answer_form, answer_items

ABSTAIN = "I don't know."
_ABSTAINED = frozenset({"", answer_form(ABSTAIN)})
_NAMED = re.compile(r"\bthe names? of (?=the\b|[A-Z])")  # "the name of X's mother" asks for X's mother


@dataclass(frozen=True)
class _Branch:
    """One reading of a question: its text with the hops resolved so far."""

    index: int  # the question it answers
    text: str
    names: tuple[tuple[int, int], ...] = ()  # character spans of the entities resolved into it
    hops: int = 0
    last_try: bool = False  # a hop went unanswered: only the question as it stands is left to ask


class OfflineExecutive:
    """Deterministic executive over the generator's wordings: hops resolved from the inside out."""

    def __init__(self, memory: MemoryFn, config: ExecutiveConfig | None = None) -> None:
        self.memory = memory
        self.config = config or ExecutiveConfig()
        self.reader = QuestionReader(self.config.spacy_model)

    def ask(self, question: str) -> ExecutiveAnswer:
        return self.ask_many([question])[0]

    def ask_many(self, questions: Sequence[str]) -> list[ExecutiveAnswer]:
        """Answer several questions, one batch of memory calls per round of hops across all of them."""
        results = [ExecutiveAnswer(question=q, answer="") for q in questions]
        found: list[list[str]] = [[] for _ in questions]
        active = [_Branch(i, without_in_laws(_NAMED.sub("", q))) for i, q in enumerate(questions)]
        while active:
            plans = []
            for branch in active:
                hop = None
                if not branch.last_try and branch.hops < self.config.max_hops:
                    hop = self.reader.innermost_hop(branch.text, branch.names)
                if hop:
                    asks = list(hop.asks)
                elif branch.last_try:  # its trained wordings would ask about the hop's entity instead
                    asks = [branch.text]
                else:
                    asks = self.reader.wordings(branch.text, branch.names)
                plans.append((branch, hop, asks))
            replies = self._ask([q for _, _, asks in plans for q in asks])
            following = []
            for branch, hop, asks in plans:
                own_words = branch.text if hop is None or hop.whole else ""
                answer, asked = _settled(asks, replies, own_words)
                trace = results[branch.index].trace
                if hop is None or hop.whole:
                    named = f"hop {branch.hops + 1}: {hop.phrase}" if hop else "answer"
                    trace.append(TraceStep("answer_seeking", asked or asks[0], answer or ABSTAIN, named))
                    if answer:
                        found[branch.index].append(answer)
                    continue
                named = f"hop {branch.hops + 1}: {hop.phrase}"
                trace.append(TraceStep("identification", asked or asks[0], answer or ABSTAIN, named))
                if not _entity(answer):
                    following.append(_Branch(branch.index, branch.text, branch.names, branch.hops, True))
                    continue
                for entity in _items(answer, hop.plural):
                    text = branch.text[: hop.start] + entity + branch.text[hop.end :]
                    shift = len(entity) - (hop.end - hop.start)
                    names = [(s + shift, e + shift) if s >= hop.end else (s, e) for s, e in branch.names]
                    names = [(s, e) for s, e in names if not hop.start <= s < hop.start + len(entity)]
                    names.append((hop.start, hop.start + len(entity)))
                    following.append(_Branch(branch.index, text, tuple(names), branch.hops + 1))
            active = following
        for result, answers in zip(results, found, strict=True):
            unique = list({answer_form(a): a for a in reversed(answers)}.values())[::-1]
            result.answer = and_list(unique) if unique else ABSTAIN
        return results

    def _ask(self, questions: list[str]) -> dict[str, str]:
        unique = list(dict.fromkeys(questions))
        return dict(zip(unique, self.memory(unique), strict=True)) if unique else {}


def _settled(asks: Sequence[str], replies: dict[str, str], own_words: str = "") -> tuple[str, str]:
    """The answer the wordings settle on, and the wording that gave it; ("", "") when none is sure.

    A trained memory answers its trained wordings alike and other wordings of a fact it knows as often as
    not wrongly, fluently, and rarely says it does not know; wordings built from one template go wrong
    together. So when the memory reports its confidence the surest answer counts, the user's own words
    among the candidates. Otherwise an answer counts when every wording that answered gave it, or when at
    least two gave it and more than gave any other; failing that, the memory's reply to the user's own
    words (``own_words``), as a question without hops would be answered."""
    answered = [a for a in dict.fromkeys([*asks, own_words]) if a and _answered(a, replies.get(a, ""))]
    scored = [a for a in answered if isinstance(replies[a], Recalled)]
    if scored:
        surest = max(scored, key=lambda a: cast(Recalled, replies[a]).confidence)
        return replies[surest], surest
    votes: dict[str, list[str]] = {}
    for ask in asks:
        if ask in answered:
            votes.setdefault(answer_form(replies[ask]), []).append(ask)
    ranked = sorted(votes.values(), key=len, reverse=True)
    if ranked and (len(ranked) == 1 or len(ranked[0]) >= 2 and len(ranked[0]) > len(ranked[1])):
        return replies[ranked[0][0]], ranked[0][0]
    if own_words in answered:
        return replies[own_words], own_words
    return "", ""


def _answered(question: str, reply: str) -> bool:
    """Whether the memory answered: not "I don't know.", and not with what the question itself names."""
    form = answer_form(reply)
    named = {answer_form(name.removesuffix("'s")) for name in NAME.findall(question)}
    return form not in _ABSTAINED and not reply.startswith(ABSTAIN) and form not in named


def _entity(answer: str) -> bool:
    """Whether a hop's answer names something the question can go on to ask about: "Ruth", "the Velsmouth
    Seed Bank", not "a film director" or "47 m"."""
    return answer.removeprefix("the ").removeprefix("The ")[:1].isupper()


def _items(answer: str, plural: bool) -> list[str]:
    """The entities a hop's answer names: "A, B and C" -> ["A", "B", "C"] when the hop asked for several or
    every part is a name (a singular relation may still have several values)."""
    parts = [p for p in answer_items(answer) if p]
    if len(parts) > 1 and (plural or all(p[:1].isupper() for p in parts)):
        return parts
    return [answer]
