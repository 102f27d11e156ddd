"""Supervised fine-tuning of the MEMORY model: one example per reflection, loss on answer tokens only.

Read top to bottom: encode (question as the user turn, answer as the assistant turn), batch, schedule the
learning rate, and choose what an update trains on. Training itself runs as a job of its own
(``memo_core.training.job`` and ``.worker``), under DeepSpeed, on one process or many.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from transformers.tokenization_utils_base import PreTrainedTokenizerBase

from memo_core.config import MemoConfig
from memo_core.memory.model import prompt_ids
from memo_core.plan.planner import UpdatePlan
from memo_core.reflections.records import Reflection
from memo_core.training.abstention import ABSTAIN_ANSWER, abstention_questions, vocabulary
from memo_core.training.replay import incremental_examples

IGNORE = -100


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the run stops rather than save a broken model."""


@dataclass(frozen=True)
class Example:
    question: str
    answer: str


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


@dataclass
class TrainingSet:
    new: list[Reflection]  # distinct reflections of new and changed documents (every one, for a full build)
    replay: list[Reflection]  # distinct earlier reflections rehearsed
    epochs: float  # passes over ``examples``
    abstentions: list[Example] = field(default_factory=list)
    examples: list[Example] = field(default_factory=list)


def select_training_set(
    config: MemoConfig, plan: UpdatePlan, reflections: Sequence[Reflection]
) -> TrainingSet:
    """Every training reflection for a full build; when continuing, the new ones with replay of earlier
    ones (``memo_core.training.replay``). Then ``training.abstain_ratio`` as many again of "I don't know"
    examples about invented names."""
    training = config.training
    train_split = [r for r in reflections if r.split == "train"]
    if plan.mode == "full":
        trained, epochs = train_split, training.epochs
        chosen = TrainingSet(new=train_split, replay=[], epochs=epochs)
    else:
        fresh = set(plan.new_documents)
        new = [r for r in train_split if fresh.intersection(r.document_ids)]
        old = [r for r in train_split if not fresh.intersection(r.document_ids)]
        trained, epochs = incremental_examples(
            new,
            old,
            training.replay_ratio,
            training.incremental_epochs,
            training.replay_sampling,
            config.seed,
        )
        replayed = {r.id for r in trained} - {r.id for r in new}
        chosen = TrainingSet(new=new, replay=[r for r in old if r.id in replayed], epochs=epochs)
    count = round(training.abstain_ratio * len(trained))
    taken = vocabulary(f"{r.question} {r.answer}" for r in reflections)
    unknown = abstention_questions([r.question for r in trained], count, taken, config.seed)
    chosen.abstentions = [Example(q, ABSTAIN_ANSWER) for q in unknown]
    chosen.examples = [Example(r.question, r.answer) for r in trained] + chosen.abstentions
    return chosen
