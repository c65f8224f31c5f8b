"""The satellites' front door: who a reply speaks for, and that satellite's conversation.

Replies reach satellites through `Satellites` alone: `attribute` says who a reply speaks
for now (and, for a reply that nothing attributes yet, how to look again once Home
Assistant may have set its satellite replying), `open` opens that satellite's
conversation. Behind the door: the context keys (`keys`), the history and its file, and
the Home Assistant side channel with its tracker.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ..engines.base import Conversation
from .ha_channel import HomeAssistantChannel, channel_endpoint, exposes_token
from .history import HistoryStore
from .history_file import HistoryFile
from .keys import KEY_FIELDS, ResolvedContext, resolve_context
from .settings import HomeAssistantSettings, SatelliteProfile, SatelliteSections
from .tracker import SatelliteActivity

__all__ = [
    "KEY_FIELDS",
    "Attribution",
    "LookAgain",
    "ResolvedContext",
    "SatelliteReport",
    "Satellites",
    "SpokenConversation",
]

_LOGGER = logging.getLogger(__name__)


class SpokenConversation(Conversation, Protocol):
    """A reply's conversation: what engines read and write, and the reply's commit."""

    def commit(self, assistant_text: str) -> None:
        """The reply was spoken: it becomes a turn of the history."""


LookAgain = Callable[[], Awaitable[ResolvedContext | None]]
"""Waits out the attribution grace; the satellite that turned active meanwhile, if one did."""


@dataclass(frozen=True)
class SatelliteReport:
    """A context key: a satellite profile, a satellite Home Assistant named, or `default`."""

    key: str
    profile: SatelliteProfile | None
    turns: int
    history_bytes: int
    idle_seconds: float | None
    """Since its last reply; None when it has no history (or it expired)."""


@dataclass(frozen=True)
class Attribution:
    now: ResolvedContext
    later: LookAgain | None = None
    """For a reply nothing attributes yet, while the side channel is connected."""


class Satellites:
    """Attribution, history (and its file) and the Home Assistant side channel."""

    def __init__(self, sections: SatelliteSections, history_path: Path) -> None:
        """`history_path`: where the history is kept when `context.persist` is on."""
        context = sections.context
        self.profiles = sections.profiles
        self._default_key = context.default_key
        self._grace = sections.home_assistant.grace
        self.history = HistoryStore(context, on_commit=self._history_changed)
        self._file = (
            HistoryFile(self.history, history_path, context.save_delay) if context.persist else None
        )
        self.channel = _channel(sections.home_assistant)
        self._tasks: set[asyncio.Task[None]] = set()
        self._warned_of_cache = False

    def start(self) -> None:
        """Read the saved history and connect to Home Assistant (on the running loop)."""
        if self._file is not None:
            self._file.load()
        if self.channel is not None:
            self._spawn(self.channel.run())

    def stop(self) -> None:
        """Disconnect and save the history."""
        for task in self._tasks:
            task.cancel()
        if self._file is not None:
            self._file.close()

    def save(self) -> None:
        """Write the history now (if it is kept on disk); blocking."""
        if self._file is not None:
            self._file.save()

    def attribute(self, voice: str | None, context: Mapping[str, Any] | None) -> Attribution:
        """Who a request for `voice` with the event's `context` speaks for. A reply that
        nothing attributes may look again once: Home Assistant opens an announcement's TTS
        request before it sets the satellite to `responding`."""
        if voice is None and self.profiles and not self._warned_of_cache:
            self._warned_of_cache = True
            _LOGGER.warning(
                "Replies name no voice while satellite profiles are configured: Home "
                "Assistant may play one satellite's cached audio on another; pick each "
                "satellite's profile as the voice of its pipeline (README: satellites)"
            )
        channel = self.channel
        now = self._resolve(voice, context, channel.current() if channel else None)
        if now.source != "default" or channel is None or not channel.connected.is_set():
            return Attribution(now)
        mark = channel.tracker.mark()
        deadline = asyncio.get_running_loop().time() + self._grace

        async def look_again() -> ResolvedContext | None:
            assert channel is not None
            activity = await channel.replying_after(mark, deadline)
            return None if activity is None else self._resolve(voice, context, activity)

        return Attribution(now, look_again)

    def open(self, resolved: ResolvedContext) -> SpokenConversation:
        """The conversation of the satellite a reply speaks for."""
        return self.history.open(
            resolved.key, conversation_id=resolved.conversation_id, user_text=resolved.user_text
        )

    def report(self) -> tuple[SatelliteReport, ...]:
        """The profiles first (in configuration order), then the other keys with history;
        numbers, never what was said."""
        live = self.history.live()
        now = time.time()  # the history store's clock
        keys = [*self.profiles, *(key for key in reversed(live) if key not in self.profiles)]
        reports = []
        for key in keys:
            turns = tuple(live[key].turns) if key in live else ()
            reports.append(
                SatelliteReport(
                    key=key,
                    profile=self.profiles.get(key),
                    turns=len(turns),
                    history_bytes=sum(turn.nbytes for turn in turns),
                    idle_seconds=now - live[key].last_active if key in live else None,
                )
            )
        return tuple(reports)

    def _resolve(
        self,
        voice: str | None,
        context: Mapping[str, Any] | None,
        active: SatelliteActivity | None,
    ) -> ResolvedContext:
        return resolve_context(
            event_context=context,
            voice=voice,
            satellite=active,
            profiles=self.profiles,
            default_key=self._default_key,
        )

    def _history_changed(self) -> None:
        if self._file is not None:
            self._file.save_soon()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _channel(settings: HomeAssistantSettings) -> HomeAssistantChannel | None:
    """The side channel, when it is enabled and has somewhere to connect."""
    if not settings.enabled:
        return None
    endpoint = channel_endpoint(settings)
    if endpoint is None:
        _LOGGER.error("home_assistant is enabled but has no url and token (nor $SUPERVISOR_TOKEN)")
        return None
    url, token = endpoint
    if exposes_token(url):
        _LOGGER.warning(
            "home_assistant.url %s sends the access token unencrypted over the network; "
            "use wss:// (or a local address)",
            url,
        )
    return HomeAssistantChannel(settings, url, token)
