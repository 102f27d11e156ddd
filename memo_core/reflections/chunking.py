"""Chunking: split a document's normalised text into overlapping windows of words or tokens.

Chunks keep their character span in ``Document.text`` so every reflection can point back at the exact
passage it came from (provenance). Overlap keeps a fact that straddles a boundary whole in at least one
chunk.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from memo_core.reflections.config import ChunkingConfig
from memo_core.sources.scan import Document

# A function giving the (start, end) character span of each token of a text, in order.
SpanFunction = Callable[[str], Sequence[tuple[int, int]]]

_WORD = re.compile(r"\S+")
_TOKEN = re.compile(r"\w+|[^\w\s]")


@dataclass(frozen=True)
class Chunk:
    document_id: str
    index: int
    start: int  # character offsets into Document.text: text == document.text[start:end]
    end: int
    text: str


def word_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _WORD.finditer(text)]


def token_spans(text: str) -> list[tuple[int, int]]:
    """Runs of word characters and single punctuation marks: a tokenizer-free stand-in for subwords."""
    return [m.span() for m in _TOKEN.finditer(text)]


def chunk_spans(
    text: str, config: ChunkingConfig, spans: SpanFunction | None = None
) -> list[tuple[int, int]]:
    """Character spans of the chunks of ``text``; the last chunk ends at the last unit, none is empty."""
    units = (spans or (word_spans if config.unit == "words" else token_spans))(text)
    step = config.size - config.overlap
    result: list[tuple[int, int]] = []
    for first in range(0, len(units), step):
        last = min(first + config.size, len(units)) - 1
        result.append((units[first][0], units[last][1]))
        if last == len(units) - 1:
            break
    return result


def chunk_document(
    document: Document, config: ChunkingConfig, spans: SpanFunction | None = None
) -> list[Chunk]:
    """The chunks of one document; pass ``spans`` to count a real tokenizer's tokens (its offset mapping)."""
    return [
        Chunk(document.id, index, start, end, document.text[start:end])
        for index, (start, end) in enumerate(chunk_spans(document.text, config, spans))
    ]
