"""The real service and protocol handler around any engines, in the test's own event loop."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from ..app import Parts, build_parts
from ..config import Config
from ..engines.base import Engine
from ..reply.planner import EngineState
from ..reply.service import TtsService
from ..reply.settings import CacheSettings
from ..server.listener import Listener


@dataclasses.dataclass
class RunningServer:
    host: str
    port: int
    parts: Parts
    listener: Listener

    @property
    def service(self) -> TtsService:
        return self.parts.service

    async def loaded(self, timeout: float = 10.0) -> None:
        """Until every engine has loaded (or failed to): "auto" routing waits for nothing."""
        async with asyncio.timeout(timeout):
            while any(
                status.state is EngineState.LOADING
                for status in self.parts.backends.statuses().values()
            ):
                await asyncio.sleep(0.01)


@asynccontextmanager
async def running_server(
    engines: Sequence[Engine],
    config: Config | None = None,
    *,
    loaded: bool = True,
    port: int = 0,
    cache_mb: int = 0,
) -> AsyncIterator[RunningServer]:
    """Serve `engines` on a loopback port (0: a free one) in this event loop, with a phrase
    cache of `cache_mb` (0, the default: none, so every request reaches the engine).
    With `loaded`, once every engine has loaded or failed: requests then route as on a
    running server."""
    config = config or Config()
    server = dataclasses.replace(config.server, uri=f"tcp://127.0.0.1:{port}")
    config = dataclasses.replace(config, server=server, cache=CacheSettings(max_mb=cache_mb))
    parts = build_parts(config, engines)
    parts.start()
    listener = Listener(parts.service, config.server, max_id_chars=config.context.max_key_chars)
    await listener.start()
    running = RunningServer("127.0.0.1", listener.port, parts, listener)
    try:
        if loaded:
            await running.loaded()
        yield running
    finally:
        await listener.shut_down(grace=0)
        parts.stop()
