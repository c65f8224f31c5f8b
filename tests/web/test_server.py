"""The web side on a real socket, as the server runs it: quiet logs, a clear error for a port
in use, and a preview whose browser leaves, or takes no audio, is cancelled."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
import subprocess
import sys
import urllib.parse

import aiohttp
import pytest

from wyoming_polytts.app import Parts, build_parts
from wyoming_polytts.config import Config
from wyoming_polytts.schema import ConfigError
from wyoming_polytts.server.settings import ServerSettings
from wyoming_polytts.testing.fake_engine import FakeEngine, loaded_fake
from wyoming_polytts.testing.launcher import free_port
from wyoming_polytts.testing.waiting import wait_for
from wyoming_polytts.web.server import serve_web
from wyoming_polytts.web.settings import WebSettings

SERVER = ServerSettings()


def started(engine: FakeEngine, config: Config | None = None) -> Parts:
    parts = build_parts(config or Config(), [engine])
    parts.start()
    return parts


async def test_the_preview_text_stays_out_of_the_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    parts = started(loaded_fake())
    port = free_port()
    try:
        async with (
            serve_web(parts.service, WebSettings(listen=f"127.0.0.1:{port}"), SERVER),
            aiohttp.ClientSession() as client,
        ):
            url = f"http://127.0.0.1:{port}/api/speak"
            async with client.get(url, params={"text": "Open sesame."}) as response:
                assert response.status == 200
                await response.read()
    finally:
        parts.stop()
    assert "GET /api/speak 200" in caplog.text
    assert "sesame" not in caplog.text.lower()


async def test_a_port_in_use_stops_start_up_with_the_key() -> None:
    parts = started(loaded_fake())
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        try:
            with pytest.raises(ConfigError, match=re.escape(f"web.listen 127.0.0.1:{port}")):
                async with serve_web(
                    parts.service, WebSettings(listen=f"127.0.0.1:{port}"), SERVER
                ):
                    pass
        finally:
            parts.stop()


async def test_a_preview_whose_browser_leaves_is_cancelled() -> None:
    engine = loaded_fake()
    engine.gate.clear()
    parts = started(engine)
    port = free_port()
    try:
        async with serve_web(parts.service, WebSettings(listen=f"127.0.0.1:{port}"), SERVER):
            async with aiohttp.ClientSession() as client:
                request = asyncio.create_task(
                    client.get(f"http://127.0.0.1:{port}/api/speak", params={"text": "A. B. C."})
                )
                await asyncio.to_thread(engine.started.acquire, timeout=5)
                request.cancel()  # the browser goes away mid-reply
            await wait_for(lambda: parts.service.recorder.snapshot().recent)
            (reply,) = parts.service.recorder.snapshot().recent
            engine.gate.set()
    finally:
        parts.stop()
    assert reply.outcome == "cancelled"
    assert parts.service.recorder.snapshot().in_progress == ()


async def test_a_streamed_preview_nobody_reads_is_cancelled_after_the_write_timeout() -> None:
    engine = loaded_fake()
    config = Config(server=ServerSettings(write_timeout=1.0))
    parts = started(engine, config)
    port = free_port()
    text = "Words to fill every buffer on the way. " * 500  # over 3 minutes of audio
    try:
        async with serve_web(parts.service, WebSettings(listen=f"127.0.0.1:{port}"), config.server):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            query = urllib.parse.urlencode({"text": text, "stream": "1"})
            writer.write(f"GET /api/speak?{query} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            await writer.drain()  # and never read the answer
            await wait_for(lambda: parts.service.recorder.snapshot().recent, timeout=30)
            (reply,) = parts.service.recorder.snapshot().recent
            writer.close()
    finally:
        parts.stop()
    assert reply.outcome == "cancelled"
    assert 0 < reply.audio_seconds < 200


def test_a_web_port_in_use_stops_the_server_before_it_says_it_serves(tmp_path) -> None:
    """Nothing is announced (log, health check's address file) for a server that stops."""
    uri_file = tmp_path / "uri"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        web_port = taken.getsockname()[1]
        uri, web = f"tcp://127.0.0.1:{free_port()}", f"127.0.0.1:{web_port}"
        done = subprocess.run(
            [sys.executable, "-m", "wyoming_polytts", "--uri", uri, "--web", web],
            env={**os.environ, "POLYTTS_URI_FILE": str(uri_file)},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode != 0
    assert f"web.listen 127.0.0.1:{web_port}" in done.stderr
    assert "Serving Wyoming TTS" not in done.stderr
    assert not uri_file.exists()
