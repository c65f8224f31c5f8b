"""Accepts connections up to a cap (a quiet one gives its place to a new one), and ends them
gracefully when the server stops."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket

from wyoming.error import Error
from wyoming.event import async_write_event

from ..reply.service import SHUTDOWN_MESSAGE, TtsService
from ..schema import ConfigError
from ..uri import tcp_address, unix_path
from .closing import close_after_reading
from .handler import TtsEventHandler
from .settings import ServerSettings

_LOGGER = logging.getLogger(__name__)


def listen_error(err: OSError) -> str:
    """An OSError of binding, said for a person (errno 98 is not a message)."""
    if err.errno == errno.EADDRINUSE:
        return "the port is in use (another server, or this one running twice)"
    if isinstance(err, socket.gaierror):
        return f"unknown host ({err.strerror})"
    return err.strerror or str(err)


class Listener:
    """One TtsEventHandler per connection, at most `max_connections` at once."""

    def __init__(self, service: TtsService, settings: ServerSettings, *, max_id_chars: int) -> None:
        """`max_id_chars`: the longest satellite or conversation id a request may carry."""
        self._service = service
        self._settings = settings
        self._max_id_chars = max_id_chars
        self._server: asyncio.Server | None = None
        self._handlers: dict[asyncio.Task[None], TtsEventHandler] = {}

    async def start(self) -> None:
        """Listen on `server.uri`; ConfigError (one line) when its address cannot be had."""
        uri = self._settings.uri
        address, path = tcp_address(uri), unix_path(uri)
        try:
            if address is not None:
                self._server = await asyncio.start_server(self._accept, *address)
            else:
                assert path is not None  # ServerSettings checked the uri
                await asyncio.to_thread(path.unlink, missing_ok=True)  # a stale socket file
                self._server = await asyncio.start_unix_server(self._accept, path)
        except OSError as err:  # in use, an unknown host, no such folder
            raise ConfigError(
                f"server.uri {uri}: cannot listen there: {listen_error(err)}"
            ) from err

    @property
    def connections(self) -> int:
        return len(self._handlers)

    @property
    def port(self) -> int:
        """The TCP port it listens on (the one the system chose for port 0)."""
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        limit = self._settings.max_connections
        if len(self._handlers) >= limit and not await self._make_room():
            _LOGGER.warning("Refused a connection: %s are open (the limit)", limit)
            error = Error(text=f"too many connections (limit {limit})", code="busy")
            with contextlib.suppress(ConnectionError, TimeoutError):
                async with asyncio.timeout(self._settings.write_timeout):
                    await async_write_event(error.event(), writer)
            await close_after_reading(reader, writer)
            return
        handler = TtsEventHandler(self._service, reader, writer, self._settings, self._max_id_chars)
        task = asyncio.current_task()
        assert task is not None
        self._handlers[task] = handler
        try:
            await handler.run()
        finally:
            self._handlers.pop(task, None)

    async def _make_room(self) -> bool:
        """Close the connection that has been quiet longest, if longer than `quiet_after` and
        with no reply in progress: a client that speaks needs its place more."""
        quiet = [
            (handler.quiet_for, task, handler)
            for task, handler in self._handlers.items()
            if not handler.busy and handler.quiet_for >= self._settings.quiet_after
        ]
        if not quiet:
            return False
        quiet_for, task, handler = max(quiet, key=lambda entry: entry[0])
        del self._handlers[task]
        limit = self._settings.max_connections
        await handler.give_way(
            f"closed after {quiet_for:.0f} s without a request to make room (limit {limit})"
        )
        task.cancel()
        return True

    async def shut_down(self, grace: float) -> None:
        """Stop accepting; let replies in progress finish for `grace` s; end the rest."""
        if self._server is not None:
            self._server.close()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        while any(h.busy for h in self._handlers.values()) and loop.time() < deadline:
            await asyncio.sleep(0.05)
        busy = sum(h.busy for h in self._handlers.values())
        if busy:
            _LOGGER.warning("Ending %s reply(s) still in progress after %.1f s", busy, grace)
        for handler in list(self._handlers.values()):
            await handler.abort(SHUTDOWN_MESSAGE)
        if self._handlers:
            await asyncio.wait(list(self._handlers), timeout=1.0)
