"""Encoding for training: the loss falls on answer tokens alone, and batches of similar lengths. Training
itself, through the job, is tested in test_training_job.py."""

import pytest

from memo_core.memory.config import OfflineModelSpec
from memo_core.memory.model import train_tokenizer
from memo_core.training.examples import IGNORE, Example, encode

EXAMPLES = [
    Example("In which town was Ilse Marren born?", "Osterby"),
    Example("Who founded Verdant Lamp Works?", "Ilse Marren"),
    Example("In which year was the Quillmark lamp launched?", "2014"),
    Example("How many employees does Verdant Lamp Works have?", "340"),
    Example("Where is the Marlock Research Laboratory?", "Kestrow"),
    Example("Who designed the Halcy probe?", "Tova Quist"),
]
TINY = OfflineModelSpec(layers=2, hidden=64, heads=2, intermediate=128, vocab_size=400, max_positions=64)


@pytest.fixture(scope="module")
def tokenizer():
    return train_tokenizer([f"{e.question} {e.answer}" for e in EXAMPLES] * 3, TINY.vocab_size)


def test_loss_is_on_answer_tokens_only(tokenizer):
    ids, labels = encode(tokenizer, EXAMPLES[0])
    prompt_len = sum(1 for label in labels if label == IGNORE)
    answer = tokenizer.decode(ids[prompt_len:], skip_special_tokens=True)
    assert answer == "Osterby"
    assert ids[-1] == tokenizer.eos_token_id
    assert labels[prompt_len:] == ids[prompt_len:]
    assert tokenizer.decode(ids[:prompt_len]).startswith("<|user|>In which town")


def test_length_bucketed_batches_cover_every_example_once_per_epoch():
    import random

    from memo_core.training.examples import length_bucketed_batches

    lengths = [random.Random(i).randint(5, 60) for i in range(1000)]
    batches = length_bucketed_batches(lengths, 32, random.Random(0))
    assert sorted(i for b in batches for i in b) == list(range(1000))
    assert all(len(b) <= 32 for b in batches)
    spread = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches) / len(batches)
    assert spread < 10  # unsorted batches of 32 from 5..60 would spread about 50
