"""The fused answer loss against the model's own logits: the same loss and the same gradients."""

from __future__ import annotations

import pytest
import torch
import transformers

from memo_core.memory.adapters import add_lora
from memo_core.memory.config import LoraSettings
from memo_core.training import loss as loss_module
from memo_core.training.examples import IGNORE
from memo_core.training.loss import AnswerLoss, fused_loss_matches, output_weight

VOCAB = 97


def llama(tie: bool) -> transformers.LlamaForCausalLM:
    torch.manual_seed(0)
    config = transformers.LlamaConfig(
        vocab_size=VOCAB,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=64,
        tie_word_embeddings=tie,
    )
    return transformers.LlamaForCausalLM(config)


def batch() -> tuple[torch.Tensor, torch.Tensor]:
    """Three rows of 12 tokens; targets on the later positions only, some rows with none at all."""
    generator = torch.Generator().manual_seed(1)
    input_ids = torch.randint(0, VOCAB, (3, 12), generator=generator)
    targets = torch.randint(0, VOCAB, (3, 12), generator=generator)
    targets[:, :5] = IGNORE  # the prompt
    targets[2] = IGNORE  # a row with no answer tokens (a rank's filler)
    return input_ids, targets


def loss_and_grads(model: torch.nn.Module, fused: bool) -> tuple[float, dict[str, torch.Tensor]]:
    model.zero_grad(set_to_none=True)
    input_ids, targets = batch()
    loss = AnswerLoss(model, fused=fused)(input_ids, targets)
    loss.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    return loss.item(), grads


@pytest.mark.parametrize("tie", [True, False])
def test_fused_loss_equals_the_full_logits_loss_in_value_and_gradients(monkeypatch, tie):
    model = llama(tie)
    monkeypatch.setattr(loss_module, "CHUNK_LOGITS", VOCAB * 4)  # 4 positions a chunk: several chunks
    full, full_grads = loss_and_grads(model, fused=False)
    fused, fused_grads = loss_and_grads(model, fused=True)
    assert AnswerLoss(model).fused
    assert fused == pytest.approx(full, rel=1e-5)
    assert full_grads.keys() == fused_grads.keys()
    assert len(full_grads) == len(list(model.parameters()))
    for name, grad in full_grads.items():
        torch.testing.assert_close(fused_grads[name], grad, rtol=1e-4, atol=1e-6, msg=name)


def test_a_batch_without_answer_tokens_has_zero_loss_and_zero_gradients():
    model = llama(tie=True)
    input_ids, targets = batch()
    loss = AnswerLoss(model)(input_ids, torch.full_like(targets, IGNORE))
    loss.backward()
    assert loss.item() == 0.0
    assert all(p.grad is not None and not p.grad.any() for p in model.parameters())


def test_the_check_accepts_a_plain_output_layer_and_refuses_scaled_logits():
    input_ids, targets = batch()
    assert fused_loss_matches(llama(tie=True), input_ids, targets)

    torch.manual_seed(0)
    cohere = transformers.CohereForCausalLM(  # multiplies its logits by logit_scale
        transformers.CohereConfig(
            vocab_size=VOCAB,
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=1,
            num_attention_heads=4,
            num_key_value_heads=2,
            logit_scale=0.25,
        )
    )
    assert output_weight(cohere) is not None  # it looks like a plain output layer...
    assert not fused_loss_matches(cohere, input_ids, targets)  # ...but its loss is not the fused one


def test_lora_on_the_output_layer_takes_the_full_logits_and_lora_elsewhere_the_fused_loss():
    on_head = add_lora(llama(tie=False), LoraSettings(target_modules=["q_proj", "lm_head"]))
    assert output_weight(on_head) is None
    assert not AnswerLoss(on_head).fused

    model = add_lora(llama(tie=False), LoraSettings(target_modules=["q_proj", "v_proj"]))
    for module in model.modules():  # PEFT starts B at zero; move it so the adapters matter
        if hasattr(module, "lora_B"):
            torch.nn.init.normal_(module.lora_B["default"].weight, std=0.1)
    full, full_grads = loss_and_grads(model, fused=False)
    fused, fused_grads = loss_and_grads(model, fused=True)
    assert AnswerLoss(model).fused
    assert fused == pytest.approx(full, rel=1e-5)
    assert full_grads.keys() == fused_grads.keys() and all("lora_" in n for n in full_grads)
    for name, grad in full_grads.items():
        torch.testing.assert_close(fused_grads[name], grad, rtol=1e-4, atol=1e-6, msg=name)


def test_in_bf16_as_on_gpus_the_fused_loss_agrees_and_keeps_the_dtypes():
    model = llama(tie=True).to(torch.bfloat16)
    full, full_grads = loss_and_grads(model, fused=False)
    fused, fused_grads = loss_and_grads(model, fused=True)
    assert fused_loss_matches(model, *batch())
    assert fused == pytest.approx(full, rel=1e-3)
    for name, grad in full_grads.items():
        assert fused_grads[name].dtype == torch.bfloat16
        assert (
            torch.nn.functional.cosine_similarity(
                fused_grads[name].flatten().float(), grad.flatten().float(), dim=0
            )
            > 0.999
        ), name
