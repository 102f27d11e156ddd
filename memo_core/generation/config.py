"""Generator settings, one pydantic model shared by every backend so memo.yaml has one ``generator`` block."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class GeneratorConfig(BaseModel):
    """Which generator distils documents into reflections, and how."""

    model_config = ConfigDict(extra="forbid")

    backend: Literal["offline", "openai", "hf"] = Field(
        "offline", description="offline: deterministic rules, no downloads; openai/hf: an LLM (not yet built)"
    )
    probes: bool = Field(True, description="also write held-out, differently worded probe questions")
