"""infra/pools.py against a real (temporary) Prefect server: the pools and limits it leaves, read back
through the API, and what the GPU pools' templates make of a deployment's job variables."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import WorkPoolUpdate
from prefect.settings import PREFECT_API_URL
from prefect.testing.utilities import prefect_test_harness
from prefect.utilities.templating import apply_values
from prefect.workers.process import ProcessJobConfiguration, ProcessWorker

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "infra" / "work-pools"


@pytest.fixture(scope="module")
def api_url() -> Iterator[str]:
    with prefect_test_harness(server_startup_timeout=120):
        yield str(PREFECT_API_URL.value())


def run_pools(api_url: str, *args: str, returncode: int = 0) -> subprocess.CompletedProcess[str]:
    """Run the script as an operator would, against the test server; it must exit with ``returncode``."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "infra" / "pools.py"), *args],
        env={**os.environ, "PREFECT_API_URL": api_url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == returncode, done.stderr
    return done


def template(name: str) -> dict[str, Any]:
    return json.loads((TEMPLATES / name).read_text())


def test_pools_and_gpu_limits_are_created_then_kept(api_url: str) -> None:
    first = run_pools(
        api_url, "--gpu-host", "gpu-a=2", "--gpu-host", "gpu-b=8", "--kubernetes"
    ).stdout.splitlines()
    assert first[:5] == [
        "work pool memo-default (process) created",
        "work pool memo-gpu (process) created",
        "work pool memo-gpu-k8s (kubernetes) created",
        "concurrency limit gpu-host-gpu-a = 2",
        "concurrency limit gpu-host-gpu-b = 8",
    ]
    with get_client(sync_client=True) as client:
        pools = {name: client.read_work_pool(name) for name in ("memo-default", "memo-gpu", "memo-gpu-k8s")}
        for host, gpus in (("gpu-a", 2), ("gpu-b", 8)):
            limit = client.read_global_concurrency_limit_by_name(f"gpu-host-{host}")
            assert (limit.limit, limit.active, limit.active_slots) == (gpus, True, 0)
        # An operator's change to the default pool is theirs to keep.
        client.update_work_pool("memo-default", WorkPoolUpdate(concurrency_limit=3))
    assert pools["memo-default"].type == "process"
    assert pools["memo-default"].base_job_template == ProcessWorker.get_default_base_job_template()
    assert (pools["memo-gpu"].type, pools["memo-gpu"].base_job_template) == (
        "process",
        template("process-gpu.json"),
    )
    assert (pools["memo-gpu-k8s"].type, pools["memo-gpu-k8s"].base_job_template) == (
        "kubernetes",
        template("kubernetes-gpu.json"),
    )

    again = run_pools(api_url, "--gpu-host", "gpu-a=4").stdout.splitlines()
    assert again[:4] == [
        "work pool memo-default (process) unchanged",
        "work pool memo-gpu (process) unchanged",
        "concurrency limit gpu-host-gpu-a = 4",
        "on gpu-a: MEMO_GPU_LIMIT=gpu-host-gpu-a prefect worker start --pool memo-gpu",
    ]
    with get_client(sync_client=True) as client:
        assert client.read_global_concurrency_limit_by_name("gpu-host-gpu-a").limit == 4
        assert client.read_global_concurrency_limit_by_name("gpu-host-gpu-b").limit == 8
        assert client.read_work_pool("memo-default").concurrency_limit == 3


def test_a_malformed_gpu_host_is_refused_before_anything_is_created(api_url: str) -> None:
    done = run_pools(api_url, "--gpu-host", "gpu-c", returncode=2)
    assert "expected HOST=GPUS" in done.stderr


def test_the_process_gpu_template_sets_the_devices_only_when_asked() -> None:
    base = template("process-gpu.json")

    def env_for(values: dict[str, Any]) -> dict[str, str | None]:
        configuration = asyncio.run(ProcessJobConfiguration.from_template_and_values(base, values))
        return cast(ProcessJobConfiguration, configuration).env

    assert env_for({"cuda_visible_devices": "2,3", "env": {"OMP_NUM_THREADS": "8"}}) == {
        "CUDA_VISIBLE_DEVICES": "2,3",
        "OMP_NUM_THREADS": "8",
    }
    # unset: the flow run inherits the worker's own CUDA_VISIBLE_DEVICES
    assert "CUDA_VISIBLE_DEVICES" not in env_for({})


def test_the_kubernetes_template_renders_a_gpu_job() -> None:
    base = template("kubernetes-gpu.json")
    variables = base["variables"]
    assert "image" in variables["required"]
    defaults = {k: v["default"] for k, v in variables["properties"].items() if "default" in v}
    values = {**defaults, "image": "registry.example.com/memo:0.1.0", "gpus": 4, "name": "fine-tune"}
    values |= {"node_selector": {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"}, "command": "prefect"}
    job = apply_values(base["job_configuration"], values)["job_manifest"]
    pod = job["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["image"] == "registry.example.com/memo:0.1.0"
    assert container["resources"]["limits"] == {"nvidia.com/gpu": 4}  # unset cpu and memory are left out
    assert pod["nodeSelector"] == {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"}
    assert pod["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert container["volumeMounts"] == [{"name": "dshm", "mountPath": "/dev/shm"}]
    assert pod["volumes"] == [{"name": "dshm", "emptyDir": {"medium": "Memory"}}]
    assert (job["spec"]["parallelism"], job["spec"]["completions"], pod["restartPolicy"]) == (1, 1, "Never")
