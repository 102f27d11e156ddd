"""Format readers: raw file bytes -> plain text (or JSON records), or a reason the file cannot be used.

Each reader raises ``BadInput`` with a sentence a data engineer can act on, never a traceback, so the
scan can skip the file, record why, and go on with the rest of the source.
"""

from __future__ import annotations

import codecs
import io
import json
import logging
import posixpath
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bs4 import BeautifulSoup, NavigableString, Tag

# Extension -> format name; anything else is skipped with the reason "unsupported format".
FORMATS: dict[str, str] = {
    ".txt": "txt",
    ".text": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".json": "json",
    ".jsonl": "jsonl",
}
RECORD_FORMATS = frozenset({"json", "jsonl"})

_DROPPED_TAGS = ("script", "style", "noscript", "template", "head", "svg", "iframe", "object")
_BLOCK_TAGS = frozenset(
    {
        *("address", "article", "aside", "blockquote", "dd", "details", "dialog", "div", "dl", "dt"),
        *("fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6"),
        *(
            "header",
            "hr",
            "main",
            "nav",
            "ol",
            "p",
            "pre",
            "section",
            "table",
            "tbody",
            "thead",
            "tfoot",
            "ul",
        ),
    }
)
_LINE_TAGS = frozenset({"li", "tr", "br", "caption"})
_LINE_BREAKS = re.compile(r"\r\n?|[\x0b\x0c\x1c\x1d\x1e\x85\u2028]")
_INLINE_SPACE = re.compile(r"[^\S\n]+")
_SPACE_AROUND_NEWLINE = re.compile(r" ?\n ?")
_BLANK_LINES = re.compile(r"\n{3,}")
_ANY_SPACE = re.compile(r"\s+")
_MD_TITLE = re.compile(r"^#\s+(.+)$", re.MULTILINE)


class BadInput(Exception):
    """A file (or record) that cannot become a document; ``reason`` says why, for the run report."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Record:
    """One JSON record's text, or the reason it was refused (``text`` is None then)."""

    record_id: str
    text: str | None
    reason: str = ""


def format_of(path: str) -> str | None:
    return FORMATS.get(posixpath.splitext(path)[1].lower())


def normalise(text: str) -> str:
    """NFC, spaces and tabs folded to one space, blank lines to exactly one paragraph break, stripped.

    Single newlines survive (markdown lists and headings depend on them); the result is a fixed point,
    so hashing it gives the same answer however often a document passes through.
    """
    text = unicodedata.normalize("NFC", text).replace("\u2029", "\n\n")
    text = _LINE_BREAKS.sub("\n", text)
    text = _INLINE_SPACE.sub(" ", text)
    text = _SPACE_AROUND_NEWLINE.sub("\n", text)
    return _BLANK_LINES.sub("\n\n", text).strip()


def decode(data: bytes) -> str:
    """UTF-8 (or UTF-16 with a byte-order mark); NUL bytes in UTF-8 mean binary behind a text extension."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise BadInput(f"not valid UTF-16 text ({exc.reason} at offset {exc.start})") from None
    nul = data.find(b"\x00")
    if nul >= 0:
        raise BadInput(f"binary content behind a text extension (NUL byte at offset {nul})")
    try:
        return data.removeprefix(codecs.BOM_UTF8).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(f"not valid UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})") from None


def extract(fmt: str, data: bytes) -> tuple[str, dict[str, Any]]:
    """Raw text and metadata (title, pages) of a txt, md, html or pdf file."""
    if fmt == "pdf":
        return _pdf_text(data)
    text = decode(data)
    if fmt == "html":
        return _html_text(text)
    if fmt == "md":
        match = _MD_TITLE.search(text)
        return text, ({"title": match.group(1).strip()} if match else {})
    return text, {}


def records(fmt: str, data: bytes, text_field: str, id_field: str) -> Iterator[Record]:
    """The records of a ``.json`` file (one object, or a list of them) or a ``.jsonl`` file (one per line)."""
    text = decode(data)
    if fmt == "jsonl":
        items: list[tuple[str, Any]] = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                items.append((f"line {number}", json.loads(line)))
            except json.JSONDecodeError as exc:
                yield Record(f"line {number}", None, f"not valid JSON ({exc.msg} at column {exc.colno})")
    else:
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadInput(f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
        loaded = loaded if isinstance(loaded, list) else [loaded]
        items = [(f"record {i}", item) for i, item in enumerate(loaded)]
    seen: set[str] = set()
    for where, item in items:
        yield _record(where, item, text_field, id_field, seen)


def _record(where: str, item: Any, text_field: str, id_field: str, seen: set[str]) -> Record:
    if not isinstance(item, dict):
        return Record(where, None, f"{where} is a JSON {type(item).__name__}, not an object")
    record_id = _field(item, id_field)
    if record_id is None or isinstance(record_id, dict | list) or str(record_id) == "":
        return Record(where, None, f"{where} has no usable '{id_field}' field (configure id_field)")
    record_id = str(record_id)
    if record_id in seen:
        return Record(record_id, None, f"duplicate record id {record_id!r} ({where})")
    seen.add(record_id)
    text = _field(item, text_field)
    if not isinstance(text, str):
        found = "missing" if text is None else f"a {type(text).__name__}"
        return Record(record_id, None, f"'{text_field}' field is {found}, not a string (see text_field)")
    return Record(record_id, text)


def _field(item: dict[str, Any], dotted: str) -> Any:
    """``item["a"]["b"]`` for ``"a.b"``: nested text fields are common in exported records."""
    value: Any = item
    for key in dotted.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _html_text(markup: str) -> tuple[str, dict[str, Any]]:
    """Visible text with block structure kept as line and paragraph breaks; scripts and styles dropped."""
    soup = BeautifulSoup(markup, "html.parser")
    title = _ANY_SPACE.sub(" ", soup.title.get_text()).strip() if soup.title else ""
    for tag in soup.find_all(_DROPPED_TAGS):
        tag.decompose()
    parts: list[str] = []
    _walk(soup, parts, in_pre=False)
    return "".join(parts), ({"title": title} if title else {})


def _walk(node: Tag, parts: list[str], in_pre: bool) -> None:
    for child in node.children:
        if isinstance(child, NavigableString):
            if type(child) is NavigableString:  # skips comments, doctypes, CDATA
                parts.append(str(child) if in_pre else _ANY_SPACE.sub(" ", str(child)))
        elif isinstance(child, Tag):
            block = child.name in _BLOCK_TAGS
            parts.append("\n\n" if block else "")
            _walk(child, parts, in_pre or child.name == "pre")
            parts.append("\n\n" if block else "\n" if child.name in _LINE_TAGS else "")


def _pdf_text(data: bytes) -> tuple[str, dict[str, Any]]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed-PDF chatter; failures surface as BadInput
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise BadInput("encrypted PDF (needs a password)")
        pages = [page.extract_text() or "" for page in reader.pages]
        title = reader.metadata.title if reader.metadata else None
    except BadInput:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise BadInput(f"not a readable PDF ({type(exc).__name__}: {exc})") from None
    metadata: dict[str, Any] = {"pages": len(pages)}
    if title and str(title).strip():
        metadata["title"] = str(title).strip()
    if not any(page.strip() for page in pages):
        raise BadInput(f"PDF has no text layer ({len(pages)} page(s); scanned images need OCR first)")
    return "\n\n".join(pages), metadata
