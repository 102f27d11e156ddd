"""The LLM generator: the five steps of the method as prompts to a chat model (an OpenAI-compatible endpoint
or a local Hugging Face model).

Each step is a function of its own: ``extract`` (direct and inferred facts of a passage), ``consolidate``
(related facts of a passage asked together), ``verify`` (self-containment judged, rewritten from the source,
dropped after ``verify_attempts``), ``surface_entities`` (an entity described without being named) and
``synthesise`` (converging facts from documents that share named entities). Every reply is parsed as JSON
against a schema; a malformed one is asked again, then dropped and counted. Every fact must quote its
evidence from the passage, which gives its character span; a fact whose quote cannot be found is dropped.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import re
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field, field_validator

from memo_core.llm import prompts, replies
from memo_core.llm.chat import ChatClient
from memo_core.llm.replies import Reply, Schema
from memo_core.reflections.chunking import Chunk, chunk_document
from memo_core.reflections.config import GeneratorConfig
from memo_core.reflections.generators.facts import Evidence, Fact, facts_to_reflections
from memo_core.reflections.generators.offline.steps import VerificationReport, wording_problems
from memo_core.reflections.generators.sentences import Sentence, split_sentences
from memo_core.reflections.records import Reflection, dedupe
from memo_core.sources.scan import Document
from memo_core.text import NAME, normalise_text

log = logging.getLogger(__name__)


# Bump when prompts or parsing change, so cached reflections of older prompts are not reused.
PROMPTS_VERSION = "1"


# Reply schemas ------------------------------------------------------------------------------------------


class FactReply(Reply):
    question: str = Field(min_length=1)
    answer: str = Field(min_length=1)
    probe: str | None = None
    kind: Literal["direct", "inferred"] = "direct"
    evidence: list[str] = Field(default_factory=list)
    entities: list[str] = Field(default_factory=list)

    @field_validator("evidence", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class FactsReply(Reply):
    facts: list[FactReply]


class VerificationReply(Reply):
    self_contained: bool
    problem: str = ""
    question: str | None = None
    answer: str | None = None


# Bookkeeping --------------------------------------------------------------------------------------------


@dataclass
class GenerationReport:
    """Counts for the run report: what verification kept, what was dropped and why."""

    verification: VerificationReport = field(default_factory=VerificationReport)
    malformed_retries: int = 0
    malformed_dropped: int = 0
    unlocated_evidence: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, count in counts.items():
                setattr(self, name, getattr(self, name) + count)

    def add_verification(self, report: VerificationReport) -> None:
        with self._lock:
            self.verification.passed += report.passed
            self.verification.rewritten += report.rewritten
            self.verification.dropped += report.dropped
            for reason, count in report.reasons.items():
                self.verification.reasons[reason] = self.verification.reasons.get(reason, 0) + count

    def to_json(self) -> dict[str, Any]:
        return {
            "verification": dataclasses.asdict(self.verification),
            "malformed_retries": self.malformed_retries,
            "malformed_dropped": self.malformed_dropped,
            "unlocated_evidence": self.unlocated_evidence,
        }


def ask(
    chat: ChatClient, step: str, schema: type[Schema], report: GenerationReport, attempts: int, **data: Any
) -> Schema | None:
    """One step's request, asked again while the reply is malformed; None (counted) once attempts run out.
    A transport failure that outlived the client's retries (``ChatError``) fails the run instead: an
    endpoint that is down must not pass for a document with nothing to say."""
    reply, malformed = replies.ask_json(chat, prompts.messages(step, **data), schema, attempts)
    if reply is None:
        log.warning("%s: reply still malformed after %d attempts; dropped", step, attempts)
        report.add(malformed_retries=malformed - 1, malformed_dropped=1)
    else:
        report.add(malformed_retries=malformed)
    return reply


# Evidence -----------------------------------------------------------------------------------------------

_SPACE = re.compile(r"\s+")


def locate(quote: str, chunk: Chunk) -> tuple[int, int] | None:
    """The span in the document of ``quote`` inside ``chunk``: found verbatim (spacing and case aside), or
    else the chunk's sentence sharing at least 60% of the quote's words."""
    wanted = _SPACE.sub(" ", quote.strip()).lower().rstrip(".")
    if not wanted:
        return None
    flat, offsets = _flatten(chunk.text)
    at = flat.lower().find(wanted)
    if at >= 0:
        return chunk.start + offsets[at], chunk.start + offsets[at + len(wanted) - 1] + 1
    words = set(normalise_text(quote).split())
    best, best_share = None, 0.6
    for start, end in split_sentences(chunk.text):
        share = len(words & set(normalise_text(chunk.text[start:end]).split())) / len(words)
        if share >= best_share:
            best, best_share = (chunk.start + start, chunk.start + end), share
    return best


def _flatten(text: str) -> tuple[str, list[int]]:
    """``text`` with runs of whitespace folded to one space, and each kept character's original offset."""
    chars: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        if ch.isspace():
            if chars and chars[-1] == " ":
                continue
            ch = " "
        chars.append(ch)
        offsets.append(i)
    return "".join(chars), offsets


def _evidence(
    quotes: Sequence[str], chunks: Sequence[Chunk], document_text: Callable[[str], str]
) -> tuple[Evidence, ...]:
    found: dict[tuple[str, int, int], Evidence] = {}
    for quote in quotes:
        for chunk in chunks:
            span = locate(quote, chunk)
            if span is not None:
                text = document_text(chunk.document_id)[span[0] : span[1]]
                sentence = Sentence(text, span[0], span[1], chunk.index, "")
                found.setdefault((chunk.document_id, *span), Evidence(chunk.document_id, sentence))
                break
    return tuple(found.values())


def to_facts(
    replies: Iterable[FactReply],
    chunks: Sequence[Chunk],
    document_text: Callable[[str], str],
    report: GenerationReport,
    kind: str | None,
    step: str,
) -> list[Fact]:
    """Replies as facts with located evidence; a reply whose evidence is nowhere in ``chunks`` is dropped."""
    out = []
    for reply in replies:
        evidence = _evidence(reply.evidence, chunks, document_text)
        if not evidence:
            report.add(unlocated_evidence=1)
            continue
        out.append(
            Fact(
                question=reply.question.strip(),
                answer=reply.answer.strip(),
                probe=(reply.probe or "").strip() or None,
                slot="llm",
                subject=", ".join(reply.entities),
                evidence=evidence,
                kind=kind or reply.kind,
                step=step,
            )
        )
    return out


def _pairs(facts: Sequence[Fact]) -> str:
    return json.dumps([{"question": f.question, "answer": f.answer} for f in facts], ensure_ascii=False)


# The five steps -----------------------------------------------------------------------------------------


@dataclass
class Step:
    """What every step needs: the model, the settings, the report it counts into, and document texts."""

    chat: ChatClient
    config: GeneratorConfig
    report: GenerationReport
    texts: dict[str, str]

    def text(self, document_id: str) -> str:
        return self.texts[document_id]

    def ask(self, step: str, schema: type[Schema], **data: Any) -> Schema | None:
        return ask(self.chat, step, schema, self.report, self.config.malformed_attempts, **data)


def extract(step: Step, chunk: Chunk) -> list[Fact]:
    """Step 1: direct and inferred facts of one passage, each with its probe and evidence."""
    reply = step.ask("extraction", FactsReply, passage=chunk.text)
    if reply is None:
        return []
    return to_facts(reply.facts, [chunk], step.text, step.report, kind=None, step="extraction")


def consolidate(step: Step, chunk: Chunk, facts: Sequence[Fact]) -> list[Fact]:
    """Step 2: related facts of one passage asked together."""
    return _from_facts(step, "consolidation", chunk, facts, kind="consolidated", step_name="consolidation")


def _from_facts(
    step: Step, prompt: str, chunk: Chunk, facts: Sequence[Fact], kind: str, step_name: str
) -> list[Fact]:
    """A step that reads a passage's facts with the passage (consolidation, entity surfacing): it needs two
    facts to combine."""
    if len(facts) < 2:
        return []
    reply = step.ask(prompt, FactsReply, pairs=_pairs(facts), passage=chunk.text)
    if reply is None:
        return []
    return to_facts(reply.facts, [chunk], step.text, step.report, kind=kind, step=step_name)


def verify(step: Step, chunks: Sequence[Chunk], facts: Sequence[Fact]) -> list[Fact]:
    """Step 3: each question judged self-contained by the model (and by its wording), rewritten from the
    passage when it is not, and dropped after ``verify_attempts`` failed tries."""
    report = VerificationReport()
    passage = "\n\n".join(chunk.text for chunk in chunks)
    kept = []
    for fact in facts:
        verified = _verify_one(step, passage, fact, report)
        if verified is None:
            report.dropped += 1
        else:
            kept.append(verified)
            if verified is fact:
                report.passed += 1
            else:
                report.rewritten += 1
    step.report.add_verification(report)
    return kept


def _verify_one(step: Step, passage: str, fact: Fact, report: VerificationReport) -> Fact | None:
    current = fact
    for _ in range(step.config.verify_attempts):
        pair = json.dumps({"question": current.question, "answer": current.answer}, ensure_ascii=False)
        reply = step.ask("verification", VerificationReply, pair=pair, passage=passage)
        if reply is None:
            report.count("no verdict")
            return None
        problems = wording_problems(current.question)
        if reply.self_contained and not problems:
            return current
        if not reply.question:
            report.count(reply.problem or (problems[0] if problems else "not self-contained"))
            return None
        current = dataclasses.replace(
            current,
            question=reply.question.strip(),
            answer=(reply.answer or current.answer).strip(),
            probe=None,
            step="verification",
        )
    report.count("not self-contained after rewrites")
    return None


def surface_entities(step: Step, chunk: Chunk, facts: Sequence[Fact]) -> list[Fact]:
    """Step 4: reverse look-ups, an entity described by its facts and named only in the answer."""
    return _from_facts(step, "entities", chunk, facts, kind="entity", step_name="entity_surfacing")


def synthesise(step: Step, passages: Sequence[Chunk]) -> list[Fact]:
    """Step 5: questions answered only by putting passages of different documents together; a reply must
    cite at least two of them."""
    reply = step.ask("cross_document", FactsReply, passages=[chunk.text for chunk in passages])
    if reply is None:
        return []
    facts = to_facts(
        reply.facts, passages, step.text, step.report, kind="cross_document", step="cross_document"
    )
    return [f for f in facts if len(f.document_ids) > 1]


# Document groups ----------------------------------------------------------------------------------------


def named_entities(text: str) -> set[str]:
    """Multi-word capitalised names ("Quenlow Instruments", "Maelis Torvane"): what a document is about,
    found in its text rather than in its folder or labels."""
    return {name for name in NAME.findall(text) if " " in name or "-" in name}


def shared_entity_groups(
    documents: Sequence[Document], max_groups: int, max_size: int = 3
) -> list[tuple[str, list[str]]]:
    """(entity, document ids) for names found in two or more documents, rarest first (a name in every
    document says little), each group capped at ``max_size`` documents, duplicates of a group skipped."""
    where: dict[str, list[str]] = defaultdict(list)
    for document in documents:
        for name in sorted(named_entities(document.text)):
            where[name].append(document.id)
    ranked = sorted((len(ids), name) for name, ids in where.items() if len(ids) > 1)
    groups: list[tuple[str, list[str]]] = []
    seen: set[tuple[str, ...]] = set()
    for _, name in ranked:
        ids = tuple(sorted(where[name])[:max_size])
        if ids not in seen:
            seen.add(ids)
            groups.append((name, list(ids)))
        if len(groups) >= max_groups:
            break
    return groups


# The generator ------------------------------------------------------------------------------------------


class LLMGenerator:
    """Reflections written by a chat model through the five steps, with provenance from quoted evidence."""

    def __init__(self, config: GeneratorConfig, chat: ChatClient | None = None) -> None:
        if config.backend == "offline":
            raise ValueError("LLMGenerator needs generator.backend 'openai' or 'hf'")
        self.config = config
        self._chat = chat
        model = config.openai.model if config.backend == "openai" else config.hf.model
        self.name = f"llm-{config.backend}:{model}"
        self.report = GenerationReport()

    @property
    def chat(self) -> ChatClient:
        """The client, made on first use: planning and cache look-ups need no key and load no model."""
        if self._chat is None:
            from memo_core.llm.chat import HFChat, OpenAIChat

            self._chat = (
                OpenAIChat(self.config.openai) if self.config.backend == "openai" else HFChat(self.config.hf)
            )
        return self._chat

    def settings_hash(self) -> str:
        settings = {
            "name": self.name,
            "prompts": PROMPTS_VERSION,
            "prompt_text": {s: prompts.template(s).template for s in ("system", *prompts.STEPS)},
            "probes": self.config.probes,
            "chunking": self.config.chunking.model_dump(),
            "verify_attempts": self.config.verify_attempts,
        }
        return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]

    def _step(self, documents: Sequence[Document]) -> Step:
        return Step(self.chat, self.config, self.report, {d.id: d.text for d in documents})

    def facts(self, document: Document) -> list[Fact]:
        """Steps 1-4 for one document; its passages are worked on ``chat.concurrency`` at a time."""
        step = self._step([document])
        chunks = chunk_document(document, self.config.chunking)

        def one_passage(chunk: Chunk) -> list[Fact]:
            extracted = verify(step, [chunk], extract(step, chunk))
            derived = consolidate(step, chunk, extracted) + surface_entities(step, chunk, extracted)
            return extracted + verify(step, [chunk], derived)

        with ThreadPoolExecutor(max_workers=self.chat.concurrency) as pool:
            return [fact for facts in pool.map(one_passage, chunks) for fact in facts]

    def reflect_document(self, document: Document, corpus_version: int) -> list[Reflection]:
        return dedupe(self._reflections(self.facts(document), corpus_version))

    def reflect_corpus(self, documents: Sequence[Document], corpus_version: int) -> list[Reflection]:
        """Step 5 over groups of documents that name the same entity: for each document, its first passage
        naming it."""
        by_id = {d.id: d for d in documents}
        step = self._step(documents)
        groups = shared_entity_groups(documents, self.config.max_groups)

        def one_group(group: tuple[str, list[str]]) -> list[Fact]:
            name, ids = group
            passages = []
            for document_id in ids:
                chunks = chunk_document(by_id[document_id], self.config.chunking)
                passages.append(next((c for c in chunks if name in c.text), chunks[0]))
            return verify(step, passages, synthesise(step, passages))

        with ThreadPoolExecutor(max_workers=self.chat.concurrency) as pool:
            crossed = [fact for facts in pool.map(one_group, groups) for fact in facts]
        return dedupe(self._reflections(crossed, corpus_version))

    def _reflections(self, facts: Sequence[Fact], corpus_version: int) -> list[Reflection]:
        return facts_to_reflections(
            facts, corpus_version, self.name, self.settings_hash(), self.config.probes, chunk_tag="c"
        )
