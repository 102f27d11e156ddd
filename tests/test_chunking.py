"""Chunking by words or tokens with overlap; spans always point back into the document text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from memo_core.reflections.chunking import chunk_document, chunk_spans, token_spans, word_spans
from memo_core.reflections.config import ChunkingConfig
from memo_core.sources.formats import normalise
from memo_core.sources.scan import Document, content_hash


def document(text: str) -> Document:
    text = normalise(text)
    return Document(f"s/{len(text)}.md", "s", f"{len(text)}.md", text, content_hash(text), {})


def test_word_chunks_overlap_and_cover_the_text() -> None:
    doc = document(" ".join(f"w{i}" for i in range(12)))
    chunks = chunk_document(doc, ChunkingConfig(unit="words", size=5, overlap=2))
    assert [c.text for c in chunks] == [
        "w0 w1 w2 w3 w4",
        "w3 w4 w5 w6 w7",
        "w6 w7 w8 w9 w10",
        "w9 w10 w11",
    ]
    assert [c.index for c in chunks] == [0, 1, 2, 3]
    assert all(c.document_id == doc.id and doc.text[c.start : c.end] == c.text for c in chunks)


def test_a_short_document_is_one_chunk_and_an_empty_text_none() -> None:
    config = ChunkingConfig(size=50, overlap=10)
    assert [c.text for c in chunk_document(document("Just a few words."), config)] == ["Just a few words."]
    assert chunk_spans("", config) == []


def test_tokens_split_punctuation_from_words() -> None:
    text = "Quenlow House, in Tarnholt (2014)."
    assert [text[s:e] for s, e in token_spans(text)] == [
        "Quenlow", "House", ",", "in", "Tarnholt", "(", "2014", ")", ".",
    ]  # fmt: skip
    config = ChunkingConfig(unit="tokens", size=4, overlap=1)
    assert [text[s:e] for s, e in chunk_spans(text, config)] == [
        "Quenlow House, in",
        "in Tarnholt (2014",
        "2014).",
    ]


def test_a_real_tokenizer_can_supply_the_spans() -> None:
    """Any offset mapping will do: here a tokenizer whose tokens are pairs of characters."""

    def pairs(text: str) -> list[tuple[int, int]]:
        return [(i, min(i + 2, len(text))) for i in range(0, len(text), 2)]

    config = ChunkingConfig(unit="tokens", size=3, overlap=1)
    assert [c.text for c in chunk_document(document("abcdefghij"), config, spans=pairs)] == [
        "abcdef",
        "efghij",
    ]


def test_overlap_must_be_less_than_size() -> None:
    with pytest.raises(ValueError, match=r"overlap \(5\) must be less than size \(5\)"):
        ChunkingConfig(size=5, overlap=5)
    with pytest.raises(ValueError, match="extra"):
        ChunkingConfig.model_validate({"sise": 5})


@given(
    words=st.lists(st.text(alphabet="abc.,", min_size=1, max_size=4), max_size=60),
    size=st.integers(1, 12),
    overlap_fraction=st.floats(0, 0.99),
    unit=st.sampled_from(["words", "tokens"]),
)
def test_chunks_cover_every_unit_with_the_configured_overlap(
    words: list[str], size: int, overlap_fraction: float, unit: str
) -> None:
    text = " ".join(words)
    config = ChunkingConfig(unit=unit, size=size, overlap=int(size * overlap_fraction))
    units = (word_spans if unit == "words" else token_spans)(text)
    chunks = chunk_spans(text, config)
    covered = [[u for u in units if s <= u[0] and u[1] <= e] for s, e in chunks]
    assert all(0 < len(c) <= size for c in covered)
    assert sorted({u for c in covered for u in c}) == units
    for before, after in zip(covered, covered[1:], strict=False):
        assert len(set(before) & set(after)) == config.overlap
    if units:
        assert chunks[0][0] == units[0][0] and chunks[-1][1] == units[-1][1]
