"""The training loss on answer tokens, computed without the whole batch's logits.

A causal LM's logits are the largest tensor of a training step: batch × sequence × vocabulary, 1.2 billion
numbers for 16 sequences of 512 tokens over Qwen2's 151,936-token vocabulary, and a float32 copy for the
cross-entropy doubles them. Only answer positions are trained, so ``AnswerLoss`` runs the model's decoder,
keeps the hidden states of trained positions alone and sends them through the output layer and the
cross-entropy a chunk at a time, computing the gradients of each chunk while its logits are at hand (the way
fused linear cross-entropy kernels do), so no chunk's logits outlive it.

That is only the model's own loss when its logits are exactly the output layer applied to the decoder's last
hidden state. Some architectures scale or cap their logits, so ``fused_loss_matches`` checks the two against
each other on a real example before a job relies on it; where they differ the job takes the full logits.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from memo_core.training.examples import IGNORE

CHUNK_LOGITS = 2**28  # logits at once: 1 GiB of float32, 1,766 positions of a 151,936-token vocabulary


class _LinearCrossEntropy(torch.autograd.Function):
    """Summed cross-entropy of ``hidden @ weight.T`` against ``targets``, chunk by chunk. The gradients
    are computed in the forward pass, where each chunk's logits exist; the backward pass only scales them."""

    @staticmethod
    def forward(ctx: Any, hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        want_hidden, want_weight = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        grad_hidden = torch.zeros_like(hidden) if want_hidden else None
        grad_weight = torch.zeros_like(weight, dtype=torch.float32) if want_weight else None
        total = torch.zeros((), dtype=torch.float32, device=hidden.device)
        chunk = max(1, CHUNK_LOGITS // weight.shape[0])
        for start in range(0, hidden.shape[0], chunk):
            h, t = hidden[start : start + chunk], targets[start : start + chunk]
            logits = (h @ weight.T).float()  # the model's own logits, in its dtype, then float32
            log_norm = torch.logsumexp(logits, dim=-1)
            total += (log_norm - logits.gather(1, t[:, None]).squeeze(1)).sum()
            if want_hidden or want_weight:
                # d(loss)/d(logits) = softmax(logits) - one_hot(target), built in place of the logits
                grad_logits = logits.sub_(log_norm[:, None]).exp_()
                grad_logits[torch.arange(len(t), device=t.device), t] -= 1
                g = grad_logits.to(hidden.dtype)
                if grad_hidden is not None:
                    grad_hidden[start : start + chunk] = g @ weight
                if grad_weight is not None:
                    grad_weight += (g.T @ h).float()
        # Neither is an input or output, so they are kept on ctx rather than through save_for_backward.
        ctx.grad_hidden, ctx.grad_weight, ctx.weight_dtype = grad_hidden, grad_weight, weight.dtype
        return total

    @staticmethod
    def backward(ctx: Any, grad_total: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        grad_hidden, grad_weight = ctx.grad_hidden, ctx.grad_weight
        return (
            None if grad_hidden is None else grad_hidden * grad_total.to(grad_hidden.dtype),
            None if grad_weight is None else (grad_weight * grad_total).to(ctx.weight_dtype),
            None,
        )


@torch.compiler.disable  # data-dependent shapes: the compiled decoder hands over to eager code here
def linear_cross_entropy(hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Summed cross-entropy of the logits ``hidden @ weight.T`` at every position whose target is not
    ``IGNORE``; ``hidden`` is (..., d), ``targets`` the matching (...)."""
    keep = targets.reshape(-1) != IGNORE
    selected = hidden.reshape(-1, hidden.shape[-1])[keep]
    if not torch.is_grad_enabled():  # needs_input_grad ignores grad mode: detached, no gradients are built
        selected, weight = selected.detach(), weight.detach()
    loss: torch.Tensor = _LinearCrossEntropy.apply(selected, weight, targets.reshape(-1)[keep])
    return loss


def output_weight(model: nn.Module) -> torch.Tensor | None:
    """The output layer's weight when the model has a decoder and a plain bias-free linear output layer (the
    fused loss needs both), else None. PEFT models answer through the model they wrap."""
    get_decoder = getattr(model, "get_decoder", None)
    get_output = getattr(model, "get_output_embeddings", None)
    if get_decoder is None or get_output is None or get_decoder() is None:
        return None
    output = get_output()
    if type(output) is not nn.Linear or output.bias is not None:
        return None
    return output.weight


class AnswerLoss(nn.Module):
    """A causal LM whose forward pass returns its summed cross-entropy over the positions with a target, the
    quantity a training step back-propagates. ``fused`` chooses the chunked output layer and cross-entropy
    above; otherwise the loss comes from the model's full logits."""

    def __init__(self, model: nn.Module, fused: bool = True) -> None:
        super().__init__()
        self.model = model
        self.fused = fused and output_weight(model) is not None

    def forward(
        self, input_ids: torch.Tensor, targets: torch.Tensor, attention_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        if self.fused:
            model: Any = self.model
            hidden = model.get_decoder()(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            return linear_cross_entropy(hidden, model.get_output_embeddings().weight, targets)
        logits = self.model(input_ids=input_ids, attention_mask=attention_mask).logits
        return F.cross_entropy(
            logits.flatten(0, 1).float(), targets.flatten(), ignore_index=IGNORE, reduction="sum"
        )


def fused_loss_matches(model: nn.Module, input_ids: torch.Tensor, targets: torch.Tensor) -> bool:
    """Whether the fused loss equals the loss of the model's own logits on this example, to within the
    rounding of the model's dtype; a model that scales or caps its logits does not."""
    if output_weight(model) is None:
        return False
    with torch.no_grad():
        fused = AnswerLoss(model, fused=True)(input_ids, targets)
        full = AnswerLoss(model, fused=False)(input_ids, targets)
    tolerance = 1e-4 if next(model.parameters()).dtype == torch.float32 else 1e-2
    return bool(torch.isclose(fused, full, rtol=tolerance, atol=tolerance))
