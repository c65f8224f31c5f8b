"""Fixtures: an in-process server around any engine."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial

import pytest

from wyoming_polytts.__main__ import build_service
from wyoming_polytts.config import CacheSettings, Config
from wyoming_polytts.engines.base import Engine
from wyoming_polytts.handler import TtsEventHandler
from wyoming_polytts.service import TtsService


@dataclasses.dataclass
class RunningServer:
    host: str
    port: int
    service: TtsService


@asynccontextmanager
async def running_server(
    engines: list[Engine], config: Config | None = None
) -> AsyncIterator[RunningServer]:
    """Serve `engines` on a free loopback port in this event loop, without the phrase cache
    (every request reaches the engine; tests/test_scheduler.py covers the cache)."""
    config = dataclasses.replace(config or Config(), cache=CacheSettings(max_mb=0))
    service = build_service(config, engines)
    service.start()
    server = await asyncio.start_server(
        lambda reader, writer: asyncio.ensure_future(
            TtsEventHandler(service, reader, writer).run()
        ),
        "127.0.0.1",
        0,
    )
    port = server.sockets[0].getsockname()[1]
    try:
        yield RunningServer("127.0.0.1", port, service)
    finally:
        server.close()
        service.stop()


@pytest.fixture(name="serve")
def serve_fixture() -> Callable[..., object]:
    return partial(running_server)
