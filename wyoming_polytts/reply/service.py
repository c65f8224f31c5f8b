"""What the connections share: engines, their health, voices, satellites' history.

Opening a reply: resolve the satellite (context key), plan the engines (router), open
that satellite's conversation, and start a session with the plan's lanes.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Coroutine, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..config import Config
from ..engines.base import EngineVoice
from ..engines.errors import BadVoice
from ..satellites.ha_channel import HomeAssistantChannel, channel_endpoint, exposes_token
from ..satellites.history import HistoryStore
from ..satellites.history_file import HistoryFile
from ..satellites.keys import ResolvedContext, resolve_context
from ..satellites.settings import QUALITIES
from ..satellites.tracker import SatelliteActivity
from ..schema import did_you_mean
from ..text import TextPipeline
from .audio import AudioSink
from .backend import Backend
from .circuit import HealthBoard
from .lane import Lane, Routing
from .router import (
    EngineState,
    EngineStatus,
    RouteRequest,
    UnknownVoice,
    plan_reply,
    profile_voice,
)
from .session import ReplyFailed, ReplyLimits, ReplySession
from .stats import ReplyRecorder
from .status import ServerStatus, server_status

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Request:
    """What a client asked for when it opened a reply."""

    voice: str | None
    context: Mapping[str, Any] | None
    text_length: int | None
    text_format: str | None


SHUTDOWN_MESSAGE = "the server is shutting down; try again shortly"


class TtsService:
    """Opens replies on the right engines; answers Describe."""

    def __init__(
        self,
        config: Config,
        backends: Iterable[Backend],
        dormant: Iterable[EngineVoice] = (),
    ) -> None:
        """`dormant`: voices of engines that are off (requests for them fall back)."""
        self.config = config
        self._backends = {backend.engine.name: backend for backend in backends}
        self.dormant_voices = tuple(dormant)
        self.health = HealthBoard(config.routing.circuit)
        self.stats = ReplyRecorder()
        """Where the handlers and sessions report what they do (for the status page)."""
        self.history = HistoryStore(config.context, on_commit=self._history_changed)
        self._history_file = (
            HistoryFile(
                self.history, config.download_dir / config.context.file, config.context.save_delay
            )
            if config.context.persist
            else None
        )
        endpoint = channel_endpoint(config.home_assistant)
        self.channel = (
            HomeAssistantChannel(config.home_assistant, *endpoint)
            if config.home_assistant.enabled and endpoint
            else None
        )
        if config.home_assistant.enabled and not endpoint:
            _LOGGER.error(
                "home_assistant is enabled but has no url and token (nor $SUPERVISOR_TOKEN)"
            )
        if self.channel is not None and endpoint and exposes_token(endpoint[0]):
            _LOGGER.warning(
                "home_assistant.url %s sends the access token unencrypted over the network; "
                "use wss:// (or a local address)",
                endpoint[0],
            )
        self._tasks: set[asyncio.Task[None]] = set()
        self._warned_of_cache = False
        self._accepting = True
        self._limits = ReplyLimits(
            first_audio_timeout=config.routing.first_audio_timeout,
            max_rtf=config.routing.max_rtf,
            queue_timeout=config.routing.queue_timeout,
            retry_pause=config.routing.retry_pause,
            read_ahead=config.server.read_ahead,
        )

    @property
    def backends(self) -> Mapping[str, Backend]:
        """Each engine's backend, by engine name."""
        return self._backends

    def start(self) -> None:
        for backend in self._backends.values():
            backend.start_loading()
        if self._history_file is not None:
            self._history_file.load()
        if self.channel is not None:
            self._spawn(self.channel.run())
        self._warn_about_profiles()

    def stop(self, timeout: float = 0.0) -> bool:
        """Save the history and stop the engines (waiting up to `timeout` s for workers);
        whether every engine has stopped working."""
        for task in self._tasks:
            task.cancel()
        if self._history_file is not None:
            self._history_file.close()
        stopped = [backend.stop(timeout) for backend in self._backends.values()]
        return all(stopped)

    def save_history(self) -> None:
        """Write the history now (if it is kept on disk); blocking."""
        if self._history_file is not None:
            self._history_file.save()

    def problems(self) -> list[str]:
        """Why the server cannot serve, if it cannot (for the health check); [] when healthy."""
        found = []
        for name, backend in self._backends.items():
            scheduler = backend.scheduler
            if backend.ready and scheduler.workers_alive < backend.engine.concurrency:
                alive, wanted = scheduler.workers_alive, backend.engine.concurrency
                found.append(f"{name}: {alive} of {wanted} workers alive")
            full_for = scheduler.clock() - (scheduler.full_since or scheduler.clock())
            if full_for > self.config.server.unhealthy_after:
                found.append(f"{name}: every reply slot has been taken for {full_for:.0f} s")
        return found

    def _history_changed(self) -> None:
        if self._history_file is not None:
            self._history_file.save_soon()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def voices(self, *, include_failed: bool = False) -> Mapping[str, EngineVoice]:
        """Voices of the engines that are loading or loaded; a failed engine's are hidden."""
        return {
            voice.name: voice
            for backend in self._backends.values()
            if include_failed or not backend.failed
            for voice in backend.engine.voices()
        }

    def known_voices(self) -> Mapping[str, EngineVoice]:
        """Every voice offered: also those of failed and dormant engines."""
        return {**{v.name: v for v in self.dormant_voices}, **self.voices(include_failed=True)}

    def find_voice(self, name: str) -> EngineVoice | None:
        """The voice a request's name means: an offered one, or one an engine understands.
        Raises BadVoice when an engine reads the name but cannot speak it (a bad blend)."""
        offered = self.known_voices().get(name)
        if offered is not None:
            return offered
        problem: BadVoice | None = None
        for backend in self._backends.values():
            try:
                voice = backend.engine.find_voice(name)
            except BadVoice as err:
                problem = problem or err
                continue
            if voice is not None:
                return voice
        if problem is not None:
            raise problem
        return None

    def profile_voices(self) -> list[EngineVoice]:
        """The satellite profiles, as Info lists them."""
        return [
            profile_voice(name, profile, self.find_voice, self.config.defaults.voice)
            for name, profile in self.config.satellites.items()
        ]

    def listed_voices(self) -> list[EngineVoice]:
        """What Info lists: the engines' voices and the satellite profiles (which win a name)."""
        profiles = self.profile_voices()
        names = {voice.name for voice in profiles}
        engine_voices = [v for v in self.voices().values() if v.name not in names]
        return [*engine_voices, *profiles]

    def engine_statuses(self) -> dict[str, EngineStatus]:
        statuses = {}
        for name, backend in self._backends.items():
            if backend.failed:
                state = EngineState.FAILED
            elif not self.health[name].available():
                state = EngineState.OPEN
            else:
                state = EngineState.READY if backend.ready else EngineState.LOADING
            # An engine whose speech depends on the conversation is what "conversational" wants
            statuses[name] = EngineStatus(state, conversational=not backend.engine.cacheable)
        return statuses

    def status(self) -> ServerStatus:
        """What the engines, replies, cache and satellites are doing; numbers, never text."""
        return server_status(
            backends=self._backends.values(),
            states=self.engine_statuses(),
            health=self.health,
            history=self.history,
            profiles=self.config.satellites,
            activity=self.stats.snapshot(),
        )

    def stop_accepting(self) -> None:
        """From now on new replies (Wyoming's and previews) are refused with `unavailable`:
        the server is stopping, and those in progress may finish."""
        self._accepting = False

    def open_reply(
        self,
        name: str | None,
        context: Mapping[str, Any] | None,
        sink: AudioSink,
        *,
        text_length: int | None = None,
        text_format: str | None = None,
    ) -> ReplySession:
        """Start a reply with voice `name`; raises ReplyFailed for an unknown voice or when
        too busy. `text_length`: the length of a one-shot text (None while streaming);
        `text_format`: the request's ("ssml", or markdown).

        The satellite is the one replying now. When none is (Home Assistant opens an
        announcement's TTS request before it sets the satellite to `responding`), the reply
        looks again just before its text is cut, after `attribution_grace` seconds.
        """
        if not self._accepting:
            raise ReplyFailed("unavailable", SHUTDOWN_MESSAGE)
        request = _Request(name, context, text_length, text_format)
        active = self.channel.current() if self.channel else None
        resolved = self._resolve(request, active)
        if name is None and self.config.satellites and not self._warned_of_cache:
            self._warned_of_cache = True
            _LOGGER.warning(
                "Replies name no voice while satellite profiles are configured: Home "
                "Assistant may play one satellite's cached audio on another; pick each "
                "satellite's profile as the voice of its pipeline (README: satellites)"
            )
        reattribute = None
        if resolved.source == "default" and self.channel and self.channel.connected.is_set():
            mark = self.channel.tracker.mark()
            deadline = asyncio.get_running_loop().time() + self.config.home_assistant.grace
            reattribute = functools.partial(self._reattribute, request, mark, deadline)
        routing = self._routing(request, resolved)
        session = ReplySession(
            routing=routing,
            sink=sink,
            health=self.health,
            limits=self._limits,
            stats=self.stats,
            reattribute=reattribute,
        )
        self.health[routing.plan.engine].begin()
        return session

    def _resolve(self, request: _Request, active: SatelliteActivity | None) -> ResolvedContext:
        return resolve_context(
            event_context=request.context,
            voice=request.voice,
            satellite=active,
            profiles=self.config.satellites,
            default_key=self.config.context.default_key,
        )

    async def _reattribute(self, request: _Request, mark: int, deadline: float) -> Routing | None:
        """The routing of the one satellite that turned active since the reply opened."""
        assert self.channel is not None
        activity = await self.channel.replying_after(mark, deadline)
        if activity is None:
            return None
        resolved = self._resolve(request, activity)
        _LOGGER.debug("Reply attributed to %s after it opened", resolved.key)
        return self._routing(request, resolved)

    def _routing(self, request: _Request, resolved: ResolvedContext) -> Routing:
        """Plan the engines, open the satellite's conversation; raises ReplyFailed."""
        # A client may ask for a quality mode in the context; Home Assistant never does
        quality = (request.context or {}).get("quality")
        try:
            plan = plan_reply(
                RouteRequest(
                    request.voice,
                    resolved.key,
                    quality=quality if quality in QUALITIES else None,
                    text_length=request.text_length,
                ),
                find_voice=self.find_voice,
                engines=self.engine_statuses(),
                routing=self.config.routing,
                default_voice=self.config.defaults.voice,
                default_speed=self.config.defaults.speed,
                profiles=self.config.satellites,
            )
        except BadVoice as err:
            raise ReplyFailed("bad-voice", str(err)) from err
        except UnknownVoice as err:
            name = str(err)
            offered = (v.name for v in (*self.voices().values(), *self.profile_voices()))
            raise ReplyFailed(
                "unknown-voice",
                f"voice {name} is not available; {did_you_mean(name, offered)} "
                "(send Describe to list the voices)",
            ) from err
        for note in plan.notes:
            _LOGGER.info("Reply for %s: %s", resolved.key, note)
        if plan.engine not in self._backends:
            raise ReplyFailed(
                "engine-unavailable",
                f"voice {plan.voice} needs {plan.engine}, which is not running here, "
                "and no fallback voice can speak (see routing.fallback_voice)",
            )
        _LOGGER.debug("Reply for %s (%s): %s", resolved.key, resolved.source, plan)
        return Routing(
            plan=plan,
            lanes=[Lane(route, self._backends[route.engine]) for route in plan.routes],
            pipeline=TextPipeline(
                self.config.text,
                plan.language,
                request.text_format,
                voice_language=functools.partial(self._switchable_voice, plan.engine),
            ),
            conversation=self.history.open(
                resolved.key, conversation_id=resolved.conversation_id, user_text=resolved.user_text
            ),
        )

    def _voice_or_none(self, name: str) -> EngineVoice | None:
        """The voice `name` means; None also for a name no engine can speak (a bad blend)."""
        try:
            return self.find_voice(name)
        except BadVoice:
            return None

    def _switchable_voice(self, engine: str, name: str) -> str | None:
        """The language of voice `name` if a reply on `engine` may switch to it (SSML)."""
        voice = self._voice_or_none(name)
        return voice.languages[0] if voice is not None and voice.engine == engine else None

    def _warn_about_profiles(self) -> None:
        # Their voices are checked at start-up (startup_checks); a profile's name is free
        # text, which an engine may read as a voice ("Kitchen (main)" as a Kokoro blend)
        for name in self.config.satellites:
            if self._voice_or_none(name) is not None:
                _LOGGER.warning("Satellite profile %s hides the voice of the same name", name)
