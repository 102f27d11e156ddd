"""Training settings: mode, epochs, replay, batch sizes, launcher and processes. Pydantic only."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from memo_core.memory.config import LoraSettings

ReplaySampling = Literal["rotating", "fixed"]

# Learning rates and passes by how the memory starts; the fields memo.yaml leaves unset take them. The
# offline model learns from scratch and needs many passes at a high rate. A pretrained base is fine-tuned:
# MeMo trains 1.5B-14B models 3 epochs at 2e-5, but SmolLM2-135M on a slice of the sample corpus learnt
# 0.30 of its facts in 5 epochs at 1e-4 and 0.99 in 10 at 3e-4 (bench/pretrained_memory.py). LoRA keeps
# MeMo's 2e-4, not measured here.
Recipe = Literal["scratch", "fine-tune", "lora"]
RECIPES: dict[Recipe, dict[str, float]] = {
    "scratch": dict(learning_rate=2e-3, incremental_learning_rate=1e-3, epochs=20, incremental_epochs=8),
    "fine-tune": dict(learning_rate=3e-4, incremental_learning_rate=1.5e-4, epochs=10, incremental_epochs=4),
    "lora": dict(learning_rate=2e-4, incremental_learning_rate=1e-4, epochs=10, incremental_epochs=4),
}


def _from_recipe(name: str, description: str) -> Any:
    return Field(RECIPES["scratch"][name], gt=0, description=f"{description} (unset: the base's recipe)")


class TrainingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["full", "incremental"] = Field(
        "incremental", description="incremental continues from the champion; full starts from the base model"
    )
    epochs: float = _from_recipe("epochs", "passes over the training examples")
    incremental_epochs: float = _from_recipe(
        "incremental_epochs", "passes over the new reflections when continuing from the champion"
    )
    max_steps: int | None = Field(None, ge=1, description="cap on optimiser steps, whatever the epochs")
    batch_size: int = Field(32, ge=1, description="examples per optimiser step, over all processes")
    micro_batch_size: int | None = Field(
        None,
        ge=1,
        description="examples per process per forward pass, to fit GPU memory; the global batch is reached "
        "by gradient accumulation. Unset: the whole share of the batch at once",
    )
    lora: LoraSettings | None = Field(
        None, description="train a LoRA adapter (PEFT) instead of every weight; unset: every weight"
    )
    compile: bool = Field(
        False,
        description="torch.compile the model in the training job: faster on GPUs when batches have fixed "
        "lengths; costs a compilation at start (and on every new batch shape)",
    )
    learning_rate: float = _from_recipe("learning_rate", "peak learning rate of a full run")
    incremental_learning_rate: float = _from_recipe(
        "incremental_learning_rate", "peak learning rate when continuing"
    )
    warmup_ratio: float = Field(0.1, ge=0, lt=1)
    weight_decay: float = Field(0.0, ge=0)
    replay_ratio: float = Field(
        1.5, ge=0, description="replayed earlier examples per new example in every pass (incremental)"
    )
    replay_sampling: ReplaySampling = Field(
        "rotating",
        description="rotating: each pass rehearses other earlier examples, walking through all of them; "
        "fixed: one sample, rehearsed in every pass",
    )
    abstain_ratio: float = Field(
        0.05,
        ge=0,
        le=1,
        description='"I don\'t know" examples per training example: real questions with invented names',
    )
    log_every: int = Field(50, ge=1)
    launcher: Literal["deepspeed", "torchrun", "none"] = Field(
        "deepspeed",
        description="how the training job's processes are started; none: one process, no launcher",
    )
    num_processes: int = Field(
        1, ge=1, description="training processes per host: 1 on CPU, one per GPU on GPU hosts"
    )
    hostfile: str | None = Field(
        None, description="DeepSpeed hostfile for a job across hosts (deepspeed launcher only)"
    )
    checkpoint_every: int = Field(
        200, ge=1, description="optimiser steps between resumable checkpoints in the artifact store"
    )
    deepspeed_config: str | None = Field(
        None, description="DeepSpeed JSON config; default infra/deepspeed/zero2.json of this checkout"
    )
    deployment: str | None = Field(
        None,
        description="Prefect deployment (FLOW/NAME) that runs the fine-tune, e.g. fine-tune/fine-tune on "
        "the memo-gpu pool; unset, the update trains in its own flow run",
    )
    pass_env: list[str] = Field(
        default_factory=list,
        description="further environment variables the training processes see (names, or prefixes ending "
        "in *); by default they see only the toolchain's, the accelerators', Hugging Face's, DeepSpeed's "
        "and MLflow's",
    )

    def recipe(self, pretrained: bool) -> Recipe:
        """How a memory is trained: from scratch (the offline model), or a pretrained base fine-tuned."""
        return "scratch" if not pretrained else "lora" if self.lora else "fine-tune"

    def take_recipe(self, recipe: Recipe) -> None:
        """Give the rates and passes memo.yaml left unset the recipe's values."""
        for name, value in RECIPES[recipe].items():
            if name not in self.model_fields_set:
                self.__dict__[name] = value  # stays unset: a later recipe may still replace it

    @model_validator(mode="after")
    def _launcher_fits(self) -> TrainingConfig:
        if self.hostfile and self.launcher != "deepspeed":
            raise ValueError("training.hostfile needs launcher: deepspeed; torchrun meets by rendezvous")
        if self.launcher == "none" and self.num_processes != 1:
            raise ValueError("launcher: none runs one process; use deepspeed or torchrun for more")
        return self
