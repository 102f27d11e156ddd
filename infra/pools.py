"""Create memo's work pools and GPU-host concurrency limits on the Prefect server at $PREFECT_API_URL.

    python infra/pools.py --gpu-host gpu-a=8 --gpu-host gpu-b=8 [--kubernetes]

- ``memo-default`` (process): scans, reflections, evaluation, registration, promotion. Created with
  Prefect's default template when missing, left as it is otherwise.
- ``memo-gpu`` (process, ``work-pools/process-gpu.json``): the fine-tune deployment, one worker per GPU
  host. Its template is (re)written on every run, so the file here is the source of truth.
- ``memo-gpu-k8s`` (kubernetes, ``work-pools/kubernetes-gpu.json``) with ``--kubernetes``: the same
  deployment as Kubernetes jobs asking for ``nvidia.com/gpu``.
- one global concurrency limit ``gpu-host-HOST`` per ``--gpu-host HOST=GPUS``, limit GPUS: the fine-tune
  flow holds ``training.num_processes`` slots of the limit named by its worker's $MEMO_GPU_LIMIT while it
  trains, so jobs on one host never share GPUs. Created, or its limit updated.

Running it again changes nothing that is already as described, so it can run on every deploy.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.exceptions import ObjectNotFound
from prefect.workers.process import ProcessWorker

TEMPLATES = Path(__file__).resolve().parent / "work-pools"
DEFAULT_POOL, GPU_POOL, GPU_K8S_POOL = "memo-default", "memo-gpu", "memo-gpu-k8s"


def read_template(name: str) -> dict:
    return json.loads((TEMPLATES / name).read_text())


def gpu_limit_name(host: str) -> str:
    return f"gpu-host-{host}"


def parse_gpu_host(text: str) -> tuple[str, int]:
    host, sep, gpus = text.partition("=")
    if not (host and sep and gpus.isdigit() and int(gpus) > 0):
        raise argparse.ArgumentTypeError(f"{text!r}: expected HOST=GPUS, e.g. gpu-a=8")
    return host, int(gpus)


def ensure_pool(client: SyncPrefectClient, name: str, type_: str, template: dict | None) -> str:
    """Create the pool; with a template, also bring an existing pool's template up to date."""
    try:
        existing = client.read_work_pool(name)
    except ObjectNotFound:
        existing = None
    if existing is not None and (template is None or existing.base_job_template == template):
        return f"work pool {name} ({existing.type}) unchanged"
    if existing is not None and existing.type != type_:
        raise SystemExit(f"work pool {name} is of type {existing.type}, not {type_}; delete it first")
    pool = WorkPoolCreate(
        name=name,
        type=type_,
        base_job_template=template or ProcessWorker.get_default_base_job_template(),
    )
    client.create_work_pool(pool, overwrite=True)
    return f"work pool {name} ({type_}) {'updated' if existing else 'created'}"


def ensure_gpu_limit(client: SyncPrefectClient, host: str, gpus: int) -> str:
    name = gpu_limit_name(host)
    client.upsert_global_concurrency_limit_by_name(name, gpus)
    return f"concurrency limit {name} = {gpus}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--gpu-host",
        type=parse_gpu_host,
        action="append",
        default=[],
        metavar="HOST=GPUS",
        help="a GPU host and its GPU count; repeat per host",
    )
    parser.add_argument("--kubernetes", action="store_true", help=f"also create {GPU_K8S_POOL}")
    args = parser.parse_args(argv)

    pools = [(DEFAULT_POOL, "process", None), (GPU_POOL, "process", read_template("process-gpu.json"))]
    if args.kubernetes:
        pools.append((GPU_K8S_POOL, "kubernetes", read_template("kubernetes-gpu.json")))
    with get_client(sync_client=True) as client:
        for name, type_, base_job_template in pools:
            print(ensure_pool(client, name, type_, base_job_template))
        for host, gpus in args.gpu_host:
            print(ensure_gpu_limit(client, host, gpus))
    for host, _ in args.gpu_host:
        print(f"on {host}: MEMO_GPU_LIMIT={gpu_limit_name(host)} prefect worker start --pool {GPU_POOL}")


if __name__ == "__main__":
    main()
