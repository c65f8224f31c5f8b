"""The web side on a real socket, as the server runs it: quiet logs, a clear error for a port
in use, and a preview whose browser leaves is cancelled."""

from __future__ import annotations

import asyncio
import logging
import re
import socket

import aiohttp
import pytest

from wyoming_polytts.app import build_service
from wyoming_polytts.config import Config
from wyoming_polytts.reply.service import TtsService
from wyoming_polytts.schema import ConfigError
from wyoming_polytts.testing.fake_engine import FakeEngine, loaded_fake
from wyoming_polytts.testing.launcher import free_port
from wyoming_polytts.testing.waiting import wait_for
from wyoming_polytts.web.server import serve_web
from wyoming_polytts.web.settings import WebSettings


def started(engine: FakeEngine) -> TtsService:
    service = build_service(Config(), [engine])
    service.start()
    return service


async def test_the_preview_text_stays_out_of_the_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    service = started(loaded_fake())
    port = free_port()
    try:
        async with (
            serve_web(service, WebSettings(listen=f"127.0.0.1:{port}")),
            aiohttp.ClientSession() as client,
        ):
            url = f"http://127.0.0.1:{port}/api/speak"
            async with client.get(url, params={"text": "Open sesame."}) as response:
                assert response.status == 200
                await response.read()
    finally:
        service.stop()
    assert "GET /api/speak 200" in caplog.text
    assert "sesame" not in caplog.text.lower()


async def test_a_port_in_use_stops_start_up_with_the_key() -> None:
    service = started(loaded_fake())
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        try:
            with pytest.raises(ConfigError, match=re.escape(f"web.listen 127.0.0.1:{port}")):
                async with serve_web(service, WebSettings(listen=f"127.0.0.1:{port}")):
                    pass
        finally:
            service.stop()


async def test_a_preview_whose_browser_leaves_is_cancelled() -> None:
    engine = loaded_fake()
    engine.gate.clear()
    service = started(engine)
    port = free_port()
    try:
        async with serve_web(service, WebSettings(listen=f"127.0.0.1:{port}")):
            async with aiohttp.ClientSession() as client:
                request = asyncio.create_task(
                    client.get(f"http://127.0.0.1:{port}/api/speak", params={"text": "A. B. C."})
                )
                await asyncio.to_thread(engine.started.acquire, timeout=5)
                request.cancel()  # the browser goes away mid-reply
            await wait_for(lambda: service.stats.snapshot().recent)
            (reply,) = service.stats.snapshot().recent
            engine.gate.set()
    finally:
        service.stop()
    assert reply.outcome == "cancelled"
    assert service.stats.snapshot().in_progress == ()
