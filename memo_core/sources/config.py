"""Source settings: where documents are read from and which files a source selects. Pydantic only."""

from __future__ import annotations

import functools
import posixpath
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class SourceConfig(BaseModel):
    """One document source in memo.yaml."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", description="short name, first part of ids")
    url: str = Field(description="fsspec URL or local path (relative: against the current directory)")
    include: list[str] = Field(
        default_factory=lambda: ["**/*"],
        description="globs on the source-relative path; a glob without '/' matches the file name anywhere; "
        "wildcards skip names starting with '.' unless the pattern spells the dot",
    )
    exclude: list[str] = Field(default_factory=list, description="globs as for include; exclude wins")
    storage_options: dict[str, Any] = Field(
        default_factory=dict,
        description="fsspec options; s3: endpoint_url, key, secret, client_kwargs={'region_name': ...} "
        "(unset ones come from the standard AWS environment variables)",
    )
    text_field: str = Field("text", description="JSON/JSONL: field holding the text (dots for nesting)")
    id_field: str = Field("id", description="JSON/JSONL: field holding the record id (dots for nesting)")
    max_bytes: int = Field(20_000_000, gt=0, description="larger files are skipped")
    retries: int = Field(4, ge=0, description="retries of a failing listing or read before the scan fails")
    retry_backoff_s: float = Field(0.5, ge=0, description="first retry delay; doubles each retry")
    max_workers: int = Field(16, gt=0, description="concurrent reads (object stores are latency-bound)")

    def selects(self, path: str) -> bool:
        """Whether the source-relative ``path`` passes the include and exclude globs."""
        return _matches_any(tuple(self.include), path) and not _matches_any(tuple(self.exclude), path)


_VISIBLE_NAME = r"[^/.][^/]*"  # a path segment that does not start with a dot


@functools.lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    """Compile a path glob: ``**`` spans folders, ``*`` and ``?`` stay within one, ``[...]`` is a class.

    As in a shell, a wildcard does not match a leading dot: hidden files and folders (``.git``, an
    artifact store kept inside the source) are left out unless a pattern spells the dot.
    """
    out: list[str] = []
    i = 0
    while i < len(pattern):
        segment_start = i == 0 or pattern[i - 1] == "/"
        if segment_start and pattern.startswith("**/", i):
            out.append(f"(?:{_VISIBLE_NAME}/)*")
            i += 3
        elif segment_start and pattern[i:] == "**":
            out.append(f"(?:{_VISIBLE_NAME}(?:/{_VISIBLE_NAME})*)?")
            i += 2
        elif pattern[i] == "*":
            out.append(r"(?!\.)[^/]*" if segment_start else "[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/.]" if segment_start else "[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 2 :]:
            end = pattern.index("]", i + 2)
            body = pattern[i + 1 : end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body).replace("\\", "\\\\") + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def _matches_any(patterns: tuple[str, ...], path: str) -> bool:
    name = posixpath.basename(path)
    return any(_glob_regex(p).match(path if "/" in p else name) for p in patterns)
