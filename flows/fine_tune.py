"""Flow ``fine-tune``: train one knowledge update's candidate, on a GPU host of the ``memo-gpu`` pool.

A knowledge update whose config sets ``training.deployment`` starts this flow's deployment and waits for it.
Only the config path, the corpus version and the mode cross hosts: the plan is recomputed here (it is a pure
function of those, the config and the registry's champion), and the checkpoint lands in the shared artifact
store under the key the update expects. While training, the run holds ``training.num_processes`` slots of
the global concurrency limits named in its worker's $MEMO_GPU_LIMIT (comma-separated; one limit per GPU
host, as many slots as GPUs, see infra/pools.py), so two jobs never share a host's GPUs.
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager, nullcontext
from typing import Literal

from prefect import flow, get_run_logger
from prefect.concurrency.sync import concurrency

from flows import load_run_config
from tasks.plan import plan_update
from tasks.reflections import build_reflection_set
from tasks.registry import fetch_parent_model
from tasks.training import train_candidate

GPU_LIMIT_ENV = "MEMO_GPU_LIMIT"


def gpu_slots(occupy: int) -> AbstractContextManager[object]:
    """Hold ``occupy`` slots of each limit in $MEMO_GPU_LIMIT; nothing to hold where it is unset.

    A named limit that does not exist fails the run rather than train unguarded, and a lease renewal that
    fails once does not stop a long training job.
    """
    names = [name.strip() for name in os.environ.get(GPU_LIMIT_ENV, "").split(",") if name.strip()]
    if not names:
        return nullcontext()
    get_run_logger().info("waiting for %d GPU slot(s) of %s", occupy, ", ".join(names))
    return concurrency(names, occupy=occupy, strict=True, raise_on_lease_renewal_failure=False)


@flow(name="fine-tune")
def fine_tune(
    config_path: str, corpus_version: int, mode: Literal["incremental", "full"] | None = None
) -> str:
    """Train the candidate of ``corpus_version`` (reflections built if missing); return its checkpoint key.

    Args:
        config_path: memo.yaml, relative to the worker's checkout.
        corpus_version: the corpus version the knowledge update planned.
        mode: the mode it planned (incremental or full); unset, training.mode.
    """
    config = load_run_config(config_path)
    plan = plan_update(config, corpus_version, mode)
    if plan.is_empty:
        raise ValueError(
            f"corpus v{corpus_version} holds nothing new for champion version {plan.parent_version}: "
            "nothing to train"
        )
    reflections = build_reflection_set(config, corpus_version)
    parent_dir = fetch_parent_model(config, plan)
    with gpu_slots(config.training.num_processes):
        return train_candidate(config, plan, reflections, parent_dir)
