"""The MEMORY model: a causal LM that answers questions from its weights alone.

The offline default is a small Llama-architecture model initialised locally, with a byte-level BPE tokenizer
trained on the corpus and its reflections, so nothing is ever fetched from a model hub. Any Hugging Face
causal LM directory can stand in for it (``memory.base``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    LlamaConfig,
    LlamaForCausalLM,
    PreTrainedModel,
    PreTrainedTokenizerFast,
)
from transformers.tokenization_utils_base import PreTrainedTokenizerBase

from memo_core.memory.config import OfflineModelSpec
from memo_core.memory.recall import Recalled

PAD, USER, ASSISTANT, END = "<|pad|>", "<|user|>", "<|assistant|>", "<|end|>"
SPECIAL_TOKENS = [PAD, USER, ASSISTANT, END]
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'user' %}<|user|>{{ message['content'] }}"
    "{% elif message['role'] == 'assistant' %}<|assistant|>{{ message['content'] }}<|end|>{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def train_tokenizer(texts: Iterable[str], vocab_size: int) -> PreTrainedTokenizerFast:
    """A byte-level BPE tokenizer fitted to the corpus: any later text still encodes, bytewise at worst."""
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(texts, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, pad_token=PAD, eos_token=END, additional_special_tokens=[USER, ASSISTANT]
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def build_offline_model(
    tokenizer: PreTrainedTokenizerBase, spec: OfflineModelSpec, seed: int
) -> LlamaForCausalLM:
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=spec.hidden,
        intermediate_size=spec.intermediate,
        num_hidden_layers=spec.layers,
        num_attention_heads=spec.heads,
        num_key_value_heads=spec.heads,
        max_position_embeddings=spec.max_positions,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
        eos_token_id=tokenizer.eos_token_id,
        tie_word_embeddings=True,
    )
    return LlamaForCausalLM(config)


def load_pretrained(path: str | Path) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load a saved memory model (ours or any local HF causal LM) for training or answering."""
    tokenizer = AutoTokenizer.from_pretrained(str(path))
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    from peft.utils import CONFIG_NAME  # not at module level: importing peft is slow

    if (Path(path) / CONFIG_NAME).exists():  # an unmerged LoRA candidate: adapter over base/
        from memo_core.memory.adapters import load_unmerged

        return load_unmerged(Path(path)), tokenizer
    model = AutoModelForCausalLM.from_pretrained(str(path), dtype=torch.float32)
    return model, tokenizer


def prompt_ids(tokenizer: PreTrainedTokenizerBase, question: str) -> list[int]:
    """Token ids of the user turn plus the assistant header, through the tokenizer's own chat template."""
    ids = tokenizer.apply_chat_template(
        [{"role": "user", "content": question}], add_generation_prompt=True, tokenize=True, return_dict=False
    )
    return list(ids)


class MemoryModel:
    """A loaded memory model that answers batches of questions by greedy decoding."""

    def __init__(self, model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, max_new_tokens: int = 32):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.max_new_tokens = max_new_tokens

    @classmethod
    def load(cls, path: str | Path, max_new_tokens: int = 32) -> MemoryModel:
        model, tokenizer = load_pretrained(path)
        return cls(model, tokenizer, max_new_tokens)

    @torch.inference_mode()
    def answer(self, questions: Sequence[str], batch_size: int = 64) -> list[str]:
        answers: list[str] = []
        for start in range(0, len(questions), batch_size):
            answers.extend(self._answer_batch(questions[start : start + batch_size]))
        return answers

    def _answer_batch(self, questions: Sequence[str]) -> list[Recalled]:
        prompts = [prompt_ids(self.tokenizer, q) for q in questions]
        width = max(len(p) for p in prompts)
        pad_id = self.tokenizer.pad_token_id
        input_ids = torch.tensor([[pad_id] * (width - len(p)) + p for p in prompts])
        attention = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts])
        output = self.model.generate(
            input_ids=input_ids,
            attention_mask=attention,
            max_new_tokens=self.max_new_tokens,
            do_sample=False,
            pad_token_id=pad_id,
            eos_token_id=self.tokenizer.eos_token_id,
            output_scores=True,
            return_dict_in_generate=True,
        )
        generated = output.sequences[:, width:]
        log_probs = self.model.compute_transition_scores(
            output.sequences, output.scores, normalize_logits=True
        )
        confidence = mean_answer_log_prob(generated, log_probs, self.tokenizer.eos_token_id)
        return [
            Recalled(str(self.tokenizer.decode(row, skip_special_tokens=True)).strip(), float(score))
            for row, score in zip(generated, confidence, strict=True)
        ]


def mean_answer_log_prob(generated: torch.Tensor, log_probs: torch.Tensor, end_id: int) -> torch.Tensor:
    """Each row's mean log-probability over its answer tokens, its first end token included: what generate
    adds after that is padding."""
    is_end = (generated == end_id).long()
    counted = (is_end.cumsum(dim=1) - is_end) == 0
    return (log_probs * counted).sum(dim=1) / counted.sum(dim=1).clamp(min=1)
