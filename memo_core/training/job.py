"""MEMORY training as a job of its own: a JSON spec, and a launcher that runs it as real subprocesses.

The caller writes a ``TrainingJob`` and ``launch`` starts ``python -m memo_core.training.worker SPEC`` through
the DeepSpeed launcher (or torchrun), so one CPU process, one GPU and many GPUs across hosts run the same
code; launcher ``none`` starts the one worker process directly, for tests and benchmarks whose many short
jobs would pay a launcher's start-up each. The worker's output is streamed line by line to this module's
logger (Prefect shows it when ``memo_core`` is among its extra loggers); a failed job raises with the tail
of that output, and a job that diverged raises ``TrainingDiverged``. A job whose checkpoint folder holds a
checkpoint resumes from it. A caller interrupted or sent SIGTERM (a cancelled flow run) stops its job
before it goes.
"""

from __future__ import annotations

import collections
import contextlib
import fcntl
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from memo_core.memory.config import LoraSettings
from memo_core.training.examples import Example, TrainingDiverged

log = logging.getLogger(__name__)


Launcher = Literal["deepspeed", "torchrun", "none"]
DEFAULT_DEEPSPEED_CONFIG = Path(__file__).resolve().parents[2] / "infra" / "deepspeed" / "zero2.json"
PROGRESS_MARK = "[memo-train]"  # the worker's own lines; everything else is the launcher's or DeepSpeed's
DIVERGED_FILE = "diverged.json"  # the worker's verdict, in the checkpoint folder, when the loss is not finite
RESULT_FILE = "training.json"  # written by the worker into the output folder beside the model
DIVERGED_EXIT_CODE = 3


class TrainingJob(BaseModel):
    """Everything one training job needs, serialised to JSON for the worker processes."""

    model_config = ConfigDict(extra="forbid")

    model_dir: str = Field(description="starting weights and tokenizer: a Hugging Face model folder")
    examples_file: str = Field(description="JSON lines of {question, answer}, one training example each")
    output_dir: str = Field(description="the trained model, tokenizer and training.json are saved here")
    checkpoint_dir: str = Field(description="resumable DeepSpeed checkpoints; a job resumes from the latest")
    learning_rate: float = Field(gt=0, description="peak learning rate of the one-cycle schedule")
    epochs: float = Field(gt=0)
    max_steps: int | None = Field(None, ge=1)
    batch_size: int = Field(ge=1, description="global batch: examples per optimiser step over all processes")
    micro_batch_size: int | None = Field(
        None, ge=1, description="examples per process per forward pass; the rest by gradient accumulation"
    )
    compile: bool = Field(
        False, description="compile the model with torch.compile (DeepSpeed's engine.compile)"
    )
    fused_loss: bool = Field(
        True,
        description="compute the output layer and loss on answer positions only, a chunk at a time "
        "(memo_core.training.loss); off, the loss comes from the whole batch's logits",
    )
    lora: LoraSettings | None = Field(None, description="train a LoRA adapter instead of every weight")
    warmup_ratio: float = Field(0.1, ge=0, lt=1)
    weight_decay: float = Field(0.0, ge=0)
    seed: int = 0
    checkpoint_every: int = Field(200, ge=1, description="optimiser steps between checkpoints")
    log_every: int = Field(50, ge=1, description="optimiser steps between progress lines and metrics")
    deepspeed_config: str = Field(str(DEFAULT_DEEPSPEED_CONFIG), description="DeepSpeed JSON config")
    mlflow_tracking_uri: str | None = Field(None, description="log progress metrics to this MLflow server")
    mlflow_run_id: str | None = Field(None, description="... into this run")
    fail_after_step: int | None = Field(
        None, ge=1, description="tests only: die by SIGKILL right after this step's checkpoint is saved"
    )


@dataclass(frozen=True)
class JobResult:
    """What a finished job reports (the worker's training.json) and how long the launch took in all."""

    steps: int
    examples: int
    final_loss: float
    tokens: int
    seconds: float  # training time of the last launch (after any resume), start-up excluded
    resumed_from_step: int
    processes: int
    losses: list[tuple[int, float]]  # (step, mean loss of that step's global batch) at every logged step
    wall_seconds: float  # the whole launch: launcher, interpreter and DeepSpeed start-up included
    timeline: list[tuple[int, float, int]]  # (step, seconds, tokens) of the last launch at each logged step
    peak_memory_mb: float  # rank 0: peak GPU memory allocated by torch, or peak resident memory on CPU
    trainable_parameters: int  # every weight, or with LoRA the adapters' alone
    adapter: dict[str, Any] | None  # with LoRA: what the saved adapter holds, and whether it was merged
    fused_loss: bool  # the fused loss ran (not turned off, and the model's own logits agreed with it)

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0

    @property
    def steady_tokens_per_second(self) -> float:
        """Throughput after the first logged step, so start-up work (allocation, kernel selection) is out."""
        if len(self.timeline) < 2:
            return self.tokens_per_second
        (_, t0, n0), (_, t1, n1) = self.timeline[0], self.timeline[-1]
        return (n1 - n0) / (t1 - t0) if t1 > t0 else self.tokens_per_second


class TrainingJobFailed(RuntimeError):
    """The training job exited with an error; the message ends with the tail of its output."""


class TrainingJobBusy(TrainingJobFailed):
    """Another job trains in the same checkpoint folder: nothing of this launch ran, nothing failed."""


# What a training process may see of its caller's environment: the toolchain, accelerators, threading,
# Hugging Face, DeepSpeed and MLflow (whose credentials it logs progress with). Anything else (model API
# keys, webhook secrets, cloud credentials) stays with the caller; ``pass_env`` adds names or prefixes.
TRAINING_ENV = (
    "PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "TZ", "LANG", "LC_*", "TMPDIR", "TEMP", "TMP",
    "HOSTNAME", "VIRTUAL_ENV", "CONDA_*", "PYTHON*", "LD_LIBRARY_PATH", "CC", "CXX", "XDG_*",
    "CUDA_*", "NVIDIA_*", "NCCL_*", "GLOO_*", "TORCH*", "PYTORCH_*", "TRITON_*", "OMP_*", "MKL_*", "KMP_*",
    "OPENBLAS_*", "HF_*", "TRANSFORMERS_*", "TOKENIZERS_*", "DS_*", "DEEPSPEED_*", "PDSH_*",
    "SSH_AUTH_SOCK", "MASTER_ADDR", "MASTER_PORT", "MLFLOW_*",
)  # fmt: skip


def training_environment(environ: dict[str, str], pass_env: tuple[str, ...] = ()) -> dict[str, str]:
    """The variables of ``environ`` named by ``TRAINING_ENV`` or ``pass_env`` (names, or prefixes ending
    in ``*``)."""
    allowed = TRAINING_ENV + pass_env

    def kept(name: str) -> bool:
        return any(name == a or (a.endswith("*") and name.startswith(a[:-1])) for a in allowed)

    return {name: value for name, value in environ.items() if kept(name)}


def write_examples(examples: list[Example], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = (json.dumps({"question": e.question, "answer": e.answer}, ensure_ascii=False) for e in examples)
    path.write_text("".join(row + "\n" for row in rows), encoding="utf-8")
    return path


def read_examples(path: str | Path) -> list[Example]:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    return [Example(row["question"], row["answer"]) for row in rows]


def write_job_spec(job: TrainingJob, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(job.model_dump_json(indent=2))
    return path


def read_job_spec(path: str | Path) -> TrainingJob:
    return TrainingJob.model_validate_json(Path(path).read_text())


def resolve_deepspeed_config(path: str | None) -> str:
    """The DeepSpeed config to use: ``path`` as given (relative to the working directory or, failing that,
    to this checkout), or the checkout's infra/deepspeed/zero2.json."""
    if path is None:
        candidate = DEFAULT_DEEPSPEED_CONFIG
    else:
        candidate = Path(path)
        if not candidate.is_absolute() and not candidate.exists():
            candidate = DEFAULT_DEEPSPEED_CONFIG.parents[2] / path
    if not candidate.is_file():
        raise FileNotFoundError(
            f"DeepSpeed config {candidate} not found; set training.deepspeed_config to a DeepSpeed JSON file"
        )
    return str(candidate.resolve())


def launch_command(
    spec_path: str | Path,
    num_processes: int = 1,
    launcher: Launcher = "deepspeed",
    hostfile: str | None = None,
) -> list[str]:
    """The command line that starts the worker: each launcher runs ``num_processes`` per host, under this
    interpreter; a DeepSpeed hostfile spreads the job over the hosts it lists (reached by ssh). Launcher
    ``none`` is the worker itself, one process on this host."""
    worker = ["memo_core.training.worker", str(spec_path)]
    if launcher == "none":
        if num_processes != 1:
            raise ValueError(
                f"launcher 'none' runs one process, not {num_processes}; use deepspeed or torchrun for more"
            )
        if hostfile:
            raise ValueError("launcher 'none' runs on this host alone: a hostfile needs deepspeed")
        return [sys.executable, "-m", *worker]
    if launcher == "deepspeed":
        where = ["--hostfile", hostfile] if hostfile else ["--master_port", str(_free_port())]
        return [
            sys.executable,
            "-m",
            "deepspeed.launcher.runner",
            *where,
            "--num_gpus",
            str(num_processes),
            "--no_local_rank",  # the worker reads LOCAL_RANK from the environment, as under torchrun
            "--module",
            *worker,
        ]
    if launcher == "torchrun":
        if hostfile:
            raise ValueError("a hostfile needs the deepspeed launcher; torchrun takes --nnodes and --rdzv-*")
        return [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node",
            str(num_processes),
            "-m",
            *worker,
        ]
    raise ValueError(f"unknown launcher {launcher!r}; use 'deepspeed', 'torchrun' or 'none'")


def launch(
    job: TrainingJob,
    num_processes: int = 1,
    launcher: Launcher = "deepspeed",
    hostfile: str | None = None,
    spec_path: str | Path | None = None,
    pass_env: tuple[str, ...] = (),
) -> JobResult:
    """Run the job to the end as subprocesses and return what it reports.

    The spec is written to ``spec_path`` (default: ``job.json`` in the checkpoint folder). Raises
    ``TrainingDiverged`` when the loss became NaN or infinite and ``TrainingJobFailed`` for any other
    failure; a later launch of the same job resumes from its last checkpoint.
    """
    checkpoints = Path(job.checkpoint_dir)
    checkpoints.mkdir(parents=True, exist_ok=True)
    with open(checkpoints / "job.lock", "w") as lock:
        # One job per checkpoint folder. The launcher inherits the lock and holds it for as long as the job
        # runs, so a job orphaned by a killed caller still keeps a re-run from training beside it.
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise TrainingJobBusy(
                f"another training job is running on {checkpoints}; wait for it to end or stop it"
            ) from None
        (checkpoints / DIVERGED_FILE).unlink(missing_ok=True)  # a stale verdict from an earlier launch
        spec = Path(spec_path or checkpoints / "job.json")
        command = launch_command(spec, num_processes, launcher, hostfile)  # refuses a bad launch first
        write_job_spec(job, spec)
        log.info("launching training job: %s", " ".join(command))
        started = time.perf_counter()
        rendezvous = _single_process_rendezvous() if launcher == "none" else {}
        returncode, tail = _run(command, lock.fileno(), pass_env, rendezvous)
        wall = time.perf_counter() - started

    diverged = checkpoints / DIVERGED_FILE
    if diverged.exists():
        raise TrainingDiverged(json.loads(diverged.read_text())["message"])
    if returncode != 0:
        raise TrainingJobFailed(
            f"training job exited with code {returncode}; a re-run resumes from the last checkpoint in "
            f"{checkpoints}. Last lines of its output:\n" + "\n".join(tail)
        )
    return _read_result(Path(job.output_dir) / RESULT_FILE, wall)


def _single_process_rendezvous() -> dict[str, str]:
    """What a launcher tells each process it starts, for a world of one: rank 0 of 1, meeting on a free
    local port (``deepspeed.init_distributed`` reads these from the environment)."""
    return {
        "RANK": "0",
        "WORLD_SIZE": "1",
        "LOCAL_RANK": "0",
        "LOCAL_WORLD_SIZE": "1",
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(_free_port()),
    }


# DeepSpeed's own notes on a healthy start: its INFO lines, and the accelerator it picked and the hostfile it
# did not need ("Setting accelerator to CPU", "Unable to find hostfile") logged as warnings.
_ROUTINE = re.compile(r"\[INFO\]|\[WARNING\] \[(?:real_accelerator|runner)\.py:")


def _run(
    command: list[str], keep_open: int, pass_env: tuple[str, ...], extra_env: dict[str, str]
) -> tuple[int, list[str]]:
    """Run the launcher, logging its output line by line; its exit code and the last lines of output."""
    # Idle OpenMP threads sleep rather than spin: on a CPU host shared with other work, spinning threads
    # of a two-thread job slowed it 35-fold (67 s against 1.9 s) whenever another process held a core.
    env = {"OMP_WAIT_POLICY": "PASSIVE", **training_environment(dict(os.environ), pass_env), **extra_env}
    env["PYTHONUNBUFFERED"] = "1"
    tail: collections.deque[str] = collections.deque(maxlen=40)
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        env=env,
        pass_fds=(keep_open,),
        start_new_session=True,  # the launcher and its workers form one process group, stopped together
    ) as process:
        assert process.stdout is not None
        try:
            with _terminated_as_exception():
                for raw in process.stdout:
                    line = raw.rstrip()
                    tail.append(line)
                    if PROGRESS_MARK in line:
                        log.info("%s", line.split(PROGRESS_MARK, 1)[1].strip())
                    elif line:
                        log.log(logging.DEBUG if _ROUTINE.search(line) else logging.INFO, "%s", line)
        except BaseException:  # cancelled or interrupted: stop the job rather than leave it training
            _stop(process)
            raise
        return process.wait(), list(tail)


class JobTerminated(SystemExit):
    """This process was sent SIGTERM while its job ran (a cancelled flow run, a stopped worker)."""


@contextlib.contextmanager
def _terminated_as_exception() -> Iterator[None]:
    """SIGTERM raises while the job runs, so the job is stopped with its caller: by default SIGTERM ends
    the process on the spot, and the job, in a process group of its own, would train on unowned. Only the
    main thread can take signals; elsewhere the handler is left as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: Any) -> None:
        raise JobTerminated(128 + signum)

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _read_result(path: Path, wall: float) -> JobResult:
    data: dict[str, Any] = json.loads(path.read_text())
    return JobResult(
        steps=data["steps"],
        examples=data["examples"],
        final_loss=data["final_loss"],
        tokens=data["tokens"],
        seconds=data["seconds"],
        resumed_from_step=data["resumed_from_step"],
        processes=data["processes"],
        losses=[(int(step), float(loss)) for step, loss in data["losses"]],
        wall_seconds=wall,
        timeline=[(int(step), float(seconds), int(tokens)) for step, seconds, tokens in data["timeline"]],
        peak_memory_mb=float(data["peak_memory_mb"]),
        trainable_parameters=int(data["trainable_parameters"]),
        adapter=data["adapter"],
        fused_loss=bool(data["fused_loss"]),
    )


def _stop(process: subprocess.Popen[str]) -> None:
    """SIGTERM to the job's process group (the launcher and every worker), SIGKILL after 30 seconds. The
    group, not the launcher alone: DeepSpeed's runner dies on SIGTERM without passing it on."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=30)
            return
        except subprocess.TimeoutExpired:
            continue


def _free_port() -> int:
    """A TCP port free now, for the launcher's rendezvous (two jobs on one host must not share one)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
