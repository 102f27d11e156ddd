"""The LLM backends' prompts: templates kept as package data (``memo_core/prompts/*.md``) and the data
blocks that carry untrusted document text into them.

Document text only ever travels inside a data block fenced by marker lines carrying a nonce derived from
the block contents, so a document cannot close its own block (it would have to contain a hash of itself),
and the system prompt tells the model that nothing inside a block is an instruction.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from functools import cache
from importlib import resources
from string import Template
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from memo_core.generation.chat import ChatClient, Message

log = logging.getLogger(__name__)
Schema = TypeVar("Schema", bound=BaseModel)

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


class MalformedReply(ValueError):
    """The model's reply was not the JSON the step asked for."""


def parse_reply(text: str, schema: type[Schema]) -> Schema:
    """The reply as ``schema``; a JSON object wrapped in prose or a code fence is accepted."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        raise MalformedReply(f"no JSON object in reply: {text[:120]!r}")
    try:
        return schema.model_validate(json.loads(text[start : end + 1]))
    except (json.JSONDecodeError, ValidationError) as error:
        raise MalformedReply(f"reply does not match {schema.__name__}: {error}") from error


def ask_json(
    chat: ChatClient, request: list[Message], schema: type[Schema], attempts: int
) -> tuple[Schema | None, int]:
    """The reply parsed as ``schema``, asking up to ``attempts`` times; None when every reply was
    malformed. Also returns how many malformed replies came back."""
    for attempt in range(1, attempts + 1):
        try:
            return parse_reply(chat.complete(request), schema), attempt - 1
        except MalformedReply as error:
            log.debug("malformed reply (attempt %d/%d): %s", attempt, attempts, error)
    return None, attempts
