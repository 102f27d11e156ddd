"""Replay for incremental updates: which earlier examples a run continuing from the champion rehearses.

``rotating`` (the default): the run makes ``epochs`` passes over the new examples and draws
``replay_ratio`` earlier examples per new one in every pass, walking through a shuffled list of all of them
(reshuffled once used up), so rehearsal is spread evenly over everything the champion knew. The passes are
handed to training as one pass over the concatenated list, so the learning-rate schedule spans the run.
``fixed``: one sample of earlier examples, seen in every pass (memo's first rule; it forgets more:
``bench/forgetting.py``).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TypeVar

from memo_core.training.config import ReplaySampling

T = TypeVar("T")


def cycled(items: Sequence[T], count: int, rng: random.Random) -> list[T]:
    """``count`` items walking through ``items`` in shuffled order, reshuffled after each full round, so every
    item is drawn as often as any other (give or take one)."""
    drawn: list[T] = []
    while len(drawn) < count and items:
        order = list(items)
        rng.shuffle(order)
        drawn.extend(order[: count - len(drawn)])
    return drawn


def incremental_examples(
    new: Sequence[T],
    earlier: Sequence[T],
    replay_ratio: float,
    epochs: float,
    sampling: ReplaySampling,
    seed: int,
) -> tuple[list[T], float]:
    """The examples of an incremental run and the epochs to pass over them."""
    rng = random.Random(seed)
    per_pass = min(len(earlier), round(replay_ratio * len(new)))
    if sampling == "fixed":
        return list(new) + rng.sample(list(earlier), per_pass), epochs
    return cycled(new, round(epochs * len(new)), rng) + cycled(earlier, round(epochs * per_pass), rng), 1.0
