"""The optional Home Assistant side channel: which satellite is replying right now.

A websocket client of Home Assistant's API (a long-lived token, or in the add-on the
Supervisor's token): it follows `assist_satellite.*` state changes, and when a satellite
starts replying it reads that pipeline run's transcript and conversation id from
`assist_pipeline/pipeline_debug` (Home Assistant offers no subscription to other
clients' pipeline runs). It reconnects with backoff; the server works without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import itertools
import logging
import os
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any
from urllib.parse import urlparse

import aiohttp

from .pipeline_runs import find_run
from .settings import SUPERVISOR_URL, HomeAssistantSettings
from .tracker import SatelliteActivity, SatelliteTracker

_LOGGER = logging.getLogger(__name__)


class AuthFailed(Exception):
    """Home Assistant refused the token; retrying soon will not help."""


class CommandFailed(ValueError):
    """Home Assistant answered a command with success: false."""

    def __init__(self, code: object, message: object) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


OnEvent = Callable[[object], None]
RESTART_WINDOW = 300.0
"""Seconds a lost connection may stay down as a restart of Home Assistant (logged at INFO)."""


def channel_endpoint(
    settings: HomeAssistantSettings, environ: Mapping[str, str] = os.environ
) -> tuple[str, str] | None:
    """(url, token) from the settings, else the add-on's Supervisor; None when not set up."""
    supervisor = environ.get("SUPERVISOR_TOKEN")
    token = settings.token or supervisor
    url = settings.url or (SUPERVISOR_URL if supervisor else None)
    if not token or not url:
        return None
    return url, token


def exposes_token(url: str) -> bool:
    """Whether `url` sends the token in clear text beyond this machine or the home network:
    ws:// to a host that is not loopback, the Supervisor, a .local name or a private address."""
    parsed = urlparse(url)
    host = parsed.hostname or ""
    if parsed.scheme != "ws" or host in ("localhost", "supervisor") or host.endswith(".local"):
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return True  # a name that may resolve anywhere
    return not (address.is_loopback or address.is_private or address.is_link_local)


class HomeAssistantChannel:
    """Keeps a connection to Home Assistant and a SatelliteTracker up to date."""

    def __init__(self, settings: HomeAssistantSettings, url: str, token: str) -> None:
        self._settings = settings
        self._url = url
        self._token = token
        self.tracker = SatelliteTracker(settings.active_states)
        self.connected = asyncio.Event()
        self._connection: _Connection | None = None
        self._fetching = settings.fetch_user_text
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        """How a reply waits for its satellite (tests put a clock of their own here)."""
        self.lookups = 0
        """Pipeline-run lookups finished (a question found or not)."""

    def current(self) -> SatelliteActivity | None:
        return self.tracker.active()

    async def replying_after(self, mark: int, deadline: float) -> SatelliteActivity | None:
        """The one satellite that turned active after `mark` (a tracker mark), as seen at
        `deadline` (event loop time): never a guess between two."""
        delay = deadline - asyncio.get_running_loop().time()
        if delay > 0:
            await self.sleep(delay)
        return self.tracker.turned_active_since(mark)

    async def run(self) -> None:
        """Connect, follow, reconnect after a growing pause; until cancelled."""
        delay = self._settings.reconnect_min
        lost_at: float | None = None
        """When a working connection was lost (loop time): a restart of Home Assistant."""
        while True:
            try:
                await self._connect()
            except AuthFailed as err:
                _LOGGER.error("Home Assistant refused the access token: %s", err)
                delay = self._settings.reconnect_max
            except (aiohttp.ClientError, OSError, TimeoutError) as err:
                self._log_unreachable(err, lost_at)
            except Exception as err:  # noqa: BLE001 - an unexpected message must not end the channel
                _LOGGER.warning(
                    "Home Assistant side channel at %s: unexpected answer (%s: %s)",
                    self._url,
                    type(err).__name__,
                    err,
                )
            if self.connected.is_set():
                delay = self._settings.reconnect_min  # it worked for a while: retry soon
                lost_at = asyncio.get_running_loop().time()
            self.connected.clear()
            self.tracker.clear()
            _LOGGER.info("Reconnecting to Home Assistant in %.1f s", delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._settings.reconnect_max)

    def _log_unreachable(self, err: Exception, lost_at: float | None) -> None:
        """A restart of Home Assistant (the connection closes, then is refused for a while)
        is ordinary: INFO; a side channel that never worked, or is gone for longer, warns."""
        if self.connected.is_set() or (
            lost_at is not None and asyncio.get_running_loop().time() - lost_at < RESTART_WINDOW
        ):
            _LOGGER.info("Home Assistant side channel at %s: %s", self._url, err)
        else:
            _LOGGER.warning("Home Assistant side channel at %s: %s", self._url, err)

    async def _connect(self) -> None:
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(
                self._url, heartbeat=30, max_msg_size=self._settings.max_message_mb << 20
            ) as socket,
        ):
            await _authenticate(socket, self._token)
            connection = _Connection(socket)
            reader = asyncio.create_task(connection.read(self._on_event))
            try:
                await self._follow(connection)
                _LOGGER.info("Following assist satellites of Home Assistant at %s", self._url)
                self.connected.set()
                await reader
            finally:
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reader
                await connection.close()

    async def _follow(self, connection: _Connection) -> None:
        self._connection = connection
        await connection.call({"type": "subscribe_events", "event_type": "state_changed"})
        states = await connection.call({"type": "get_states"})
        for state in states if isinstance(states, list) else ():
            if isinstance(state, Mapping):
                self._apply(state.get("entity_id"), state.get("state"), state.get("last_changed"))

    def _on_event(self, event: object) -> None:
        if not isinstance(event, Mapping) or event.get("event_type") != "state_changed":
            return
        data = event.get("data")
        if not isinstance(data, Mapping):
            return
        new_state = data.get("new_state")
        if not isinstance(new_state, Mapping):
            new_state = {}
        self._apply(data.get("entity_id"), new_state.get("state"), new_state.get("last_changed"))

    def _apply(self, entity_id: object, state: object, changed: object) -> None:
        """Track a state; a satellite that starts replying gets its run's facts looked up."""
        if isinstance(entity_id, str):
            self._track(
                entity_id,
                state if isinstance(state, str) else None,
                changed if isinstance(changed, str) else None,
            )

    def _track(self, entity_id: str, state: str | None, changed: str | None) -> None:
        if self.tracker.update(entity_id, state, changed):
            _LOGGER.debug("%s is %s", entity_id, state)
            if self._fetching and self._connection is not None:
                self._connection.spawn(self._fetch_facts(entity_id))

    async def _fetch_facts(self, entity_id: str) -> None:
        """Read the transcript and conversation id of the run the satellite replies to."""
        try:
            await self._look_up(entity_id)
        finally:
            self.lookups += 1

    async def _look_up(self, entity_id: str) -> None:
        assert self._connection is not None
        try:
            facts = await find_run(
                self._connection.call,
                entity_id,
                since=self.tracker.woke(entity_id),
                runs_to_check=self._settings.runs_to_check,
            )
        except CommandFailed as err:
            if err.code != "unauthorized":  # e.g. a run evicted between list and get
                _LOGGER.debug("No pipeline run found for %s: %s", entity_id, err)
                return
            _LOGGER.info("Cannot read Home Assistant's pipeline runs (%s); no user turns", err)
            self._fetching = False
            return
        except (ConnectionError, TimeoutError, KeyError, TypeError, AttributeError) as err:
            _LOGGER.debug("No pipeline run found for %s: %s", entity_id, type(err).__name__)
            return
        if facts is not None:
            # The question is the user's own words: only whether there is one is logged
            _LOGGER.debug(
                "%s replies to a question of %s characters (conversation %s)",
                entity_id,
                len(facts.user_text or ""),
                facts.conversation_id,
            )
            self.tracker.set_facts(entity_id, facts)


async def _authenticate(socket: aiohttp.ClientWebSocketResponse, token: str) -> None:
    """auth_required -> auth -> auth_ok; the token goes in the message, never in a log."""
    hello = await socket.receive_json(timeout=30)
    if hello.get("type") != "auth_required":
        raise ValueError(f"expected auth_required, got {hello.get('type')!r}")
    await socket.send_json({"type": "auth", "access_token": token})
    answer = await socket.receive_json(timeout=30)
    if answer.get("type") == "auth_invalid":
        raise AuthFailed(str(answer.get("message", "auth_invalid")))
    if answer.get("type") != "auth_ok":
        raise ValueError(f"expected auth_ok, got {answer.get('type')!r}")


class _Connection:
    """Commands with ids and their results; events of subscriptions go to a callback."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self._socket = socket
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[Any]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def call(self, message: dict[str, Any]) -> Any:
        """Send a command and wait for its result (raises CommandFailed)."""
        ident = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting[ident] = future
        try:
            await self._socket.send_json({"id": ident, **message})
            async with asyncio.timeout(30):
                return await future
        finally:
            self._waiting.pop(ident, None)

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def read(self, on_event: OnEvent) -> None:
        """Dispatch messages until the socket closes."""
        try:
            async for message in self._socket:
                if message.type is not aiohttp.WSMsgType.TEXT:
                    continue
                payload = message.json()
                for item in payload if isinstance(payload, list) else [payload]:
                    if isinstance(item, Mapping):
                        self._dispatch(item, on_event)
        finally:
            for future in self._waiting.values():
                if not future.done():
                    future.set_exception(ConnectionError("connection to Home Assistant lost"))
        raise ConnectionError("Home Assistant closed the connection")

    def _dispatch(self, item: Mapping[str, Any], on_event: OnEvent) -> None:
        if item.get("type") == "event":
            on_event(item.get("event"))
            return
        ident = item.get("id")
        future = self._waiting.get(ident) if isinstance(ident, int) else None
        if future is None or future.done() or item.get("type") != "result":
            return
        if item.get("success"):
            future.set_result(item.get("result"))
        else:
            error = item.get("error") or {}
            future.set_exception(CommandFailed(error.get("code"), error.get("message")))

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
