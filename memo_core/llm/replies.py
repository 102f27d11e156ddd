"""JSON replies from a chat model: parsed into a pydantic schema, asked again when malformed, then counted
and dropped.
"""

from __future__ import annotations

import json
import logging
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from memo_core.llm.chat import ChatClient, Message

log = logging.getLogger(__name__)

Schema = TypeVar("Schema", bound=BaseModel)


class Reply(BaseModel):
    """Base of every JSON reply schema: unknown keys ignored, numbers accepted where text is asked for
    (models write 1991 for "1991")."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)


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
