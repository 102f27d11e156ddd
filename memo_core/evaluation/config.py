"""Evaluation settings: suite sizes, held-out questions, the canary, the LLM judge and the gate's limits.
Pydantic only, so reading memo.yaml loads no model code.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from memo_core.llm.config import OpenAIBackendConfig


class JudgeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    backend: Literal["offline", "openai"] = Field(
        "offline",
        description="offline: no judge, exact match and F1 only; openai: a chat-completions endpoint also "
        "judges the answers exact match rejects",
    )
    openai: OpenAIBackendConfig = Field(default_factory=OpenAIBackendConfig)
    malformed_attempts: int = Field(3, ge=1, description="tries per answer before it counts as unjudged")


class GateConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_new_knowledge: float = Field(
        0.5,
        ge=0,
        le=1,
        description="lowest exact match on the new and changed documents' training pairs (recall)",
    )
    min_probe_em: float = Field(
        0.0,
        ge=0,
        le=1,
        description="lowest exact match on their probes, wordings never trained (generalisation); at 0 "
        "the gate shows it beside recall without holding a candidate back",
    )
    max_retention_drop: float = Field(
        0.1, ge=0, le=1, description="largest retention loss against the champion"
    )
    max_canary_drift: float = Field(
        0.25,
        ge=0,
        description="largest relative rise of the canary perplexity against the champion (or base model)",
    )


class EvaluationConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_questions_per_suite: int = Field(
        300,
        ge=1,
        description="suites larger than this are sampled (seeded); retention takes an equal share per "
        "corpus version",
    )
    questions_file: str | None = Field(
        None, description="held-out questions (jsonl) scored through the executive"
    )
    canary_max_tokens: int = Field(
        512, ge=16, description="tokens of the shipped general-text sample the canary perplexity reads"
    )
    judge: JudgeConfig = Field(default_factory=JudgeConfig)
    gate: GateConfig = Field(default_factory=GateConfig)
