"""The general-text canary: shipped prose, perplexity in context-sized windows, drift against a reference."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import pytest
import torch

from memo_core.evaluation.canary import canary_text, measure_canary, perplexity
from memo_core.evaluation.config import GateConfig
from memo_core.evaluation.gate import apply_gate
from memo_core.memory.config import OfflineModelSpec
from memo_core.memory.model import MemoryModel, build_offline_model, train_tokenizer

TINY = OfflineModelSpec(layers=1, hidden=32, heads=2, intermediate=64, vocab_size=400, max_positions=64)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def untrained() -> MemoryModel:
    tokenizer = train_tokenizer([canary_text()], TINY.vocab_size)
    return MemoryModel(build_offline_model(tokenizer, TINY, seed=0), tokenizer)


@pytest.fixture(scope="module")
def fitted(untrained: MemoryModel) -> MemoryModel:
    """The same model after a few steps of language modelling on the canary itself."""
    model = copy.deepcopy(untrained.model).train()
    ids = untrained.tokenizer(canary_text(), add_special_tokens=False)["input_ids"][:256]
    batch = torch.tensor([ids[i : i + TINY.max_positions] for i in range(0, 256, TINY.max_positions)])
    optimiser = torch.optim.AdamW(model.parameters(), lr=1e-2)
    for _ in range(30):
        optimiser.zero_grad()
        model(input_ids=batch, labels=batch).loss.backward()
        optimiser.step()
    return MemoryModel(model.eval(), untrained.tokenizer)


def test_canary_is_a_few_kilobytes_of_prose_shipped_as_package_data():
    text = canary_text()
    assert 2000 <= len(text.encode("utf-8")) <= 4096
    assert len(text.split()) > 400
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "data/*" in package_data["memo_core"]


def test_perplexity_reads_the_text_in_windows_the_context_holds(untrained: MemoryModel):
    value, predicted = perplexity(untrained, canary_text(), max_tokens=150)
    # windows of 64, 64 and 22 tokens; the first token of each is context only
    assert predicted == 150 - 3
    assert 1 < value < 10 * TINY.vocab_size
    assert perplexity(untrained, canary_text(), max_tokens=150) == (value, predicted)


def test_drift_is_the_relative_change_against_the_reference(untrained: MemoryModel, fitted: MemoryModel):
    alone = measure_canary(untrained, max_tokens=256)
    assert alone.reference is None and alone.drift is None
    assert measure_canary(untrained, 256, untrained).drift == 0

    better = measure_canary(fitted, 256, untrained, "champion")
    assert better.reference == "champion" and better.reference_perplexity == alone.perplexity
    assert better.perplexity < alone.perplexity
    assert better.drift == pytest.approx((better.perplexity - alone.perplexity) / alone.perplexity)

    worse = measure_canary(untrained, 256, fitted, "base")
    assert worse.drift is not None and worse.drift > 0
    gate = apply_gate(GateConfig(max_canary_drift=worse.drift / 2), None, None, None, worse.drift)
    assert not gate.passed and gate.failures[0].startswith("canary_drift")
