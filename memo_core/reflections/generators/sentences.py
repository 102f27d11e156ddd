"""Document layout: markdown stripped, running text, records and table cells found, offsets kept.

Every block of running text keeps, for each character, its offset in ``Document.text``, so each reflection
can point at the words that support it although headings, bullets, datelines and emphasis marks are
removed before parsing. ``split_sentences`` is the LLM backends' light sentence splitter; the offline
rules split blocks with their English pipeline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*(?:[-*+\u2022]|\d{1,3}[.)])\s+")
_INLINE = re.compile(
    r"!?\[([^\]]*)\]\([^)]*\)|\*\*|__|`+|(?<![\w*])[*_](?=[^\s*_])|(?<=[^\s*_])[*_](?![\w*])"
)
_SENTENCE_END = re.compile(r"[.!?]+[\"'\u201d\u2019)\]]*(?=\s|$)")
# "Key: value" or "Key — value" (a record line, a bullet, a key-figures list).
_FIELD = re.compile(r"^([A-Z][\w'() -]{0,40}?)(?::| [\u2014\u2013-]) +(\S.{0,120})$")
_TABLE_ROW = re.compile(r"^\s*\|(.*)\|\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_DEFINITION = re.compile(r"^:\s+(\S.*)$")
# A news item's dateline: "HARLOW BAY, 4 March 2024 —", "DRUMMORE (Vell Press) - ", "Vell, May 3 --",
# "Vell, Tuesday: ".
_DATELINE = re.compile(
    r"^(?P<place>[A-Z][A-Za-z.'-]*(?: [A-Z][A-Za-z.'-]*){0,3})(?: \([^)]{1,40}\))?"
    r"(?:, (?P<date>[\w ,.]{3,30}?))? *(?:\u2014|\u2013|--| -(?= )|:(?= )) *"
)
# A reference-book entry opens with the surname first: "ASHGROVE, Cornelius Hale (1848-1921), cartographer".
_INVERTED_NAME = re.compile(
    r"^(?P<surname>[A-Z][A-Z'\u2019-]+(?: [A-Z][A-Z'\u2019-]+)*), "
    r"(?P<given>[A-Z][a-z'\u2019-]+(?: [A-Z][a-z'\u2019.-]*)*)(?= \((?:[a-z]{1,2}\. ?)?\d)"
)
ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "no", "nos", "vs", "etc", "inc", "ltd", "co",
    "corp", "dept", "est", "fig", "approx", "e.g", "i.e", "cf", "al", "gen", "col", "capt", "lt", "sgt",
    "rev", "hon", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "ave", "rd", "b", "d", "c", "fl", "ca",
})  # fmt: skip
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
    """One stated value of a record: a ``Label: value`` line (``subject`` empty: the heading's entity), a
    table cell (``subject`` the row's key, ``label`` the column's name) or a definition (``label`` empty)."""

    label: str
    value: str
    start: int
    end: int
    chunk: int
    heading: str
    subject: str = ""


@dataclass(frozen=True)
class Block:
    """Running text of one paragraph or list item, markup removed, with each character's offset."""

    text: str
    origin: tuple[int, ...]
    chunk: int
    heading: str

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The span of ``text[start:end]`` in the document text."""
        return self.origin[start], self.origin[end - 1] + 1

    def sentence(self, start: int, end: int) -> Sentence:
        a, b = self.span(start, end)
        return Sentence(self.text[start:end], a, b, self.chunk, self.heading)


@dataclass(frozen=True)
class Dateline:
    """Where and when a news item was filed."""

    place: str
    date: str
    chunk: int


@dataclass
class Layout:
    """The parts of a document the extractor reads."""

    title: str
    blocks: list[Block]
    fields: list[FieldLine]
    datelines: list[Dateline]


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

    def block(self, chunk: int, heading: str) -> Block | None:
        """The buffer as a block, surrounding spaces trimmed; None when it holds no words."""
        text = self.text()
        start, end = len(text) - len(text.lstrip()), len(text.rstrip())
        if start >= end:
            return None
        return Block(text[start:end], tuple(self.origin[start:end]), chunk, heading)

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
    """Title, running text, record lines, table cells and datelines of a normalised document text."""
    title = ""
    heading = ""
    blocks: list[Block] = []
    fields: list[FieldLine] = []
    datelines: list[Dateline] = []
    offset = 0
    for chunk, paragraph in enumerate(text.split("\n\n")):
        lines = paragraph.split("\n")
        offsets = [offset + sum(len(line) + 1 for line in lines[:k]) for k in range(len(lines))]
        plain = _Buffer()
        k = 0
        while k < len(lines):
            line, line_offset = lines[k], offsets[k]
            heading_match = _HEADING.match(line)
            is_txt_title = chunk == 0 and len(lines) == 1 and _looks_like_title(line)
            if heading_match or is_txt_title:
                heading = clean_inline(heading_match.group(2) if heading_match else line).strip()
                title = title or heading
            elif _RULE.match(line):
                pass
            elif _TABLE_ROW.match(line) and k + 1 < len(lines) and _TABLE_RULE.match(lines[k + 1]):
                end = k + 2
                while end < len(lines) and _TABLE_ROW.match(lines[end]):
                    end += 1
                fields += _table(lines[k:end], offsets[k:end], chunk, heading)
                k = end
                continue
            elif k + 1 < len(lines) and _DEFINITION.match(lines[k + 1]) and line.strip():
                term = clean_inline(line).strip()
                while k + 1 < len(lines) and (definition := _DEFINITION.match(lines[k + 1])):
                    start = offsets[k + 1] + definition.start(1)
                    value = clean_inline(definition.group(1)).strip()
                    if _is_record_value(value):  # "Owner\n: Bram Hollis": a record line of the heading's
                        end = start + len(definition.group(1))
                        fields.append(FieldLine(term, value, start, end, chunk, heading))
                        k += 1
                        continue
                    fields.append(
                        FieldLine("", value, start, start + len(definition.group(1)), chunk, heading, term)
                    )
                    k += 1
            elif bullet := _BULLET.match(line):
                item_offset = line_offset + bullet.end()
                if not _add_field(fields, line[bullet.end() :], item_offset, chunk, heading):
                    buffer = _Buffer()
                    buffer.add_clean(line[bullet.end() :], item_offset)
                    if (block := buffer.block(chunk, heading)) is not None:
                        blocks.append(block)
            elif not plain.chars and _add_field(fields, line, line_offset, chunk, heading):
                pass
            else:
                inverted = _INVERTED_NAME.match(line) if not plain.chars else None
                if inverted:  # read as "Cornelius Hale Ashgrove (1848-1921), ...", cited where it is written
                    name = f"{inverted.group('given')} {inverted.group('surname').title()}"
                    plain.add(name[:-1], line_offset)
                    plain.add(name[-1], line_offset + inverted.end() - 1)  # the span covers the whole name
                    line, line_offset = line[inverted.end() :], line_offset + inverted.end()
                dateline = _DATELINE.match(line) if not plain.chars and not blocks else None
                if (
                    dateline
                    and len(line) > dateline.end()
                    and (dateline.group("place").isupper() or dateline.group("date"))
                ):
                    datelines.append(Dateline(dateline.group("place"), dateline.group("date") or "", chunk))
                    line, line_offset = line[dateline.end() :], line_offset + dateline.end()
                if plain.chars and not inverted:
                    plain.add(" ", line_offset - 1)
                plain.add_clean(line, line_offset)
            if k == len(lines) - 1 or not _continues(lines[k + 1]):
                if (block := plain.block(chunk, heading)) is not None:
                    blocks.append(block)
                plain = _Buffer()
            k += 1
        offset += len(paragraph) + 2
    return Layout(title=title, blocks=blocks, fields=fields, datelines=datelines)


def _add_field(fields: list[FieldLine], line: str, offset: int, chunk: int, heading: str) -> bool:
    """Append ``line`` as a record line when it is one (a label, then a value that is not a sentence)."""
    buffer = _Buffer()
    buffer.add_clean(line, offset)
    cleaned = buffer.text().strip()
    field = _FIELD.match(cleaned)
    if field is None or cleaned.endswith(".") and len(field.group(2).split()) > 6:
        return False
    lead = len(buffer.text()) - len(buffer.text().lstrip())
    start, end = buffer.span(lead, lead + len(cleaned))
    fields.append(
        FieldLine(field.group(1).strip(), field.group(2).strip().rstrip("."), start, end, chunk, heading)
    )
    return True


def _table(lines: list[str], offsets: list[int], chunk: int, heading: str) -> list[FieldLine]:
    """Each cell of a markdown table as a value of its row's key (the first cell), labelled by its column."""
    header = [clean_inline(c).strip() for c in _cells(lines[0])]
    out = []
    for line, line_offset in zip(lines[2:], offsets[2:], strict=True):
        cells = _cells(line)
        key = clean_inline(cells[0]).strip() if cells else ""
        position = line.index("|") + 1
        for column, cell in enumerate(cells):
            start = line_offset + position + len(cell) - len(cell.lstrip())
            position += len(cell) + 1
            value = clean_inline(cell).strip()
            if column == 0 or column >= len(header) or not value or not key or value in ("-", "\u2014"):
                continue
            out.append(
                FieldLine(header[column], value, start, start + len(cell.strip()), chunk, heading, key)
            )
    return out


def _is_record_value(value: str) -> bool:
    """A definition list used as a record ("Built\n: 1793"): a short value, not a defining phrase."""
    words = value.split()
    if not words:
        return False
    opens_a_definition = words[0].lower() in ("a", "an", "the", "any", "one")
    return len(words) <= 5 and not opens_a_definition and not value.endswith(".")


def _cells(line: str) -> list[str]:
    match = _TABLE_ROW.match(line)
    return match.group(1).split("|") if match else []


def _continues(line: str) -> bool:
    """Whether the next line continues a running paragraph (not a heading, bullet, rule or record line)."""
    return not (
        _HEADING.match(line)
        or _BULLET.match(line)
        or _RULE.match(line)
        or _TABLE_ROW.match(line)
        or _DEFINITION.match(line)
        or _FIELD.match(line.strip())
        and not line.rstrip().endswith(".")
    )


def _looks_like_title(line: str) -> bool:
    words = line.split()
    return (
        0 < len(words) <= 14 and not line.rstrip().endswith((".", "!", "?", ",", ";")) and line[:1].isupper()
    )
