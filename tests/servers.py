"""Servers that tests start on 127.0.0.1: a free port to listen on, and a server subprocess to wait for."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import httpx


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Process:
    """A server subprocess on 127.0.0.1 whose output is kept for the failure message."""

    def __init__(
        self,
        args: list[str],
        env: dict[str, str],
        log: Path,
        port: int,
        ready_path: str,
        name: str | None = None,
    ) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        self.name = name or log.name
        with log.open("w") as out:
            self.process = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
        self.ready_path = ready_path

    def wait_ready(self, timeout_s: float = 120.0, poll_s: float = 0.3) -> None:
        """Until ``ready_path`` answers 200; fail with the end of the log if the server exits or the time
        runs out first."""
        deadline = time.monotonic() + timeout_s
        while True:
            assert self.process.poll() is None, f"{self.name} exited:\n{self.log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"{self.name} did not start:\n{self.log.read_text()[-3000:]}"
            try:
                if httpx.get(self.url + self.ready_path, timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(poll_s)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)
