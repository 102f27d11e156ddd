"""LoRA adapters through PEFT: wrap a model for training, check the trained adapter, save it, merge it.

A candidate trained with an adapter is saved in one of two layouts, both loaded by ``load_pretrained``:
merged (a plain model folder, with the adapter kept in ``adapter/`` for the record) or unmerged (the adapter
at the top of the folder, the starting weights it applies to in ``base/``). Either way the candidate is one
self-contained folder that the registry, the evaluation and ``memo serve`` treat like any other.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from peft import LoraConfig, PeftModel, get_peft_model
from peft.utils import SAFETENSORS_WEIGHTS_NAME
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, PreTrainedModel
from transformers.tokenization_utils_base import PreTrainedTokenizerBase

if TYPE_CHECKING:
    from memo_core.memory.config import LoraSettings


ADAPTER_DIR = "adapter"  # merged layout: the adapter, for the record
BASE_DIR = "base"  # unmerged layout: the weights the adapter applies to
MERGE_TOLERANCE = (
    1e-3  # largest logit difference between adapter and merged model (fp32) before it is an error
)


class AdapterError(RuntimeError):
    """A trained adapter that is missing, empty or learnt nothing, or a merge that changed the model."""


def add_lora(model: PreTrainedModel, settings: LoraSettings) -> PeftModel:
    """``model`` with LoRA adapters on ``settings.target_modules``; only the adapters are trainable."""
    config = LoraConfig(
        r=settings.r,
        lora_alpha=settings.alpha,
        lora_dropout=settings.dropout,
        target_modules=settings.target_modules,
        task_type="CAUSAL_LM",
    )
    try:
        return get_peft_model(model, config)
    except ValueError as exc:  # PEFT names the modules it could not find
        raise AdapterError(
            f"training.lora.target_modules {settings.target_modules} do not fit this model: {exc}"
        ) from exc


def check_adapter(folder: Path) -> dict[str, Any]:
    """What the saved adapter holds; raises unless it has weights and its B matrices moved from zero (PEFT
    starts them at zero, so an adapter whose B is still zero changes nothing)."""
    weights = folder / SAFETENSORS_WEIGHTS_NAME
    if not weights.is_file():
        raise AdapterError(f"no adapter was saved: {weights} is missing")
    tensors = load_file(weights)
    if not tensors or sum(t.numel() for t in tensors.values()) == 0:
        raise AdapterError(f"the saved adapter {weights} holds no weights")
    b_norm = sum(float(t.float().norm()) for name, t in tensors.items() if "lora_B" in name)
    if b_norm == 0.0:
        raise AdapterError(
            f"the adapter in {folder} learnt nothing (every lora_B is zero); raise the learning rate or steps"
        )
    return {
        "tensors": len(tensors),
        "parameters": sum(t.numel() for t in tensors.values()),
        "lora_b_norm": round(b_norm, 6),
    }


def save_trained(
    model: PeftModel,
    tokenizer: PreTrainedTokenizerBase,
    out: Path,
    merge: bool,
    probe_ids: list[int],
) -> dict[str, Any]:
    """Save the trained adapter, checked, in the merged or unmerged layout; the figures for training.json."""
    model = model.to(torch.float32).eval()
    if not merge:
        model.save_pretrained(str(out))
        stats = check_adapter(out)
        model.unload().save_pretrained(out / BASE_DIR)  # the frozen starting weights, adapter layers removed
        tokenizer.save_pretrained(out)
        return {**stats, "merged": False}

    model.save_pretrained(str(out / ADAPTER_DIR))
    stats = check_adapter(out / ADAPTER_DIR)
    ids = torch.tensor([probe_ids])
    with torch.no_grad():
        before = model(input_ids=ids).logits
        merged = model.merge_and_unload()
        after = merged(input_ids=ids).logits
    difference = float((before - after).abs().max())
    if difference > MERGE_TOLERANCE:
        raise AdapterError(f"merging the adapter changed the logits by {difference:.2e}; keep merge: false")
    merged.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return {**stats, "merged": True, "merge_max_logit_difference": difference}


def load_unmerged(folder: Path) -> PreTrainedModel:
    """The model of an unmerged candidate: its starting weights with the adapter merged in, in memory."""
    base = AutoModelForCausalLM.from_pretrained(str(folder / BASE_DIR), dtype=torch.float32)
    return PeftModel.from_pretrained(base, str(folder)).merge_and_unload()
