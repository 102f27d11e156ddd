"""The training job launched for real: DeepSpeed launcher, torchrun or none; one or two CPU processes."""

from __future__ import annotations

import fcntl
import json
import math
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import torch
from mlflow import MlflowClient
from safetensors.torch import load_file

from memo_core.memory.adapters import AdapterError, add_lora, check_adapter
from memo_core.memory.config import LoraSettings, OfflineModelSpec
from memo_core.memory.model import MemoryModel, build_offline_model, load_pretrained, train_tokenizer
from memo_core.training.config import TrainingConfig
from memo_core.training.examples import Example, TrainingDiverged
from memo_core.training.job import (
    JobResult,
    TrainingJob,
    TrainingJobFailed,
    launch,
    launch_command,
    write_examples,
)

pytestmark = pytest.mark.slow

PEOPLE = ["Ilse Marren", "Tova Quist", "Bram Oduya", "Lena Voss", "Arno Pell", "Mira Tal"]
THINGS = ["Quillmark lamp", "Halcy probe", "Verdant kiln", "Marlock press", "Osterby bridge", "Kestrow mill"]
EXAMPLES = [
    Example(f"Who designed the {THINGS[(i + j) % 6]} model {j + 1}?", person)
    for i, person in enumerate(PEOPLE)
    for j in range(4)
]
SPEC = OfflineModelSpec(layers=2, hidden=128, heads=2, intermediate=256, vocab_size=400, max_positions=64)
STEPS, BATCH, CHECKPOINT_EVERY = 80, 12, 20

# Two processes against one on the same global batch: each rank's loss is its answer tokens' loss sum over
# the whole global batch's answer-token count, so both runs take the same steps up to floating-point
# summation order (gloo adds two partial gradient sums; the shards pad to other widths): about 1e-7
# relative in fp32. This run (batches of 12, 80 steps) carries such differences without amplifying them
# (perturbing the start by 1e-7 moves the end by 1e-6); measured between the two jobs: about 1e-6.
# 1e-4 leaves two orders of margin and still fails at once on a real error: a missing all-reduce, a wrong
# loss scale or a rank training on the wrong rows all move the loss by 1e-2 or more within ten steps.
# (A noisier run, batches of 8 at the same rate, amplifies 1e-7 to 1e-3 by step 90: chaos, not a bug.)
DP_TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny untrained model and the examples file, shared by every job in this module."""
    root = tmp_path_factory.mktemp("job")
    tokenizer = train_tokenizer([f"{e.question} {e.answer}" for e in EXAMPLES] * 3, SPEC.vocab_size)
    model = build_offline_model(tokenizer, SPEC, seed=0)
    model.save_pretrained(root / "init")
    tokenizer.save_pretrained(root / "init")
    write_examples(EXAMPLES, root / "examples.jsonl")
    return root


def make_job(base: Path, name: str, **overrides) -> TrainingJob:
    settings = {
        "model_dir": str(base / "init"),
        "examples_file": str(base / "examples.jsonl"),
        "output_dir": str(base / name / "model"),
        "checkpoint_dir": str(base / name / "checkpoints"),
        "learning_rate": 3e-3,
        "epochs": 1000,
        "max_steps": STEPS,
        "batch_size": BATCH,
        "seed": 0,
        "checkpoint_every": CHECKPOINT_EVERY,
        "log_every": 10,
        **overrides,
    }
    return TrainingJob(**settings)


def weights(job: TrainingJob) -> dict[str, torch.Tensor]:
    return load_file(Path(job.output_dir) / "model.safetensors")


def relative_difference(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
    assert a.keys() == b.keys()
    diff = math.sqrt(sum(float(((a[k] - b[k]) ** 2).sum()) for k in a))
    return diff / math.sqrt(sum(float((a[k] ** 2).sum()) for k in a))


@pytest.fixture(scope="module")
def one_process(base: Path) -> tuple[TrainingJob, JobResult]:
    """The reference run: one process through the DeepSpeed launcher, progress logged to MLflow."""
    tracking = f"sqlite:///{base / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=tracking)
    run = client.create_run(client.create_experiment("jobs", artifact_location=str(base / "mlartifacts")))
    job = make_job(base, "one", mlflow_tracking_uri=tracking, mlflow_run_id=run.info.run_id)
    return job, launch(job, num_processes=1, launcher="deepspeed")


def test_one_process_job_trains_and_saves_a_model_that_answers(one_process):
    job, result = one_process
    assert (result.steps, result.examples, result.processes, result.resumed_from_step) == (STEPS, 24, 1, 0)
    first, last = result.losses[0][1], result.final_loss
    assert last < first / 10, result.losses  # loss falls: from about 4 at step 10 to about 0.13
    assert result.tokens > 0 and result.tokens_per_second > 0

    questions = [e.question for e in EXAMPLES]
    answers = MemoryModel.load(job.output_dir).answer(questions)
    right = sum(a == e.answer for a, e in zip(answers, EXAMPLES, strict=True))
    assert right >= 18, list(zip(questions, answers, strict=True))  # 24 of 24 when measured

    # Checkpoints were written while it ran, and only the latest is kept.
    checkpoints = Path(job.checkpoint_dir)
    assert (checkpoints / "latest").read_text().strip() == "step00000060"  # none at the last step, 80
    assert sorted(p.name for p in checkpoints.glob("step*")) == ["step00000060"]

    # Progress reached MLflow as metrics with their step.
    client = MlflowClient(tracking_uri=job.mlflow_tracking_uri)
    history = client.get_metric_history(job.mlflow_run_id, "train_loss")
    assert [m.step for m in history] == [step for step, _ in result.losses]
    assert history[-1].value == pytest.approx(result.final_loss)
    for name in ("train_tokens_per_second", "train_eta_s", "train_lr"):
        assert client.get_metric_history(job.mlflow_run_id, name)


def test_two_cpu_processes_match_one_process_on_the_same_global_batch(base, one_process):
    reference_job, reference = one_process
    job = make_job(base, "two")
    result = launch(job, num_processes=2, launcher="deepspeed")

    assert result.processes == 2 and result.steps == reference.steps
    assert result.final_loss == pytest.approx(reference.final_loss, rel=DP_TOLERANCE)
    for (step, loss), (ref_step, ref_loss) in zip(result.losses, reference.losses, strict=True):
        assert step == ref_step and loss == pytest.approx(ref_loss, rel=DP_TOLERANCE)
    assert relative_difference(weights(job), weights(reference_job)) < DP_TOLERANCE


def test_the_fused_loss_trains_the_model_as_the_full_logits_do(base, one_process):
    reference_job, reference = one_process
    assert reference.fused_loss
    job = make_job(base, "full-logits", fused_loss=False)
    result = launch(job, num_processes=1)

    assert not result.fused_loss
    for (step, loss), (ref_step, ref_loss) in zip(result.losses, reference.losses, strict=True):
        assert step == ref_step and loss == pytest.approx(ref_loss, rel=DP_TOLERANCE)
    assert relative_difference(weights(job), weights(reference_job)) < DP_TOLERANCE


def test_a_killed_job_resumes_from_its_last_checkpoint(base, one_process):
    reference_job, reference = one_process
    job = make_job(base, "killed", fail_after_step=70)  # SIGKILL after step 70; the last checkpoint is 60

    with pytest.raises(TrainingJobFailed, match="resumes from the last checkpoint"):
        launch(job, launcher="torchrun")  # torchrun here, the DeepSpeed launcher above
    checkpoints = Path(job.checkpoint_dir)
    assert (checkpoints / "latest").read_text().strip() == "step00000060"
    assert not Path(job.output_dir, "model.safetensors").exists()

    result = launch(job.model_copy(update={"fail_after_step": None}), launcher="torchrun")
    assert result.resumed_from_step == 60  # steps 61..80 only, not from 0
    assert result.tokens < reference.tokens / 3
    assert [step for step, _ in result.losses] == [step for step, _ in reference.losses]
    losses, reference_losses = [loss for _, loss in result.losses], [loss for _, loss in reference.losses]
    assert losses == pytest.approx(reference_losses, rel=1e-5)
    assert result.final_loss == pytest.approx(reference.final_loss, rel=1e-5)
    assert relative_difference(weights(job), weights(reference_job)) < 1e-5


def test_a_diverging_job_stops_with_a_clear_error(base):
    # A starting model with one non-finite weight: the loss is NaN from the first step, on every rank.
    model, tokenizer = load_pretrained(base / "init")
    with torch.no_grad():
        model.model.embed_tokens.weight[5, 0] = math.inf
    model.save_pretrained(base / "broken")
    tokenizer.save_pretrained(base / "broken")
    job = make_job(base, "diverged", model_dir=str(base / "broken"))

    with pytest.raises(TrainingDiverged, match=r"loss is nan at step 1; lower the learning rate"):
        launch(job, num_processes=2, launcher="torchrun")
    assert not Path(job.output_dir, "model.safetensors").exists()
    assert json.loads((Path(job.checkpoint_dir) / "diverged.json").read_text())["step"] == 1


def test_launch_commands_run_the_worker_module_under_each_launcher(tmp_path):
    deepspeed = launch_command(tmp_path / "job.json", 4, "deepspeed")
    assert deepspeed[1:3] == ["-m", "deepspeed.launcher.runner"]
    assert deepspeed[-3:] == ["--module", "memo_core.training.worker", str(tmp_path / "job.json")]
    assert deepspeed[deepspeed.index("--num_gpus") + 1] == "4"
    hosts = launch_command(tmp_path / "job.json", 8, "deepspeed", hostfile="/etc/memo/hostfile")
    assert hosts[hosts.index("--hostfile") + 1] == "/etc/memo/hostfile"
    torchrun = launch_command(tmp_path / "job.json", 2, "torchrun")
    assert torchrun[1:3] == ["-m", "torch.distributed.run"]
    assert torchrun[torchrun.index("--nproc_per_node") + 1] == "2"
    alone = launch_command(tmp_path / "job.json", 1, "none")
    assert alone == [sys.executable, "-m", "memo_core.training.worker", str(tmp_path / "job.json")]
    with pytest.raises(ValueError, match="launcher 'none' runs one process, not 2"):
        launch_command(tmp_path / "job.json", 2, "none")
    with pytest.raises(ValueError, match="a hostfile needs deepspeed"):
        launch_command(tmp_path / "job.json", 1, "none", hostfile="/etc/memo/hostfile")
    with pytest.raises(ValueError, match="needs launcher: deepspeed"):
        TrainingConfig(launcher="torchrun", hostfile="/etc/memo/hostfile")
    with pytest.raises(ValueError, match="launcher: none runs one process"):
        TrainingConfig(launcher="none", num_processes=2)


def test_a_job_without_a_launcher_trains_as_the_deepspeed_launchers_one_process(base, one_process):
    reference_job, reference = one_process
    job = make_job(base, "no-launcher")
    result = launch(job, num_processes=1, launcher="none")

    assert (result.processes, result.steps) == (1, reference.steps)
    for (step, loss), (ref_step, ref_loss) in zip(result.losses, reference.losses, strict=True):
        assert step == ref_step and loss == pytest.approx(ref_loss, rel=DP_TOLERANCE)
    assert relative_difference(weights(job), weights(reference_job)) < DP_TOLERANCE

    empty = make_job(base, "no-examples", examples_file=str(write_examples([], base / "empty.jsonl")))
    with pytest.raises(TrainingJobFailed, match="no training examples in"):
        launch(empty, num_processes=1, launcher="none")


def test_a_second_launch_on_a_running_jobs_checkpoints_is_refused(base):
    job = make_job(base, "busy")
    Path(job.checkpoint_dir).mkdir(parents=True)
    with open(Path(job.checkpoint_dir) / "job.lock", "w") as held:  # as the running job's launcher holds it
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(TrainingJobFailed, match="another training job is running"):
            launch(job)
    assert not (Path(job.checkpoint_dir) / "job.json").exists()  # refused before anything started


LORA = LoraSettings(r=8, alpha=16)
# The facts changed: every answer moves to the next person. A LoRA update teaches them to a trained model.
CHANGED = [Example(e.question, PEOPLE[(PEOPLE.index(e.answer) + 1) % 6]) for e in EXAMPLES]


@pytest.mark.parametrize("merge", [True, False], ids=["merged", "unmerged"])
def test_a_lora_job_trains_only_its_adapter_and_saves_a_candidate_that_answers(base, one_process, merge):
    start_dir = Path(one_process[0].output_dir)
    job = make_job(
        base,
        f"lora-{merge}",
        model_dir=str(start_dir),
        examples_file=str(write_examples(CHANGED, base / "changed.jsonl")),
        learning_rate=1e-2,
        lora=LORA.model_copy(update={"merge": merge}),
    )
    result = launch(job, num_processes=1)
    out = Path(job.output_dir)

    start = load_file(start_dir / "model.safetensors")
    assert 0 < result.trainable_parameters < sum(t.numel() for t in start.values()) / 5
    assert result.adapter["merged"] is merge
    assert result.adapter["lora_b_norm"] > 0  # PEFT starts B at zero: the adapter moved
    assert load_file((out / "adapter" if merge else out) / "adapter_model.safetensors")
    if merge:
        assert result.adapter["merge_max_logit_difference"] < 1e-3
        assert not (out / "adapter_config.json").exists()
        merged = load_file(out / "model.safetensors")  # differs from the start in adapted layers alone
        changed = {k for k in merged if not torch.equal(merged[k], start[k])}
        assert changed and all(any(m in k for m in LORA.target_modules) for k in changed), changed
    else:
        assert load_file(out / "base" / "model.safetensors").keys() == start.keys()

    answers = MemoryModel.load(out).answer([e.question for e in CHANGED])
    right = sum(a == e.answer for a, e in zip(answers, CHANGED, strict=True))
    assert right >= 18, answers  # the start gives the old answer to every one


def test_an_adapter_that_learnt_nothing_is_refused(tmp_path, base):
    model, _ = load_pretrained(base / "init")
    add_lora(model, LORA).save_pretrained(str(tmp_path))  # straight after initialisation: every B is zero
    with pytest.raises(AdapterError, match="learnt nothing"):
        check_adapter(tmp_path)
    with pytest.raises(AdapterError, match="no adapter was saved"):
        check_adapter(tmp_path / "missing")
    with pytest.raises(AdapterError, match=r"target_modules \['attn_qkv'\] do not fit this model"):
        add_lora(load_pretrained(base / "init")[0], LoraSettings(target_modules=["attn_qkv"]))


def job_processes(job: TrainingJob) -> list[psutil.Process]:
    """The launcher and workers of ``job``: their command lines name its spec in the checkpoint folder."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        if any(job.checkpoint_dir in part for part in process.info["cmdline"] or []):
            found.append(process)
    return found


def test_a_caller_sent_sigterm_stops_its_job_with_it(base):
    """As when a flow run is cancelled: the job, in a process group of its own, must not train on."""
    job = make_job(base, "terminated", max_steps=10**6, checkpoint_every=10**6)
    script = (
        "import sys; from memo_core.training.job import TrainingJob, launch; "
        "launch(TrainingJob.model_validate_json(sys.argv[1]))"
    )
    caller = subprocess.Popen([sys.executable, "-c", script, job.model_dump_json()])
    deadline = time.monotonic() + 120
    while not any("memo_core.training.worker" in p.cmdline() for p in job_processes(job)):
        assert time.monotonic() < deadline and caller.poll() is None, "the job never started"
        time.sleep(0.5)

    caller.send_signal(signal.SIGTERM)
    assert caller.wait(timeout=90) == 128 + signal.SIGTERM
    gone, alive = psutil.wait_procs(job_processes(job), timeout=60)
    assert not alive, [p.cmdline() for p in alive]
