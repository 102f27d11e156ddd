"""A tiny model trained for a test as an update trains one: through the training job, as one process
without a launcher (a launcher's start-up would double the cost of such short jobs)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from transformers import PreTrainedModel
from transformers.tokenization_utils_base import PreTrainedTokenizerBase

from memo_core.training.examples import Example
from memo_core.training.job import TrainingJob, launch, write_examples


def train_model(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    examples: Sequence[Example],
    work: Path,
    *,
    learning_rate: float,
    epochs: float,
    batch_size: int,
    warmup_ratio: float = 0.1,
) -> Path:
    """Save ``model`` and ``tokenizer`` under ``work``, train them on ``examples`` in a job there and return
    the folder of the trained model and its tokenizer."""
    start = work / "start"
    model.save_pretrained(start)
    tokenizer.save_pretrained(start)
    job = TrainingJob(
        model_dir=str(start),
        examples_file=str(write_examples(list(examples), work / "examples.jsonl")),
        output_dir=str(work / "model"),
        checkpoint_dir=str(work / "checkpoints"),
        learning_rate=learning_rate,
        epochs=epochs,
        batch_size=batch_size,
        warmup_ratio=warmup_ratio,
    )
    launch(job, 1, "none")
    return Path(job.output_dir)
