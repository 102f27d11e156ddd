"""The LLM backends' prompts: templates kept as package data (``memo_core/prompts/*.md``) and the data
blocks that carry untrusted document text into them.

Document text only ever travels inside a data block fenced by marker lines carrying a nonce derived from
the block contents, so a document cannot close its own block (it would have to contain a hash of itself),
and the system prompt tells the model that nothing inside a block is an instruction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import cache
from importlib import resources
from string import Template

from memo_core.llm.chat import Message

STEPS = ("extraction", "consolidation", "verification", "entities", "cross_document")
_MARKER = "<<<"


@cache
def template(name: str) -> Template:
    """A prompt template from the package's ``prompts`` folder."""
    path = resources.files("memo_core").joinpath("prompts", f"{name}.md")
    if not path.is_file():
        raise ValueError(f"no prompt template {name!r} in memo_core/prompts")
    return Template(path.read_text(encoding="utf-8"))


def nonce(blocks: Sequence[str]) -> str:
    digest = hashlib.sha256("\x1e".join(blocks).encode("utf-8"))
    return digest.hexdigest()[:16]


def fence(text: str, tag: str) -> str:
    """``text`` inside one data block; marker look-alikes in it are broken up so they cannot end it."""
    body = text.replace(_MARKER, "< < <")
    return f"<<<DATA {tag}>>>\n{body}\n<<<END DATA {tag}>>>"


def messages(step: str, system: str = "system", **data: str | Sequence[str]) -> list[Message]:
    """The system and user messages of one step (templates ``<system>.md`` and ``<step>.md``); every
    keyword is untrusted data and is fenced (a sequence becomes one block per item)."""
    flat = [item for value in data.values() for item in ([value] if isinstance(value, str) else value)]
    tag = nonce(flat)
    fenced = {
        key: fence(value, tag) if isinstance(value, str) else "\n\n".join(fence(v, tag) for v in value)
        for key, value in data.items()
    }
    return [
        {"role": "system", "content": template(system).substitute(nonce=tag)},
        {"role": "user", "content": template(step).substitute(fenced)},
    ]
