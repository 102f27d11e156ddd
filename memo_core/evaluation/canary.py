"""The general-ability canary: perplexity on a fixed sample of plain English prose shipped with the package.

Fine-tuning on reflections can wear away what the MEMORY model knew about language in general. Its
perplexity on text that has nothing to do with the corpus, compared with the champion's (or, for a full
build, the base model's), shows that drift cheaply and deterministically.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

import torch

from memo_core.memory.model import MemoryModel

CANARY_FILE = "canary.txt"


@cache
def canary_text() -> str:
    return resources.files("memo_core").joinpath("data", CANARY_FILE).read_text(encoding="utf-8")


@torch.inference_mode()
def perplexity(memory: MemoryModel, text: str, max_tokens: int) -> tuple[float, int]:
    """exp of the mean next-token loss over the first ``max_tokens`` tokens of ``text``, read in windows
    the model's context holds; also returns how many tokens were predicted."""
    ids = memory.tokenizer(text, add_special_tokens=False)["input_ids"][:max_tokens]
    window = int(getattr(memory.model.config, "max_position_embeddings", 0) or max_tokens)
    loss_sum, predicted = 0.0, 0
    for start in range(0, len(ids), window):
        chunk = torch.tensor([ids[start : start + window]], device=memory.model.device)
        if chunk.shape[1] < 2:
            break
        loss = memory.model(input_ids=chunk, labels=chunk).loss
        loss_sum += float(loss) * (chunk.shape[1] - 1)
        predicted += chunk.shape[1] - 1
    if not predicted:
        raise ValueError("the canary text is shorter than two tokens for this tokenizer")
    return math.exp(loss_sum / predicted), predicted


@dataclass(frozen=True)
class CanaryResult:
    perplexity: float
    tokens: int
    reference: str | None = None  # what the candidate is compared with: "champion" or "base"
    reference_perplexity: float | None = None
    drift: float | None = None  # relative change of perplexity against the reference; above 0 is worse


def measure_canary(
    candidate: MemoryModel,
    max_tokens: int,
    reference: MemoryModel | None = None,
    reference_name: str = "champion",
) -> CanaryResult:
    """The candidate's canary perplexity and, given a reference model, its relative change against it."""
    text = canary_text()
    value, tokens = perplexity(candidate, text, max_tokens)
    if reference is None:
        return CanaryResult(value, tokens)
    before, _ = perplexity(reference, text, max_tokens)
    return CanaryResult(value, tokens, reference_name, before, (value - before) / before)
