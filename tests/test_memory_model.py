"""The memory's answers carry its confidence: the mean log-probability of the answer's tokens."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from memo_core.memory.model import MemoryModel, mean_answer_log_prob, prompt_ids
from memo_core.memory.recall import Recalled


def _greedy(memory: MemoryModel, question: str) -> tuple[str, float]:
    """One question decoded token by token without padding: the reference the batched answer must match."""
    ids = prompt_ids(memory.tokenizer, question)
    log_probs: list[float] = []
    answer: list[int] = []
    with torch.inference_mode():
        for _ in range(memory.max_new_tokens):
            logits = memory.model(torch.tensor([ids + answer])).logits[0, -1]
            token = int(logits.argmax())
            log_probs.append(float(torch.log_softmax(logits.float(), -1)[token]))
            answer.append(token)
            if token == memory.tokenizer.eos_token_id:
                break
    text = memory.tokenizer.decode(answer, skip_special_tokens=True).strip()
    return text, sum(log_probs) / len(log_probs)


def test_a_batched_answer_carries_the_mean_log_probability_of_its_tokens(checkpoint: Path) -> None:
    memory = MemoryModel.load(checkpoint, max_new_tokens=6)
    questions = ["Who founded Verdant Lamp Works?", "Who?"]  # of different lengths: one is left-padded
    answers = memory.answer(questions)
    for question, answer in zip(questions, answers, strict=True):
        text, confidence = _greedy(memory, question)
        assert isinstance(answer, Recalled)
        assert answer == text
        assert answer.confidence == pytest.approx(confidence, abs=1e-4)
        assert answer.confidence <= 0


def test_padding_after_an_answer_ends_is_not_counted() -> None:
    end = 9
    generated = torch.tensor([[5, end, end, end], [5, 6, 7, 8], [end, 3, 3, 3]])
    log_probs = torch.tensor([[-1.0, -0.5, -7.0, -7.0], [-1.0, -2.0, -3.0, -4.0], [-0.25, -9.0, -9.0, -9.0]])
    assert mean_answer_log_prob(generated, log_probs, end).tolist() == [-0.75, -2.5, -0.25]
