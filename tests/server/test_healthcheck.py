"""The health check used by the add-on and the Docker images."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys

from wyoming.event import async_read_event, async_write_event
from wyoming.info import Info

from wyoming_polytts.server.healthcheck import check
from wyoming_polytts.testing.fake_engine import loaded_fake
from wyoming_polytts.testing.launcher import free_port


async def run_healthcheck(*args: str) -> tuple[int, str]:
    """The command as Docker's HEALTHCHECK runs it: exit status and output."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "wyoming_polytts.server.healthcheck",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, output.decode()


async def test_healthy_server(serve) -> None:
    async with serve([loaded_fake()]) as server:
        uri = f"tcp://{server.host}:{server.port}"
        assert await run_healthcheck("--uri", uri, "--timeout", "5") == (0, f"healthy: {uri}\n")
        wrong = await asyncio.to_thread(check, uri, 5.0, "piper")
        assert wrong == f"{uri} serves polytts, not piper"


async def test_server_without_text_to_speech_fails_the_command() -> None:
    async def speech_to_text_only(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await async_read_event(reader)
        await async_write_event(Info().event(), writer)
        writer.close()

    server = await asyncio.start_server(speech_to_text_only, "127.0.0.1", 0)
    uri = f"tcp://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    async with server:
        status, output = await run_healthcheck("--uri", uri)
    assert status != 0
    assert output == f"unhealthy: {uri} answered without a text-to-speech program\n"


async def test_server_that_never_answers() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        problem = await asyncio.to_thread(check, f"tcp://127.0.0.1:{port}", 0.5, None)
    assert problem == f"no Info from tcp://127.0.0.1:{port} within 0.5 s"


def test_server_that_never_accepts_times_out() -> None:
    """Connecting counts against the timeout: a full accept queue leaves connect() hanging."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        queued = [socket.socket() for _ in range(2)]
        for waiting in queued:
            waiting.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                waiting.connect(("127.0.0.1", port))
        try:
            problem = check(f"tcp://127.0.0.1:{port}", 0.5, None)
        finally:
            for waiting in queued:
                waiting.close()
    assert problem == f"no Info from tcp://127.0.0.1:{port} within 0.5 s"


async def test_closed_port_and_bad_uri_fail_the_command() -> None:
    status, output = await run_healthcheck("--uri", f"tcp://127.0.0.1:{free_port()}")
    assert status != 0
    assert "unhealthy: cannot reach" in output
    assert (
        check("unix:///run/x.sock", 1.0, None)
        == "expected tcp://HOST:PORT, got 'unix:///run/x.sock'"
    )
