"""Supervised fine-tuning of the MEMORY model: one example per reflection, loss on answer tokens only.

Read top to bottom: encode (question as the user turn, answer as the assistant turn), batch, and step AdamW
under a one-cycle schedule, reporting progress and stopping at the first non-finite loss. ``train`` runs in
the calling process; updates train through a job of their own (``memo_core.memory.job`` and ``.worker``),
which uses the same encoding, batches and schedule under DeepSpeed, on one process or many.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import torch
from pydantic import BaseModel, ConfigDict, Field, model_validator
from transformers import PreTrainedModel
from transformers.tokenization_utils_base import PreTrainedTokenizerBase

from memo_core.memory.model import prompt_ids
from memo_core.replay import ReplaySampling

log = logging.getLogger(__name__)
IGNORE = -100


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
    launcher: Literal["deepspeed", "torchrun"] = Field(
        "deepspeed", description="how the training job's processes are started"
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
    def _hostfile_needs_deepspeed(self) -> TrainingConfig:
        if self.hostfile and self.launcher != "deepspeed":
            raise ValueError("training.hostfile needs launcher: deepspeed; torchrun meets by rendezvous")
        return self


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the run stops rather than save a broken model."""


@dataclass(frozen=True)
class Example:
    question: str
    answer: str


@dataclass(frozen=True)
class Progress:
    step: int
    total_steps: int
    loss: float
    tokens_per_second: float
    eta_seconds: float


@dataclass(frozen=True)
class TrainingResult:
    steps: int
    examples: int
    final_loss: float
    tokens: int
    seconds: float

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0


def encode(tokenizer: PreTrainedTokenizerBase, example: Example) -> tuple[list[int], list[int]]:
    """Token ids and labels for one example; prompt positions get IGNORE so only the answer is learned."""
    prompt = prompt_ids(tokenizer, example.question)
    answer = tokenizer.encode(example.answer, add_special_tokens=False) + [tokenizer.eos_token_id]
    return prompt + answer, [IGNORE] * len(prompt) + answer


def collate(rows: Sequence[tuple[list[int], list[int]]], pad_id: int) -> dict[str, torch.Tensor]:
    width = max(len(ids) for ids, _ in rows)
    input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    labels = torch.full((len(rows), width), IGNORE, dtype=torch.long)
    attention = torch.zeros((len(rows), width), dtype=torch.long)
    for i, (ids, labs) in enumerate(rows):
        input_ids[i, : len(ids)] = torch.tensor(ids)
        labels[i, : len(labs)] = torch.tensor(labs)
        attention[i, : len(ids)] = 1
    return {"input_ids": input_ids, "labels": labels, "attention_mask": attention}


def length_bucketed_batches(lengths: Sequence[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """One epoch of shuffled batches whose members have similar lengths, so little compute goes to padding."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    window = batch_size * 32
    batches: list[list[int]] = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start : start + window], key=lambda i: lengths[i])
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


def total_steps(n_examples: int, batch_size: int, epochs: float, max_steps: int | None = None) -> int:
    steps = math.ceil(epochs * n_examples / batch_size)
    return max(1, min(steps, max_steps) if max_steps else steps)


def batch_schedule(lengths: Sequence[int], batch_size: int, steps: int, seed: int) -> list[list[int]]:
    """The example indices of every step's batch, epoch after epoch: a pure function of its arguments, so a
    resumed job (or another rank) knows the batch of any step without replaying the ones before it."""
    rng = random.Random(seed)
    schedule: list[list[int]] = []
    batches: list[list[int]] = []
    while len(schedule) < steps:
        if not batches:
            batches = length_bucketed_batches(lengths, batch_size, rng)
        schedule.append(batches.pop())
    return schedule


def one_cycle(
    optimizer: torch.optim.Optimizer, max_lr: float, steps: int, warmup_ratio: float
) -> torch.optim.lr_scheduler.OneCycleLR:
    """Warm-up to ``max_lr``, then cosine decay. OneCycleLR needs two steps of warm-up and four in all, or it
    divides by zero; short runs (a benchmark's, a test's) get them, longer ones the ratio asked for."""
    total = max(steps, 4)
    return torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=max_lr, total_steps=total, pct_start=max(warmup_ratio, 2 / total)
    )


def train(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    examples: Sequence[Example],
    config: TrainingConfig,
    learning_rate: float,
    epochs: float,
    seed: int = 0,
    on_progress: Callable[[Progress], None] | None = None,
) -> TrainingResult:
    """Fine-tune ``model`` in place on ``examples``."""
    if not examples:
        raise ValueError("no training examples: the reflection set is empty")
    encoded = [encode(tokenizer, ex) for ex in examples]
    steps = total_steps(len(encoded), config.batch_size, epochs, config.max_steps)
    batches = batch_schedule([len(ids) for ids, _ in encoded], config.batch_size, steps, seed)
    torch.manual_seed(seed)

    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=config.weight_decay)
    schedule = one_cycle(optimizer, learning_rate, steps, config.warmup_ratio)
    model.train()
    tokens, loss_value, started = 0, float("nan"), time.perf_counter()
    for step in range(1, steps + 1):
        batch = collate([encoded[i] for i in batches[step - 1]], tokenizer.pad_token_id)

        loss = model(**batch).loss
        loss_value = loss.item()
        if not math.isfinite(loss_value):
            raise TrainingDiverged(f"loss is {loss_value} at step {step}; lower the learning rate and re-run")
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        tokens += int(batch["attention_mask"].sum())

        if on_progress and (step % config.log_every == 0 or step == steps):
            elapsed = time.perf_counter() - started
            on_progress(Progress(step, steps, loss_value, tokens / elapsed, elapsed / step * (steps - step)))
    model.eval()
    return TrainingResult(steps, len(encoded), loss_value, tokens, time.perf_counter() - started)


def log_progress(progress: Progress) -> None:
    log.info(
        "step %d/%d  loss %.4f  %.0f tokens/s  eta %.0fs",
        progress.step,
        progress.total_steps,
        progress.loss,
        progress.tokens_per_second,
        progress.eta_seconds,
    )
