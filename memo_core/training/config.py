"""Training settings: mode, epochs, replay, batch sizes, launcher and processes. Pydantic only."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from memo_core.memory.config import LoraSettings

ReplaySampling = Literal["rotating", "fixed"]


class TrainingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["full", "incremental"] = Field(
        "incremental", description="incremental continues from the champion; full starts from the base model"
    )
    epochs: float = Field(20, gt=0, description="passes over the training examples")
    incremental_epochs: float = Field(
        8, gt=0, description="passes over the new reflections when continuing from the champion"
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
    learning_rate: float = Field(2e-3, gt=0, description="peak learning rate of a full run")
    incremental_learning_rate: float = Field(1e-3, gt=0, description="peak learning rate when continuing")
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

    @model_validator(mode="after")
    def _launcher_fits(self) -> TrainingConfig:
        if self.hostfile and self.launcher != "deepspeed":
            raise ValueError("training.hostfile needs launcher: deepspeed; torchrun meets by rendezvous")
        if self.launcher == "none" and self.num_processes != 1:
            raise ValueError("launcher: none runs one process; use deepspeed or torchrun for more")
        return self
