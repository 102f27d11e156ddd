"""Document layout for rule-based extraction: markdown stripped, sentences split, offsets kept.

Every sentence keeps its character span in ``Document.text`` so each reflection can point at the words
that support it, even though headings, bullets and emphasis marks are removed before parsing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from memo_core.reflections.generators.offline.lexicon import ABBREVIATIONS

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*(?:[-*+\u2022]|\d{1,3}[.)])\s+")
_INLINE = re.compile(
    r"!?\[([^\]]*)\]\([^)]*\)|\*\*|__|`+|(?<![\w*])[*_](?=[^\s*_])|(?<=[^\s*_])[*_](?![\w*])"
)
_SENTENCE_END = re.compile(r"[.!?]+[\"'\u201d\u2019)\]]*(?=\s|$)")
_FIELD = re.compile(r"^([A-Z][\w' -]{0,40}?):\s+(\S.{0,80})$")
_RULE = re.compile(r"^\s*(?:[-*_]\s*){3,}$")


@dataclass(frozen=True)
class Sentence:
    """One sentence with markup removed, its span in the document text, and where it sits."""

    text: str
    start: int
    end: int
    chunk: int
    heading: str


@dataclass(frozen=True)
class FieldLine:
    """A ``Label: value`` line (a key-figures or specification list item)."""

    label: str
    value: str
    start: int
    end: int
    chunk: int
    heading: str


@dataclass
class Layout:
    """The parts of a document the extractor reads."""

    title: str
    sentences: list[Sentence]
    fields: list[FieldLine]


class _Buffer:
    """Cleaned text with, for every character, its offset in the original text."""

    def __init__(self) -> None:
        self.chars: list[str] = []
        self.origin: list[int] = []

    def add(self, text: str, offset: int) -> None:
        for i, ch in enumerate(text):
            self.chars.append(ch)
            self.origin.append(offset + i)

    def add_clean(self, line: str, offset: int) -> None:
        """Append ``line`` (at ``offset`` in the original) without inline markdown."""
        pos = 0
        for m in _INLINE.finditer(line):
            self.add(line[pos : m.start()], offset + pos)
            if m.group(1) is not None and not m.group(0).startswith("!"):
                self.add(m.group(1), offset + m.start(1))
            pos = m.end()
        self.add(line[pos:], offset + pos)

    def text(self) -> str:
        return "".join(self.chars)

    def span(self, start: int, end: int) -> tuple[int, int]:
        return self.origin[start], self.origin[end - 1] + 1


def clean_inline(text: str) -> str:
    """``text`` without emphasis, code marks and link targets."""
    buffer = _Buffer()
    buffer.add_clean(text, 0)
    return buffer.text()


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans in ``text``; full stops after abbreviations and initials do not end a sentence."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        end = m.end()
        if m.group(0).startswith(".") and _is_abbreviation(text, m.start()):
            continue
        following = text[end:].lstrip()
        if following and not (
            following[0].isupper() or following[0].isdigit() or following[0] in "\"'\u201c("
        ):
            continue
        _append(spans, text, start, end)
        start = end
    _append(spans, text, start, len(text))
    return spans


def _append(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        spans.append((start, end))


def _is_abbreviation(text: str, dot: int) -> bool:
    word = re.search(r"([\w.]+)$", text[:dot])
    if word is None:
        return False
    token = word.group(1)
    if len(token) == 1 and token.isupper():
        return True  # an initial: "J. R. Tolkien"
    return token.lower().rstrip(".") in ABBREVIATIONS


def layout(text: str) -> Layout:
    """Title, sentences and ``Label: value`` fields of a normalised document text."""
    title = ""
    heading = ""
    sentences: list[Sentence] = []
    fields: list[FieldLine] = []
    offset = 0
    for chunk, paragraph in enumerate(text.split("\n\n")):
        lines = paragraph.split("\n")
        plain = _Buffer()
        line_offset = offset
        for line_no, line in enumerate(lines):
            heading_match = _HEADING.match(line)
            is_txt_title = chunk == 0 and len(lines) == 1 and _looks_like_title(line)
            if heading_match or is_txt_title:
                heading = clean_inline(heading_match.group(2) if heading_match else line).strip()
                title = title or heading
            elif _RULE.match(line):
                pass
            elif bullet := _BULLET.match(line):
                item = line[bullet.end() :]
                item_offset = line_offset + bullet.end()
                buffer = _Buffer()
                buffer.add_clean(item, item_offset)
                cleaned = buffer.text().strip()
                field = _FIELD.match(cleaned)
                if field and not cleaned.endswith("."):
                    start, end = buffer.span(0, len(buffer.chars))
                    fields.append(
                        FieldLine(field.group(1).strip(), field.group(2).strip(), start, end, chunk, heading)
                    )
                else:
                    sentences.extend(_sentences(buffer, chunk, heading))
            else:
                if plain.chars:
                    plain.add(" ", line_offset - 1)
                plain.add_clean(line, line_offset)
            line_offset += len(line) + 1
            if line_no == len(lines) - 1 or not _continues(lines[line_no + 1]):
                sentences.extend(_sentences(plain, chunk, heading))
                plain = _Buffer()
        offset += len(paragraph) + 2
    return Layout(title=title, sentences=sentences, fields=fields)


def _continues(line: str) -> bool:
    """Whether the next line continues a running paragraph (not a heading, bullet or rule)."""
    return not (_HEADING.match(line) or _BULLET.match(line) or _RULE.match(line))


def _looks_like_title(line: str) -> bool:
    words = line.split()
    return (
        0 < len(words) <= 14 and not line.rstrip().endswith((".", "!", "?", ",", ";")) and line[:1].isupper()
    )


def _sentences(buffer: _Buffer, chunk: int, heading: str) -> list[Sentence]:
    text = buffer.text()
    out = []
    for start, end in split_sentences(text):
        a, b = buffer.span(start, end)
        out.append(Sentence(text[start:end], a, b, chunk, heading))
    return out
