"""Start the server as a subprocess on a free loopback port (for tests and benchmarks)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .client import describe

MODEL_FREE_CONFIG = "kokoro:\n  enabled: false\nremotes:\n  gpu_box:\n    uri: tcp://127.0.0.1:9\n"
"""config.yaml of a server that starts without a model: Kokoro off and one remote that is
down, an engine that may yet speak (with no engine at all the server stops at start)."""


@dataclass(frozen=True)
class ServerProcess:
    host: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def peak_rss_mb(self) -> float:
        """The process's peak resident memory (Linux), in MiB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("VmHWM not reported")

    def wait_for_log(self, text: str, timeout: float) -> str:
        """The first line of the server's log that contains `text`, once it is there."""
        deadline = time.monotonic() + timeout
        while True:
            log = self.log.read_text(errors="replace")
            found = [line for line in log.splitlines() if text in line]
            if found:
                return found[0]
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{log}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {text!r} in the server's log within {timeout:.0f} s")
            time.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    log_dir: Path,
    *args: str,
    timeout: float = 180.0,
    env: Mapping[str, str] | None = None,
    code: Path | None = None,
) -> ServerProcess:
    """Run `python -m wyoming_polytts ARGS` on a free port; return once it answers Describe.

    `env`: variables set for the server on top of this process's environment; `code`: a
    checkout whose package runs instead of this one (another version, for a benchmark)."""
    port = free_port()
    log = log_dir / f"server-{port}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "wyoming_polytts", "--uri", f"tcp://127.0.0.1:{port}", *args],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"},
        cwd=code,
    )
    try:
        _wait_until_it_answers(process, port, log, timeout)
    except BaseException:
        process.kill()  # never leave a server running for nobody
        raise
    return ServerProcess("127.0.0.1", port, process, log)


def _wait_until_it_answers(
    process: subprocess.Popen[bytes], port: int, log: Path, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            asyncio.run(describe("127.0.0.1", port, timeout=2))
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
        else:
            return
