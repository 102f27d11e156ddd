"""Replay of earlier reflections in incremental updates, and the training set an update selects."""

from __future__ import annotations

from memo_core.training.examples import Example
from memo_core.training.replay import incremental_examples

KEPT = [Example(f"q{i}", f"a{i}") for i in range(30)]
NEW = [Example(f"n{i}", f"b{i}") for i in range(5)]


def test_rotating_replay_spreads_rehearsals_over_every_earlier_example():
    examples, epochs = incremental_examples(NEW, KEPT, replay_ratio=2, epochs=10, sampling="rotating", seed=0)
    assert epochs == 1.0  # the passes are in the list: one schedule over the whole run
    assert sorted(examples.count(e) for e in NEW) == [10] * 5
    replayed = [examples.count(e) for e in KEPT]
    assert sum(replayed) == 100 and min(replayed) >= 3 and max(replayed) <= 4  # 2 per new one per pass


def test_fixed_replay_is_one_sample_seen_in_every_pass():
    examples, epochs = incremental_examples(NEW, KEPT, replay_ratio=2, epochs=10, sampling="fixed", seed=0)
    assert epochs == 10
    assert examples[:5] == NEW and len(examples) == 15 and len(set(examples[5:])) == 10
    assert set(examples[5:]) <= set(KEPT)


def test_replay_never_asks_for_more_than_there_is():
    examples, _ = incremental_examples(NEW, KEPT[:3], replay_ratio=2, epochs=4, sampling="rotating", seed=1)
    assert sorted(examples.count(e) for e in KEPT[:3]) == [4, 4, 4]
    alone, _ = incremental_examples(NEW, [], replay_ratio=2, epochs=4, sampling="rotating", seed=1)
    assert sorted(alone.count(e) for e in NEW) == [4] * 5 and len(alone) == 20  # a first update: no replay
