"""Serve the web application next to the Wyoming server, when `web.listen` asks for it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from ..reply.service import TtsService
from ..schema import ConfigError
from ..server.settings import ServerSettings
from .endpoints import build_app
from .settings import WebSettings

_LOGGER = logging.getLogger(__name__)

SHUTDOWN_SECONDS = 1.0
"""At shutdown (after the replies' grace period), how long previews still in progress get."""
URL_BYTES_PER_CHAR = 12
"""A character of the preview's text takes up to 12 bytes percent-encoded (%F0%9F%94%8A)."""


class QuietAccessLogger(AbstractAccessLogger):
    """Requests at DEBUG, without the query: a preview's text stays out of the log."""

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.DEBUG)

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.debug("%s %s %s (%.3f s)", request.method, request.path, response.status, time)


@asynccontextmanager
async def serve_web(
    service: TtsService, settings: WebSettings, server: ServerSettings
) -> AsyncIterator[None]:
    """Serve the page, metrics and preview while the block runs (nothing when off);
    `server`: the Wyoming side's limits, which previews keep too."""
    address = settings.address
    if address is None:
        yield
        return
    runner = web.AppRunner(
        build_app(service, server, settings.networks, settings.api_key),
        access_log_class=QuietAccessLogger,
        handler_cancellation=True,  # a preview or speech whose client left stops
        shutdown_timeout=SHUTDOWN_SECONDS,
        max_line_size=URL_BYTES_PER_CHAR * server.max_text_chars + 8190,
    )
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, *address).start()
        except OSError as err:
            raise ConfigError(f"web.listen {settings.listen}: {err}") from err
        _LOGGER.info(
            "Status page, metrics, voice preview and OpenAI speech API (/v1/) on http://%s:%s/",
            *address,
        )
        yield
    finally:
        await runner.cleanup()
