"""The composition root: from a Config to engines, the service and the Wyoming server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Sequence
from functools import partial

from wyoming.server import AsyncServer

from .config import Config
from .engines.base import Engine
from .engines.registry import build_engines, dormant_voices
from .reply.backend import Backend
from .reply.cache import PhraseCache
from .reply.scheduler import Scheduler
from .reply.service import TtsService
from .schema import ConfigError
from .server.handler import TtsEventHandler
from .server.zeroconf import advertise

_LOGGER = logging.getLogger(__name__)


def build_service(config: Config, engines: Sequence[Engine] | None = None) -> TtsService:
    """The engines the configuration enables (or those given), each behind its scheduler."""
    cache = PhraseCache(config.cache.max_mb * 1024 * 1024) if config.cache.max_mb else None
    backends = [
        Backend(
            Scheduler(
                engine,
                workers=engine.concurrency,
                max_replies=config.server.max_replies,
                cache=cache,
            )
        )
        for engine in (build_engines(config) if engines is None else engines)
    ]
    return TtsService(config, backends, dormant_voices(config))


async def serve(config: Config) -> None:
    service = build_service(config)
    server = AsyncServer.from_uri(config.server.uri)
    service.start()
    if config.server.zeroconf:
        await advertise(config.server.uri, config.server.zeroconf)
    _LOGGER.info("Serving Wyoming TTS on %s", config.server.uri)
    try:
        await server.run(partial(TtsEventHandler, service))
    finally:
        service.stop()


def run_server(config: Config) -> None:
    """Log as configured and serve until interrupted; a configuration error exits with it."""
    logging.basicConfig(
        level=logging.DEBUG if config.debug else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(config))
    except ConfigError as err:  # found while starting, e.g. no address to advertise
        sys.exit(f"wyoming-polytts: {err}")
