"""The real service and protocol handler around any engines, in the test's own event loop."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from ..app import build_service
from ..config import Config
from ..engines.base import Engine
from ..reply.service import TtsService
from ..reply.settings import CacheSettings
from ..server.handler import TtsEventHandler


@dataclasses.dataclass
class RunningServer:
    host: str
    port: int
    service: TtsService


@asynccontextmanager
async def running_server(
    engines: Sequence[Engine], config: Config | None = None
) -> AsyncIterator[RunningServer]:
    """Serve `engines` on a free loopback port in this event loop, without the phrase cache
    (every request reaches the engine; the scheduler's tests cover the cache)."""
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
