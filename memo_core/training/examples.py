"""Supervised fine-tuning of the MEMORY model: one example per reflection, loss on answer tokens only.

Read top to bottom: encode (question as the user turn, answer as the assistant turn), batch, and step AdamW
under a one-cycle schedule, reporting progress and stopping at the first non-finite loss. ``train`` runs in
the calling process; updates train through a job of their own (``memo_core.training.job`` and ``.worker``),
which uses the same encoding, batches and schedule under DeepSpeed, on one process or many.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from transformers import PreTrainedModel
from transformers.tokenization_utils_base import PreTrainedTokenizerBase

from memo_core.config import MemoConfig
from memo_core.memory.model import prompt_ids
from memo_core.plan.planner import UpdatePlan
from memo_core.reflections.records import Reflection
from memo_core.training.abstention import ABSTAIN_ANSWER, abstention_questions, vocabulary
from memo_core.training.config import TrainingConfig
from memo_core.training.replay import incremental_examples

log = logging.getLogger(__name__)

IGNORE = -100


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
