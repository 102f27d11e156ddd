"""Scanning local and memory:// sources: formats, normalisation, globs, ids and hashes, bad input."""

from __future__ import annotations

import io
import json
import os
import pickle
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfWriter

from memo_core.sources.config import SourceConfig
from memo_core.sources.formats import normalise
from memo_core.sources.scan import (
    ScanResult,
    SourceError,
    content_hash,
    list_files,
    read_documents,
    read_files,
    scan_sources,
)


def write(root: Path, rel: str, data: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def make_pdf(pages: list[str], title: str = "") -> bytes:
    """A minimal PDF 1.4 with one line of Helvetica text per page (an empty string: a page with no text)."""
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    kids = []
    for text in pages:
        kids.append(f"{len(objects) + 1} 0 R")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {len(objects) + 2} 0 R "
            "/Resources << /Font << /F1 3 0 R >> >> >>"
        )
        content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET" if text else ""
        objects.append(f"<< /Length {len(content)} >>\nstream\n{content}\nendstream")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(pages)} >>"
    objects.append(f"<< /Title ({title}) >>")
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {len(objects)} 0 R >>\n".encode()
    return out + f"startxref\n{xref}\n%%EOF\n".encode()


def skipped_reasons(source: SourceConfig) -> dict[str, str]:
    return {s.path: s.reason for s in scan_sources([source]).skipped}


@pytest.fixture
def memory_root() -> Iterator[str]:
    root = f"memory://test-{uuid.uuid4().hex}"
    yield root
    fs = fsspec.filesystem("memory")
    if fs.exists(root):
        fs.rm(root, recursive=True)


def test_local_markdown_and_text_become_documents_with_stable_ids(tmp_path: Path) -> None:
    write(tmp_path, "guide/intro.md", "# Getting started\n\nQuenlow   makes\tinstruments.\n")
    write(tmp_path, "notes.txt", "Plain text.")
    source = SourceConfig(name="docs", url=str(tmp_path))

    scan = scan_sources([source])

    assert [d.id for d in scan.documents] == ["docs/guide/intro.md", "docs/notes.txt"]
    intro = scan.documents[0]
    assert (intro.source, intro.path) == ("docs", "guide/intro.md")
    assert intro.text == "# Getting started\n\nQuenlow makes instruments."
    assert intro.content_hash == content_hash(intro.text)
    stamp = intro.metadata.pop("stamp")
    assert intro.metadata == {"format": "md", "bytes": 48, "title": "Getting started"}
    assert stamp.startswith(f"mtime:{(tmp_path / 'guide/intro.md').stat().st_mtime}:48|")
    assert scan.skipped == []
    assert scan_sources([source]).documents == scan.documents


def test_relative_local_url_resolves_against_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "corpus/a.md", "alpha")
    monkeypatch.chdir(tmp_path)
    scan = scan_sources([SourceConfig(name="rel", url="corpus")])
    assert [d.id for d in scan.documents] == ["rel/a.md"]


def test_memory_source_and_several_sources_in_one_scan(memory_root: str, tmp_path: Path) -> None:
    fs = fsspec.filesystem("memory")
    fs.pipe(f"{memory_root}/x/one.txt", b"one")
    write(tmp_path, "two.md", "two")
    scan = scan_sources(
        [SourceConfig(name="mem", url=memory_root), SourceConfig(name="disk", url=str(tmp_path))]
    )
    assert [(d.id, d.text) for d in scan.documents] == [("disk/two.md", "two"), ("mem/x/one.txt", "one")]


def test_source_names_must_be_unique(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="repeated: a"):
        scan_sources([SourceConfig(name="a", url=str(tmp_path)), SourceConfig(name="a", url=str(tmp_path))])


def test_source_config_rejects_unknown_keys_and_names_with_slashes() -> None:
    with pytest.raises(ValueError, match="extra"):
        SourceConfig.model_validate({"name": "a", "url": ".", "inclde": ["*.md"]})
    with pytest.raises(ValueError, match="pattern"):
        SourceConfig(name="a/b", url=".")


def test_include_and_exclude_globs(tmp_path: Path) -> None:
    for rel in ["a.md", "deep/b.md", "deep/er/c.md", "drafts/d.md", "e.txt", "deep/f.tmp.md"]:
        write(tmp_path, rel, rel)
    source = SourceConfig(name="s", url=str(tmp_path), include=["**/*.md"], exclude=["drafts/**", "*.tmp.md"])
    assert [e.path for e in list_files(source)] == ["a.md", "deep/b.md", "deep/er/c.md"]
    top_only = SourceConfig(name="s", url=str(tmp_path), include=["*/*.md"])
    assert [e.path for e in list_files(top_only)] == ["deep/b.md", "deep/f.tmp.md", "drafts/d.md"]
    by_name = SourceConfig(name="s", url=str(tmp_path), include=["[ab].md", "?.txt"])
    assert [e.path for e in list_files(by_name)] == ["a.md", "deep/b.md", "e.txt"]


def test_hidden_files_and_folders_need_a_pattern_that_names_them(tmp_path: Path) -> None:
    for rel in ["a.md", ".hidden.md", ".memo/manifests/v0001.json", "x/.git/HEAD.txt", ".github/notes.md"]:
        write(tmp_path, rel, rel)
    assert [e.path for e in list_files(SourceConfig(name="s", url=str(tmp_path)))] == ["a.md"]
    explicit = SourceConfig(name="s", url=str(tmp_path), include=["**/*.md", ".github/*", ".*.md"])
    assert [e.path for e in list_files(explicit)] == [".github/notes.md", ".hidden.md", "a.md"]


def test_a_single_file_url_is_a_source_of_one_document(tmp_path: Path) -> None:
    path = write(tmp_path, "only.md", "just this")
    source = SourceConfig(name="one", url=str(path))
    assert [d.id for d in scan_sources([source]).documents] == ["one/only.md"]
    assert [d.text for d in read_documents([source], ["one/only.md"])[0]] == ["just this"]


def test_missing_source_root_fails_the_scan_naming_the_source(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="source 'gone'.*does not exist"):
        scan_sources([SourceConfig(name="gone", url=str(tmp_path / "nope"))])


def test_hash_ignores_encoding_and_whitespace_but_not_words(tmp_path: Path) -> None:
    write(tmp_path, "a/doc.txt", "Caf\u00e9  au lait\r\n\r\n\r\nsecond  para ")
    write(tmp_path, "b/doc.txt", "\ufeffCafe\u0301 au\tlait\n \n\nsecond para".encode())
    write(tmp_path, "c/doc.txt", "Cafe au lait\n\nsecond para")
    docs = {d.path: d for d in scan_sources([SourceConfig(name="s", url=str(tmp_path))]).documents}
    assert docs["a/doc.txt"].text == "Caf\u00e9 au lait\n\nsecond para"
    assert docs["a/doc.txt"].content_hash == docs["b/doc.txt"].content_hash
    assert docs["a/doc.txt"].content_hash != docs["c/doc.txt"].content_hash


def test_utf16_with_byte_order_mark_is_read(tmp_path: Path) -> None:
    write(tmp_path, "wide.txt", "wide text".encode("utf-16"))
    assert [d.text for d in scan_sources([SourceConfig(name="s", url=str(tmp_path))]).documents] == [
        "wide text"
    ]


@given(st.text(alphabet=st.characters(max_codepoint=0x2FFF, exclude_categories=["Cs"])))
def test_normalise_is_a_fixed_point(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once
    assert "\t" not in once and "  " not in once and "\n\n\n" not in once and "\r" not in once
    assert once == once.strip()


def test_html_text_drops_scripts_and_styles_and_keeps_blocks(tmp_path: Path) -> None:
    write(
        tmp_path,
        "page.html",
        "<html><head><title>The  Mast</title><style>p{color:red}</style></head><body>"
        "<script>var x = 'secret';</script><h1>Rooftop mast</h1><p>The mast is\n   18 metres <b>tall</b>.</p>"
        "<ul><li>rain gauge</li><li>anemometer</li></ul><!-- hidden --><pre>a  b\n  c</pre></body></html>",
    )
    doc = scan_sources([SourceConfig(name="web", url=str(tmp_path))]).documents[0]
    assert doc.text == "Rooftop mast\n\nThe mast is 18 metres tall.\n\nrain gauge\nanemometer\n\na b\nc"
    assert doc.metadata["title"] == "The Mast"
    assert doc.metadata["format"] == "html"


def test_pdf_text_layer_is_extracted_page_by_page(tmp_path: Path) -> None:
    write(tmp_path, "report.pdf", make_pdf(["Annual report 2022", "Revenue   grew."], title="Annual Report"))
    doc = scan_sources([SourceConfig(name="p", url=str(tmp_path))]).documents[0]
    assert doc.text == "Annual report 2022\n\nRevenue grew."
    assert {k: doc.metadata[k] for k in ("format", "pages", "title")} == {
        "format": "pdf",
        "pages": 2,
        "title": "Annual Report",
    }


def test_pdf_without_a_text_layer_is_skipped(tmp_path: Path) -> None:
    write(tmp_path, "scan.pdf", make_pdf(["", ""]))
    assert skipped_reasons(SourceConfig(name="p", url=str(tmp_path))) == {
        "scan.pdf": "PDF has no text layer (2 page(s); scanned images need OCR first)"
    }


def test_pdf_needing_a_password_is_skipped_and_one_without_is_read(tmp_path: Path) -> None:
    for name, user_password in (("locked.pdf", "secret"), ("open.pdf", "")):
        writer = PdfWriter(clone_from=io.BytesIO(make_pdf([f"text of {name}"])))
        writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
        with open(tmp_path / name, "wb") as fh:
            writer.write(fh)
    scan = scan_sources([SourceConfig(name="p", url=str(tmp_path))])
    assert [d.text for d in scan.documents] == ["text of open.pdf"]
    assert [(s.path, s.reason) for s in scan.skipped] == [("locked.pdf", "encrypted PDF (needs a password)")]


def test_json_and_jsonl_records_use_configured_fields(tmp_path: Path) -> None:
    rows = [{"key": "r1", "body": {"text": "first record"}}, {"key": 2, "body": {"text": "second"}}]
    write(tmp_path, "data.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n\n")
    write(tmp_path, "one.json", json.dumps({"key": "solo", "body": {"text": "single object"}}))
    write(tmp_path, "many.json", json.dumps(rows))
    source = SourceConfig(name="j", url=str(tmp_path), text_field="body.text", id_field="key")
    scan = scan_sources([source])
    assert [(d.id, d.text) for d in scan.documents] == [
        ("j/data.jsonl#2", "second"),
        ("j/data.jsonl#r1", "first record"),
        ("j/many.json#2", "second"),
        ("j/many.json#r1", "first record"),
        ("j/one.json#solo", "single object"),
    ]
    assert scan.documents[1].metadata.pop("stamp").startswith("mtime:")
    assert scan.documents[1].metadata == {
        "format": "jsonl",
        "bytes": 88,
        "file": "data.jsonl",
        "record": "r1",
    }
    assert scan.skipped == []


def test_bad_json_records_are_skipped_one_by_one(tmp_path: Path) -> None:
    lines = [
        '{"id": "ok", "text": "fine"}',
        "{not json",
        '{"text": "no id"}',
        '{"id": "n", "text": 42}',
        '{"id": "ok", "text": "again"}',
        "[1, 2]",
    ]
    write(tmp_path, "d.jsonl", "\n".join(lines))
    write(tmp_path, "broken.json", '{"id": ')
    scan = scan_sources([SourceConfig(name="j", url=str(tmp_path))])
    assert [d.id for d in scan.documents] == ["j/d.jsonl#ok"]
    reasons = {s.path: s.reason for s in scan.skipped}
    assert reasons["broken.json"].startswith("not valid JSON")
    assert reasons["d.jsonl#line 2"].startswith("not valid JSON")
    assert "no usable 'id' field" in reasons["d.jsonl#line 3"]
    assert reasons["d.jsonl#n"] == "'text' field is a int, not a string (see text_field)"
    assert reasons["d.jsonl#ok"] == "duplicate record id 'ok' (line 5)"
    assert reasons["d.jsonl#line 6"] == "line 6 is a JSON list, not an object"


@pytest.mark.parametrize(
    ("rel", "data", "reason"),
    [
        ("bad.txt", b"caf\xe9 ok", "not valid UTF-8 text (byte 0xe9 at offset 3)"),
        (
            "image.md",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            "binary content behind a text extension (NUL byte at offset 8)",
        ),
        ("empty.md", b"", "empty file"),
        ("blank.txt", b" \n\t\n", "no text (only whitespace after extraction)"),
        ("sheet.xlsx", b"PK\x03\x04", "unsupported format '.xlsx'"),
        ("Makefile", b"all:", "unsupported format (no file extension)"),
        ("big.txt", b"x" * 101, "101 bytes is over the size limit of 100 (max_bytes)"),
        ("fake.pdf", b"%PDF-1.4 this is not really a pdf", "not a readable PDF"),
        (
            "script.html",
            b"<script>only()</script><style>p{}</style>",
            "no text (only whitespace after extraction)",
        ),
    ],
)
def test_bad_input_is_skipped_with_its_reason(tmp_path: Path, rel: str, data: bytes, reason: str) -> None:
    write(tmp_path, "good.md", "still scanned")
    write(tmp_path, rel, data)
    source = SourceConfig(name="s", url=str(tmp_path), max_bytes=100)
    scan = scan_sources([source])
    assert [d.id for d in scan.documents] == ["s/good.md"]
    assert [s.path for s in scan.skipped] == [rel]
    assert scan.skipped[0].reason.startswith(reason)


def scan_unprivileged(source: SourceConfig) -> ScanResult:
    """Scan as user ``nobody`` when running as root (root reads any file, whatever its mode)."""
    if os.geteuid() != 0:
        return scan_sources([source])
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        try:
            os.setgid(65534)
            os.setuid(65534)
            os.write(write_end, pickle.dumps(scan_sources([source])))
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    result: ScanResult = pickle.loads(data)
    return result


def test_unreadable_file_is_skipped() -> None:
    root = Path(tempfile.mkdtemp(prefix="memo-perm-"))
    try:
        root.chmod(0o755)
        write(root, "open.md", "readable").chmod(0o644)
        write(root, "secret.md", "hidden").chmod(0)
        scan = scan_unprivileged(SourceConfig(name="s", url=str(root)))
    finally:
        shutil.rmtree(root)
    assert [d.id for d in scan.documents] == ["s/open.md"]
    assert [(s.path, s.reason) for s in scan.skipped] == [
        ("secret.md", "unreadable (PermissionError: Permission denied)")
    ]


def test_unreadable_folder_is_skipped_rather_than_silently_left_out() -> None:
    root = Path(tempfile.mkdtemp(prefix="memo-perm-"))
    try:
        root.chmod(0o755)
        write(root, "open.md", "readable").chmod(0o644)
        write(root, "private/notes.md", "hidden")
        (root / "private").chmod(0)
        scan = scan_unprivileged(SourceConfig(name="s", url=str(root)))
    finally:
        (root / "private").chmod(0o755)
        shutil.rmtree(root)
    assert [d.id for d in scan.documents] == ["s/open.md"]
    assert [(s.path, s.reason) for s in scan.skipped] == [
        ("private", "unreadable folder (PermissionError: Permission denied)")
    ]


def test_directory_behind_a_text_extension_is_skipped_as_unreadable(tmp_path: Path) -> None:
    """An entry listed as a file that turns out not to be readable as one (here: replaced by a folder)."""
    write(tmp_path, "doc.md", "soon a folder")
    source = SourceConfig(name="s", url=str(tmp_path))
    entries = list_files(source)
    (tmp_path / "doc.md").unlink()
    (tmp_path / "doc.md").mkdir()
    result = read_files(source, entries)
    assert result.documents == []
    assert result.skipped[0].reason.startswith("unreadable (IsADirectoryError")


def test_document_vanishing_mid_scan_is_skipped(tmp_path: Path) -> None:
    write(tmp_path, "stays.md", "stays")
    write(tmp_path, "goes.md", "goes")
    source = SourceConfig(name="s", url=str(tmp_path))
    entries = list_files(source)
    (tmp_path / "goes.md").unlink()
    result = read_files(source, entries)
    assert [d.id for d in result.documents] == ["s/stays.md"]
    assert [(s.path, s.reason) for s in result.skipped] == [
        ("goes.md", "vanished during the scan (listed, then gone before it could be read)")
    ]


def test_read_documents_rereads_just_the_asked_ids(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "alpha")
    write(tmp_path, "b.md", "beta")
    write(tmp_path, "r#1.jsonl", '{"id": "x#y", "text": "record"}\n')
    source = SourceConfig(name="s", url=str(tmp_path))
    docs, missing = read_documents([source], ["s/r#1.jsonl#x#y", "s/b.md"])
    assert missing == {}
    assert [(d.id, d.text) for d in docs] == [("s/r#1.jsonl#x#y", "record"), ("s/b.md", "beta")]
    scanned = {d.id: d for d in scan_sources([source]).documents}
    assert docs == [scanned["s/r#1.jsonl#x#y"], scanned["s/b.md"]]


def test_read_documents_names_every_missing_id(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "alpha")
    write(tmp_path, "empty.md", "")
    source = SourceConfig(name="s", url=str(tmp_path), exclude=["*.txt"])
    docs, missing = read_documents([source], ["s/a.md", "s/gone.md", "other/a.md", "s/empty.md", "s/x.txt"])
    assert [d.id for d in docs] == ["s/a.md"]
    assert set(missing) == {"s/gone.md", "other/a.md", "s/empty.md", "s/x.txt"}
    assert missing["s/empty.md"] == "empty file"
    assert missing["other/a.md"] == "no source named 'other'"
    assert missing["s/gone.md"] == "gone.md is no longer in the source"


def test_a_missing_file_is_not_retried(tmp_path: Path) -> None:
    """Gone is a permanent answer: with retries that would take over a minute, the read answers at once."""
    write(tmp_path, "a.md", "alpha")
    source = SourceConfig(name="s", url=str(tmp_path), retries=4, retry_backoff_s=5)
    started = time.monotonic()
    docs, missing = read_documents([source], ["s/gone.md", "s/a.md"])
    assert time.monotonic() - started < 2
    assert ([d.id for d in docs], list(missing)) == (["s/a.md"], ["s/gone.md"])


def test_reading_from_a_source_that_is_gone_fails_rather_than_losing_every_document(tmp_path: Path) -> None:
    source = SourceConfig(name="s", url=str(tmp_path / "unmounted"))
    with pytest.raises(SourceError, match="source 's'.*does not exist"):
        read_documents([source], ["s/a.md"])


def test_a_symlink_to_a_file_is_a_document_at_the_link_path(tmp_path: Path) -> None:
    root, outside = tmp_path / "corpus", tmp_path / "elsewhere"
    write(root, "real.md", "inside the source")
    write(outside, "shared.md", "outside the source")
    (root / "alias.md").symlink_to(root / "real.md")
    (root / "linked.md").symlink_to(outside / "shared.md")
    source = SourceConfig(name="s", url=str(root))

    scan = scan_sources([source])

    assert [(d.id, d.text) for d in scan.documents] == [
        ("s/alias.md", "inside the source"),
        ("s/linked.md", "outside the source"),
        ("s/real.md", "inside the source"),
    ]
    assert scan.skipped == []
    docs, missing = read_documents([source], ["s/linked.md"])
    assert (docs, missing) == ([scan.documents[1]], {})
    # the stamp is the target's: an edit through the link is seen without reading every file
    before = {e.path: e.stamp for e in list_files(source)}["linked.md"]
    write(outside, "shared.md", "outside the source, edited")
    assert {e.path: e.stamp for e in list_files(source)}["linked.md"] != before


def test_a_symlinked_folder_is_walked_and_links_that_lead_nowhere_are_skipped_with_a_reason(
    tmp_path: Path,
) -> None:
    root, outside = tmp_path / "corpus", tmp_path / "elsewhere"
    write(root, "sub/a.md", "alpha")
    write(outside, "b.md", "beta")
    (root / "more").symlink_to(outside, target_is_directory=True)
    (root / "sub" / "loop").symlink_to(root, target_is_directory=True)  # back to a folder holding it
    (root / "broken.md").symlink_to(root / "deleted.md")
    (root / "ping.md").symlink_to(root / "pong.md")
    (root / "pong.md").symlink_to(root / "ping.md")

    scan = scan_sources([SourceConfig(name="s", url=str(root))])

    assert [(d.id, d.text) for d in scan.documents] == [("s/more/b.md", "beta"), ("s/sub/a.md", "alpha")]
    loop = "cannot be followed (Too many levels of symbolic links)"
    assert {s.path: s.reason for s in scan.skipped} == {
        "broken.md": f"broken symlink: its target {str(root / 'deleted.md')!r} does not exist",
        "ping.md": f"symlink to {str(root / 'pong.md')!r} {loop}",
        "pong.md": f"symlink to {str(root / 'ping.md')!r} {loop}",
        "sub/loop": f"symlink to {str(root)!r}, a folder that contains it: not followed (a cycle)",
    }
