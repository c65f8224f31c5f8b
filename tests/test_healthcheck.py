"""The health check used by the add-on and the Docker images."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from tests.fakes import loaded_fake
from wyoming_polytts.healthcheck import check
from wyoming_polytts.launcher import free_port


async def test_healthy_server(serve) -> None:
    async with serve([loaded_fake()]) as server:
        uri = f"tcp://{server.host}:{server.port}"
        assert await asyncio.to_thread(check, uri, 5.0, "polytts") is None
        wrong = await asyncio.to_thread(check, uri, 5.0, "piper")
        assert wrong == f"{uri} serves polytts, not piper"


async def test_server_that_never_answers() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        problem = await asyncio.to_thread(check, f"tcp://127.0.0.1:{port}", 0.5, None)
    assert problem == f"no Info from tcp://127.0.0.1:{port} within 0.5 s"


def test_closed_port_and_bad_uri_fail_the_command() -> None:
    port = free_port()
    result = subprocess.run(
        [sys.executable, "-m", "wyoming_polytts.healthcheck", "--uri", f"tcp://127.0.0.1:{port}"],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "unhealthy: cannot reach" in result.stderr
    assert (
        check("unix:///run/x.sock", 1.0, None)
        == "expected tcp://HOST:PORT, got 'unix:///run/x.sock'"
    )
