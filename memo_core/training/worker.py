"""One process of a MEMORY training job: ``python -m memo_core.training.worker SPEC.json``.

Started by the DeepSpeed launcher or torchrun (see ``memo_core.training.job``), once per CPU process or GPU,
on one host or many, or on its own as one process (launcher ``none``). Read top to bottom: set up the
process group, encode the examples (``memo_core.training.examples``: chat template, loss on answer tokens
only), build the DeepSpeed engine around the model and its loss (``memo_core.training.loss``: the output
layer runs on answer positions alone), resume from the latest checkpoint, train with each rank taking its
share of every global batch, save the model.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import resource
import shutil
import signal
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
import transformers

from memo_core.memory.adapters import add_lora, save_trained
from memo_core.memory.model import load_pretrained
from memo_core.training.examples import IGNORE, batch_schedule, collate, encode, one_cycle, total_steps
from memo_core.training.job import (
    DIVERGED_EXIT_CODE,
    DIVERGED_FILE,
    PROGRESS_MARK,
    RESULT_FILE,
    TrainingJob,
    read_examples,
    read_job_spec,
)
from memo_core.training.loss import AnswerLoss, fused_loss_matches

Row = tuple[list[int], list[int]]


def say(message: str) -> None:
    """A progress line on stdout from rank 0, marked so the launching side can tell it from DeepSpeed's."""
    if dist.get_rank() == 0:
        print(f"{PROGRESS_MARK} {message}", flush=True)


def deepspeed_config(path: str, job: TrainingJob, world: int, cuda: bool) -> dict[str, Any]:
    """The JSON config with its "auto" fields filled for this job: the global batch is the job's, split
    evenly over ranks and accumulation steps (as many as the micro-batch size asks for, when the job or the
    config sets one; else one); bf16 on GPU, fp32 on CPU."""
    config: dict[str, Any] = json.loads(Path(path).read_text())
    micro = job.micro_batch_size or config.get("train_micro_batch_size_per_gpu", "auto")
    accumulation = config.get("gradient_accumulation_steps", "auto")
    if accumulation == "auto":
        accumulation = 1 if micro == "auto" else max(1, math.ceil(job.batch_size / (world * micro)))
    if micro == "auto":
        micro = math.ceil(job.batch_size / (world * accumulation))
    config["gradient_accumulation_steps"] = accumulation
    config["train_micro_batch_size_per_gpu"] = micro
    if config.get("train_batch_size", "auto") == "auto":
        config["train_batch_size"] = micro * accumulation * world
    bf16 = config.setdefault("bf16", {})
    if bf16.get("enabled", "auto") == "auto":
        bf16["enabled"] = cuda
    return config


def split(rows: list[Row], parts: int) -> list[list[Row]]:
    """``rows`` dealt into ``parts`` lists; an empty one gets a row with no answer tokens (zero loss), so
    every rank and every accumulation step still runs its forward and backward and joins the all-reduce."""
    dealt = [rows[i::parts] for i in range(parts)]
    return [part or [(rows[0][0], [IGNORE] * len(rows[0][0]))] for part in dealt]


def model_inputs(
    batch: dict[str, torch.Tensor], device: torch.device
) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """The model's inputs and each position's target (the next token's label), on ``device``. Targets are
    shifted rather than logits, so no copy of the largest tensor is made; a batch without padding goes
    without an attention mask, which lets attention take its fused causal kernel."""
    labels = batch["labels"]
    targets = torch.cat([labels[:, 1:], torch.full_like(labels[:, :1], IGNORE)], dim=1)
    inputs = {"input_ids": batch["input_ids"]}
    if not bool(batch["attention_mask"].all()):
        inputs["attention_mask"] = batch["attention_mask"]
    return {k: v.to(device) for k, v in inputs.items()}, targets.to(device)


def main(spec_path: str) -> int:
    # Imported here, not above: importing DeepSpeed probes the accelerator and prints about it on stdout,
    # which only the job's own processes should pay for.
    import deepspeed
    import deepspeed.ops

    job = read_job_spec(spec_path)
    logging.getLogger("DeepSpeed").setLevel(logging.WARNING)
    transformers.utils.logging.disable_progress_bar()  # progress is this worker's own lines
    warnings.filterwarnings("ignore", category=FutureWarning, module="torch.distributed")

    # -- processes: gloo between CPU processes, NCCL between GPUs -----------------------------------------
    cuda = torch.cuda.is_available()
    if not cuda:
        # DeepSpeed's CPU backend compiles a shared-memory all-reduce op on first use (about 40 s, and a C++
        # compiler) that serves only inference_all_reduce; training's all-reduce goes through gloo. Marking
        # the op unavailable skips the build, and DeepSpeed falls back to torch.distributed.
        deepspeed.ops.__compatible_ops__["deepspeed_shm_comm"] = False
    deepspeed.init_distributed(dist_backend="nccl" if cuda else "gloo", verbose=False)
    rank, world = dist.get_rank(), dist.get_world_size()
    if cuda:
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    else:  # the launchers give each process one thread; give it its share of the host's cores instead
        local_world = int(os.environ.get("LOCAL_WORLD_SIZE", os.environ.get("LOCAL_SIZE", "1")))
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // local_world))
    random.seed(job.seed)
    torch.manual_seed(job.seed)

    # -- data: every rank encodes every example and knows every step's global batch ----------------------
    start_model, tokenizer = load_pretrained(job.model_dir)
    model = add_lora(start_model, job.lora) if job.lora else start_model
    examples = read_examples(job.examples_file)
    if not examples:
        raise ValueError(f"no training examples in {job.examples_file}")
    encoded = [encode(tokenizer, ex) for ex in examples]
    steps = total_steps(len(encoded), job.batch_size, job.epochs, job.max_steps)
    schedule = batch_schedule([len(ids) for ids, _ in encoded], job.batch_size, steps, job.seed)

    # -- engine: AdamW and the one-cycle schedule of ``examples``, under DeepSpeed -----------------------
    # A torch optimiser rather than the config's "optimizer" section: DeepSpeed's own Adam needs a compiled
    # op (fused_adam on GPU, cpu_adam on CPU), a torch AdamW runs anywhere, and ZeRO takes it with
    # "zero_allow_untested_optimizer". ZeRO-2 then partitions its state and the gradients over the ranks.
    config = deepspeed_config(job.deepspeed_config, job, world, cuda)
    accumulation = config["gradient_accumulation_steps"]
    trainable = [p for p in model.parameters() if p.requires_grad]  # with LoRA, the adapters alone
    optimizer = torch.optim.AdamW(trainable, lr=job.learning_rate, weight_decay=job.weight_decay)
    engine, _, _, _ = deepspeed.initialize(
        model=AnswerLoss(model, fused=job.fused_loss),  # its forward pass returns the loss to minimise
        optimizer=optimizer,
        lr_scheduler=lambda opt: one_cycle(opt, job.learning_rate, steps, job.warmup_ratio),
        config=config,
    )

    if engine.module.fused:  # the model is in its training dtype and place now: check the fused loss there
        inputs, targets = model_inputs(collate([encoded[0]], tokenizer.pad_token_id), engine.device)
        matches = fused_loss_matches(engine.module.model, inputs["input_ids"], targets)
        agreed = torch.tensor(int(matches), device=engine.device)  # NCCL reduces GPU tensors only
        dist.all_reduce(agreed, op=dist.ReduceOp.MIN)  # every rank takes the same path
        if not agreed:
            engine.module.fused = False
            say("this model's logits are not its output layer's alone: the loss uses the full logits")
    if job.compile:
        engine.compile()  # torch.compile: fewer, fused kernels; pays off on GPUs with fixed-length batches

    # -- resume: the latest checkpoint holds weights, optimiser, schedule, step and random state ----------
    checkpoints = Path(job.checkpoint_dir)
    start, losses = 0, []
    if (checkpoints / "latest").exists():
        _, state = engine.load_checkpoint(str(checkpoints))
        if state["world_size"] != world:
            raise RuntimeError(
                f"the checkpoint in {checkpoints} was written by {state['world_size']} processes; resume "
                "it with as many, or delete the folder to start over"
            )
        start, losses = state["step"], state["losses"]
        torch.set_rng_state(state["torch_rng"])
        random.setstate(state["python_rng"])
        say(f"resuming from the checkpoint of step {start}")
    log_metrics = _mlflow_logger(job) if rank == 0 else None
    zero = config.get("zero_optimization", {}).get("stage", 0)
    precision, where = ("bf16" if config["bf16"]["enabled"] else "fp32"), ("GPU" if cuda else "CPU")
    say(
        f"{len(encoded)} examples, {steps} steps of {job.batch_size} examples over {world} process(es), "
        f"{precision} on {where}, ZeRO stage {zero}, {'fused' if engine.module.fused else 'full-logits'} loss"
    )

    # -- train --------------------------------------------------------------------------------------------
    engine.train()
    tokens, loss_value, started = 0, float("nan"), time.perf_counter()
    timeline: list[tuple[int, float, int]] = []  # (step, seconds, tokens) of this launch at each logged step
    for step in range(start + 1, steps + 1):
        # Each micro-batch's loss is the sum over its answer tokens divided by the answer tokens of the whole
        # global batch, times the world size: DeepSpeed averages gradients over ranks, so the step equals a
        # one-process step on the whole batch, whatever the number of processes.
        rows = [encoded[i] for i in schedule[step - 1]]
        answer_tokens = sum(label != IGNORE for _, labels in rows for label in labels)
        total = torch.zeros((), device=engine.device)
        for micro_rows in split(split(rows, world)[rank], accumulation):
            inputs, targets = model_inputs(collate(micro_rows, tokenizer.pad_token_id), engine.device)
            loss_sum = engine(targets=targets, **inputs)
            engine.backward(loss_sum * world / answer_tokens, scale_wrt_gas=False)
            engine.step()  # updates the weights at the last micro-batch only
            total += loss_sum.detach()
        dist.all_reduce(total)  # the global batch's loss on every rank: all stop together if it diverges
        loss_value = total.item() / answer_tokens
        if not math.isfinite(loss_value):
            message = f"loss is {loss_value} at step {step}; lower the learning rate and re-run"
            if rank == 0:
                (checkpoints / DIVERGED_FILE).write_text(json.dumps({"step": step, "message": message}))
            say(f"training diverged: {message}")
            return DIVERGED_EXIT_CODE
        tokens += sum(len(ids) for ids, _ in rows)

        if step % job.log_every == 0 or step == steps:
            elapsed = time.perf_counter() - started
            rate, eta = tokens / elapsed, elapsed / (step - start) * (steps - step)
            losses.append((step, loss_value))
            timeline.append((step, round(elapsed, 3), tokens))
            say(f"step {step}/{steps}  loss {loss_value:.4f}  {rate:.0f} tokens/s  eta {eta:.0f}s")
            if log_metrics:
                lr = engine.get_lr()[0]
                log_metrics(step, {"loss": loss_value, "tokens_per_second": rate, "eta_s": eta, "lr": lr})
        if step % job.checkpoint_every == 0 and step < steps:
            _save_checkpoint(engine, checkpoints, step, world, losses)
        if step == job.fail_after_step and rank == 0:
            os.kill(os.getpid(), signal.SIGKILL)  # as a preempted or killed job dies: no clean-up at all

    # -- save: the trained model (fp32 weights) and what the run did, where the caller looks for them ----
    if rank == 0:
        out = Path(job.output_dir)
        adapter: dict[str, Any] | None = None
        if job.lora:
            adapter = save_trained(engine.module.model, tokenizer, out, job.lora.merge, encoded[0][0])
        else:
            engine.module.model.to(torch.float32).save_pretrained(out)
            tokenizer.save_pretrained(out)
        result = {
            "steps": steps,
            "examples": len(encoded),
            "final_loss": loss_value,
            "tokens": tokens,
            "seconds": round(time.perf_counter() - started, 3),
            "resumed_from_step": start,
            "processes": world,
            "losses": losses,
            "timeline": timeline,
            "peak_memory_mb": round(_peak_memory_bytes(cuda) / 2**20, 1),
            "trainable_parameters": sum(p.numel() for p in trainable),
            "adapter": adapter,
            "fused_loss": engine.module.fused,
        }
        (out / RESULT_FILE).write_text(json.dumps(result, indent=2))
        say(f"saved the trained model to {out}")
    dist.barrier()
    dist.destroy_process_group()
    return 0


def _peak_memory_bytes(cuda: bool) -> int:
    """Peak memory of this rank: what torch allocated on the GPU, or the process's peak resident set."""
    if cuda:
        return int(torch.cuda.max_memory_allocated())
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def _save_checkpoint(
    engine: Any, checkpoints: Path, step: int, world: int, losses: list[tuple[int, float]]
) -> None:
    """A DeepSpeed checkpoint (weights, optimiser, schedule) tagged by step, with the loop's own state.
    DeepSpeed names the new tag in ``latest`` only once it is written; older tags are removed after that,
    so a job killed while saving still finds the previous one whole."""
    state = {
        "step": step,
        "world_size": world,
        "losses": losses,
        "torch_rng": torch.get_rng_state(),
        "python_rng": random.getstate(),
    }
    tag = f"step{step:08d}"
    engine.save_checkpoint(str(checkpoints), tag=tag, client_state=state)
    dist.barrier()
    if dist.get_rank() == 0:
        for old in checkpoints.glob("step*"):
            if old.is_dir() and old.name != tag:
                shutil.rmtree(old, ignore_errors=True)
    say(f"checkpoint at step {step}")


def _mlflow_logger(job: TrainingJob) -> Any:
    """A function logging progress metrics into the job's MLflow run, or None when the job names no run.
    Metrics are a view on the job, not part of it: if MLflow fails, the job warns once and trains on."""
    if not (job.mlflow_tracking_uri and job.mlflow_run_id):
        return None
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    client = MlflowClient(tracking_uri=job.mlflow_tracking_uri)
    run_id, broken = job.mlflow_run_id, False

    def log_metrics(step: int, values: dict[str, float]) -> None:
        nonlocal broken
        if broken:
            return
        now = int(time.time() * 1000)
        metrics = [Metric(f"train_{k}", float(v), now, step) for k, v in values.items()]
        try:
            client.log_batch(run_id, metrics=metrics)
        except Exception as exc:  # any MLflow failure: the job itself is fine
            broken = True
            say(f"MLflow metrics stopped: {type(exc).__name__}: {exc}")

    return log_metrics


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m memo_core.training.worker SPEC.json")
    code = main(sys.argv[1])
    # Everything is written, closed and flushed by now: skip the interpreter's teardown of torch, DeepSpeed
    # and transformers, which took 2 to 3 seconds of every job's start-up overhead on a 2-core host.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
