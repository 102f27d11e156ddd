"""Document sources: fsspec URLs (local paths, ``s3://``, ``memory://``) scanned into normalised documents.

A scan lists every source, reads the files its globs select, and turns each into a ``Document`` whose id
(``source/relative/path``) is stable across scans and whose hash covers only the normalised text, so a
re-encoded or re-indented file does not count as a change. Files that cannot become documents are skipped
with a reason; a source that cannot be listed or read at all (after retries) fails the whole scan, because
a half-seen source would look like mass deletion to the manifest. On local disk symlinks are followed: a
link to a file is a document at the link's path, a link to a folder is walked, and a link that leads
nowhere (broken, or back into a folder containing it) is skipped with its reason.
"""

from __future__ import annotations

import functools
import hashlib
import os
import posixpath
import stat
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import fsspec
from fsspec.implementations.local import LocalFileSystem

from memo_core.sources.config import SourceConfig
from memo_core.sources.formats import RECORD_FORMATS, BadInput, extract, format_of, normalise, records

T = TypeVar("T")


# Errors that retrying cannot fix: the file is gone or forbidden; everything else (network, throttling,
# 5xx answers) is retried with backoff.
_PERMANENT = (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)
EXTRACTION_VERSION = 1  # bump when readers or normalisation change what text a file yields


class SourceError(RuntimeError):
    """A source that cannot be scanned: missing root, or listing/reading still failing after retries."""


@dataclass(frozen=True)
class Document:
    id: str
    source: str
    path: str
    text: str
    content_hash: str
    # Descriptive only (format, bytes, title, stamp): two reads of one unchanged file are equal documents.
    metadata: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class SkippedFile:
    source: str
    path: str
    reason: str


@dataclass
class ScanResult:
    documents: list[Document]
    skipped: list[SkippedFile]


@dataclass(frozen=True)
class FileEntry:
    """A listed file: its path on the filesystem, its source-relative path, size and change stamp."""

    full_path: str
    path: str
    size: int
    stamp: str | None = None  # see file_stamp
    unreadable: str | None = None  # why a listed path cannot be read: a broken link, a cycle, no access


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def scan_sources(sources: Sequence[SourceConfig]) -> ScanResult:
    """Every document of every source, sorted by id, with every skipped file and its reason."""
    check_names(sources)
    documents: list[Document] = []
    skipped: list[SkippedFile] = []
    for source in sources:
        result = read_files(source, list_files(source))
        documents.extend(result.documents)
        skipped.extend(result.skipped)
    documents.sort(key=lambda d: d.id)
    skipped.sort(key=lambda s: (s.source, s.path))
    return ScanResult(documents, skipped)


def check_names(sources: Sequence[SourceConfig]) -> None:
    """Source names prefix document ids, so two sources with one name would mix their documents."""
    names = [s.name for s in sources]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"source names must be unique; repeated: {', '.join(duplicates)}")


def check_local_roots(sources: Sequence[SourceConfig]) -> None:
    """Fail at once on a local source whose folder is missing, before any flow run starts (one sentence
    instead of a failed run's traceback); remote sources are checked by the scan, with its retries."""
    for source in sources:
        fs, root = _filesystem(source)
        if isinstance(fs, LocalFileSystem) and not fs.exists(root):
            raise _missing_root(source)


def _missing_root(source: SourceConfig) -> SourceError:
    return SourceError(f"source {source.name!r}: {source.url} does not exist (check its url)")


def list_files(source: SourceConfig) -> list[FileEntry]:
    """The files under the source root that its globs select, sorted by relative path."""
    fs, root = _filesystem(source)

    def listing() -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
        fs.invalidate_cache()  # s3fs keeps listings; a watcher must see the bucket as it is now
        if fs.isfile(root):
            return {root: fs.info(root)}, {}
        if not fs.isdir(root):
            raise _missing_root(source)
        if isinstance(fs, LocalFileSystem):
            return _local_find(root)
        found: dict[str, dict[str, Any]] = fs.find(root, detail=True)
        return found, {}

    try:
        found, unreadable = _retrying(source, "listing", listing)
    except _PERMANENT as exc:
        raise SourceError(f"source {source.name!r}: cannot list {source.url}: {exc}") from exc
    base = posixpath.dirname(root) if root in found else root.rstrip("/")
    entries = []
    for full_path, info in found.items():
        if info.get("type", "file") != "file":
            continue
        rel = full_path[len(base) :].lstrip("/")
        if source.selects(rel):
            entries.append(FileEntry(full_path, rel, int(info.get("size") or 0), file_stamp(source, info)))
    for full_path, reason in unreadable.items():
        rel = full_path[len(base) :].lstrip("/")
        if source.selects(rel):
            entries.append(FileEntry(full_path, rel, 0, unreadable=reason))
    return sorted(entries, key=lambda e: e.path)


def _local_find(root: str) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """The files under a local folder with symlinks followed, and each path that cannot be followed, with why.

    fsspec's own walk lists a symlink as neither file nor folder, so a linked document would vanish without
    a word. Here a link to a file is a file at the link's path (size and mtime of its target, so the stamp
    changes with the target), a link to a folder is walked, and a link back into a folder that contains it
    is reported rather than walked forever.
    """
    files: dict[str, dict[str, Any]] = {}
    unreadable: dict[str, str] = {}
    top = root.rstrip("/") or "/"
    start = os.stat(top)
    pending = [(top, frozenset({(start.st_dev, start.st_ino)}))]
    while pending:
        folder, ancestors = pending.pop()
        try:
            with os.scandir(folder) as found:
                entries = list(found)
        except OSError as exc:
            if folder == top:
                raise
            unreadable[folder] = f"unreadable folder ({type(exc).__name__}: {exc.strerror or exc})"
            continue
        for entry in entries:
            path = posixpath.join(folder, entry.name)
            try:
                info = entry.stat()  # follows symlinks
            except FileNotFoundError:
                if entry.is_symlink():
                    unreadable[path] = f"broken symlink: its target {_link_target(path)} does not exist"
                continue  # otherwise removed since the folder was listed, as if never listed
            except OSError as exc:  # a loop of links, or a target behind a folder without access
                why = exc.strerror or exc
                unreadable[path] = f"symlink to {_link_target(path)} cannot be followed ({why})"
                continue
            if stat.S_ISDIR(info.st_mode):
                folder_id = (info.st_dev, info.st_ino)
                if folder_id in ancestors:
                    unreadable[path] = (
                        f"symlink to {_link_target(path)}, a folder that contains it: not followed (a cycle)"
                    )
                else:
                    pending.append((path, ancestors | {folder_id}))
            elif stat.S_ISREG(info.st_mode):
                files[path] = {"type": "file", "size": info.st_size, "mtime": info.st_mtime}
    return files, unreadable


def _link_target(path: str) -> str:
    try:
        return repr(os.readlink(path))
    except OSError:
        return "(unknown)"


def read_files(source: SourceConfig, entries: Sequence[FileEntry]) -> ScanResult:
    """Read and normalise the listed files; a file that vanished since the listing is skipped, not fatal."""
    fs, _ = _filesystem(source)
    read = functools.partial(_read_entry, source, fs)
    if isinstance(fs, LocalFileSystem) or len(entries) < 2:
        results = list(map(read, entries))  # local reads are CPU-bound here; threads only add contention
    else:
        with ThreadPoolExecutor(max_workers=source.max_workers) as pool:
            results = list(pool.map(read, entries))
    documents = [d for docs, _ in results for d in docs]
    skipped = [s for _, skips in results for s in skips]
    return ScanResult(documents, skipped)


def read_documents(
    sources: Sequence[SourceConfig], document_ids: Iterable[str]
) -> tuple[list[Document], dict[str, str]]:
    """Re-read just these documents, in the order asked, and say why each one not found is missing.

    Missing is an answer, not an error: a document listed by an earlier scan may be gone by now, and only
    the caller knows whether that matters. A missing file costs no retries (it is not a transient error).
    """
    by_name = {s.name: s for s in sources}
    ids = list(dict.fromkeys(document_ids))
    missing: dict[str, str] = {}
    wanted: dict[str, dict[str, set[str]]] = {}
    for doc_id in ids:
        name, _, path = doc_id.partition("/")
        if name not in by_name:
            missing[doc_id] = f"no source named {name!r}"
        elif not by_name[name].selects(file_of(path)):
            missing[doc_id] = "not selected by the source's include/exclude globs"
        else:
            wanted.setdefault(name, {}).setdefault(file_of(path), set()).add(doc_id)
    found: dict[str, Document] = {}
    for name, files in wanted.items():
        source = by_name[name]
        fs, root = _filesystem(source)
        single_file = _retrying(source, "listing", functools.partial(fs.isfile, root))
        if not single_file and not _retrying(source, "listing", functools.partial(fs.isdir, root)):
            # an unmounted source is an outage, not the deletion of every document in it
            raise SourceError(f"source {source.name!r}: {source.url} does not exist (check its url)")
        base = posixpath.dirname(root) if single_file else root.rstrip("/")
        for rel, doc_ids in sorted(files.items()):
            full_path = posixpath.join(base, rel)
            try:
                size = int(_retrying(source, f"reading {rel}", functools.partial(fs.size, full_path)) or 0)
            except FileNotFoundError:
                missing.update(dict.fromkeys(doc_ids, f"{rel} is no longer in the source"))
                continue
            except _PERMANENT as exc:
                missing.update(dict.fromkeys(doc_ids, f"cannot read {rel}: {exc}"))
                continue
            docs, skips = _read_entry(source, fs, FileEntry(full_path, rel, size))
            found.update((d.id, d) for d in docs if d.id in doc_ids)
            reasons = {f"{source.name}/{s.path}": s.reason for s in skips}
            missing.update({i: reasons.get(i, "no such record") for i in doc_ids if i not in found})
    return [found[i] for i in ids if i in found], missing


def _read_entry(source: SourceConfig, fs: Any, entry: FileEntry) -> tuple[list[Document], list[SkippedFile]]:
    """The documents in one file, or why it has none. Only ``SourceError`` escapes."""

    def skip(reason: str, path: str = entry.path) -> tuple[list[Document], list[SkippedFile]]:
        return [], [SkippedFile(source.name, path, reason)]

    if entry.unreadable:
        return skip(entry.unreadable)
    fmt = format_of(entry.path)
    if fmt is None:
        ext = posixpath.splitext(entry.path)[1]
        return skip(f"unsupported format {ext!r}" if ext else "unsupported format (no file extension)")
    if entry.size > source.max_bytes:
        return skip(f"{entry.size:,} bytes is over the size limit of {source.max_bytes:,} (max_bytes)")
    try:
        data: bytes = _retrying(source, f"reading {entry.path}", lambda: fs.cat_file(entry.full_path))
    except FileNotFoundError:
        return skip("vanished during the scan (listed, then gone before it could be read)")
    except (PermissionError, IsADirectoryError, NotADirectoryError) as exc:
        return skip(f"unreadable ({type(exc).__name__}: {exc.strerror or exc})")
    if not data:
        return skip("empty file")
    if len(data) > source.max_bytes:
        return skip(f"{len(data):,} bytes is over the size limit of {source.max_bytes:,} (max_bytes)")
    base_meta: dict[str, Any] = {"format": fmt, "bytes": len(data)}
    if entry.stamp:
        base_meta["stamp"] = entry.stamp
    try:
        if fmt in RECORD_FORMATS:
            docs: list[Document] = []
            skips: list[SkippedFile] = []
            for rec in records(fmt, data, source.text_field, source.id_field):
                path = f"{entry.path}#{rec.record_id}"
                meta = {**base_meta, "file": entry.path, "record": rec.record_id}
                made = _document(source, path, rec.text, meta) if rec.text is not None else rec.reason
                if isinstance(made, Document):
                    docs.append(made)
                else:
                    skips.append(SkippedFile(source.name, path, made))
            return docs, skips
        text, meta = extract(fmt, data)
    except BadInput as exc:
        return skip(exc.reason)
    made = _document(source, entry.path, text, {**base_meta, **meta})
    return ([made], []) if isinstance(made, Document) else skip(made)


def _document(source: SourceConfig, path: str, raw: str, metadata: dict[str, Any]) -> Document | str:
    """A document from extracted text, or the reason there is none."""
    text = normalise(raw)
    if not text:
        return "no text (only whitespace after extraction)"
    try:
        digest = content_hash(text)
    except UnicodeEncodeError as exc:
        return f"text is not valid Unicode ({exc.reason} at offset {exc.start})"
    return Document(f"{source.name}/{path}", source.name, path, text, digest, metadata)


def file_stamp(source: SourceConfig, info: dict[str, Any]) -> str | None:
    """What the listing says about a file's content without reading it, or None when it says nothing.

    An object store's ETag changes with the content; on disk, size and modification time stand in. The
    source's extraction settings are part of the stamp, so changing text_field invalidates it. Stamps
    only let a watcher skip downloads (see manifest.pending_changes); recorded hashes always come from
    reading the files.
    """
    tag = info.get("ETag") or info.get("etag") or info.get("md5Hash")
    if tag:
        ident = f"etag:{str(tag).strip(chr(34))}"
    elif info.get("mtime") is not None:
        ident = f"mtime:{info['mtime']}:{info.get('size')}"
    else:
        return None
    settings = f"{EXTRACTION_VERSION}|{source.text_field}|{source.id_field}|{source.max_bytes}"
    return f"{ident}|{hashlib.sha256(settings.encode()).hexdigest()[:12]}"


def file_of(path: str) -> str:
    """The file part of a document path: ``data.jsonl#42`` -> ``data.jsonl``; other paths as they are."""
    for index, char in enumerate(path):
        if char == "#" and format_of(path[:index]) in RECORD_FORMATS:
            return path[:index]
    return path


def _filesystem(source: SourceConfig) -> tuple[Any, str]:
    fs, root = fsspec.core.url_to_fs(source.url, **source.storage_options)
    return fs, root


def _retrying(source: SourceConfig, what: str, call: Callable[[], T]) -> T:
    """``call()``, retried with exponential backoff on transient errors; permanent ones pass straight up."""
    attempt = 0
    while True:
        try:
            return call()
        except (*_PERMANENT, SourceError):
            raise
        except Exception as exc:  # network, throttling, server errors: all worth another try
            if attempt >= source.retries:
                raise SourceError(
                    f"source {source.name!r} ({source.url}): {what} failed after {attempt + 1} attempt(s): "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
            time.sleep(source.retry_backoff_s * 2**attempt)
            attempt += 1
