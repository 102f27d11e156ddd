"""The MEMORY model's settings: where a full build starts, the offline model's shape and LoRA adapters.
Pydantic only.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class OfflineModelSpec(BaseModel):
    """Shape of the locally initialised default model (about 4M parameters as set)."""

    model_config = ConfigDict(extra="forbid")

    layers: int = Field(4, ge=1)
    hidden: int = Field(256, ge=16)
    heads: int = Field(4, ge=1)
    intermediate: int = Field(704, ge=16)
    vocab_size: int = Field(2000, ge=300)
    max_positions: int = Field(256, ge=32)


class MemoryModelConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base: str = Field(
        "offline",
        description="where a full build starts: 'offline' (a small model built locally), a Hugging Face "
        "model folder, an fsspec URL of one (s3://bucket/models/name, copied to a local cache), or a hub id "
        "(org/name) where the machine has a network or the model is in the local Hugging Face cache",
    )
    revision: str | None = Field(None, description="hub ids: the branch, tag or commit to use")
    storage_options: dict[str, Any] = Field(
        default_factory=dict, description="fsspec options for a base URL (endpoint, credentials)"
    )
    offline: OfflineModelSpec = Field(default_factory=OfflineModelSpec)
    max_new_tokens: int = Field(32, ge=1, description="longest memory answer, in tokens")


class LoraSettings(BaseModel):
    """A LoRA adapter trained through PEFT in place of every weight."""

    model_config = ConfigDict(extra="forbid")

    r: int = Field(16, ge=1, description="rank of the adapter matrices")
    alpha: int = Field(32, ge=1, description="scaling numerator: updates are scaled by alpha / r")
    dropout: float = Field(0.0, ge=0, lt=1)
    target_modules: list[str] | Literal["all-linear"] = Field(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
        description="names of the linear layers that get an adapter (Llama/Qwen names), or 'all-linear'",
    )
    merge: bool = Field(
        True,
        description="merge the adapter into the weights after training, so the candidate serves (and is "
        "evaluated) as a plain model; false keeps adapter and starting weights side by side",
    )
