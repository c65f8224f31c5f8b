"""Opening replies: the front door of `reply/` for the Wyoming handler and the web side.

Opening a reply: ask the satellites who it speaks for, plan its voices (planner), open that
satellite's conversation, and start a session on the plan's lanes. The parts it uses are
built by the composition root (`app.py`) and handed in.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..engines.errors import BadVoice
from ..satellites.front_door import LookAgain, ResolvedContext, Satellites
from ..satellites.settings import QUALITIES, Quality
from ..text import TextPipeline
from ..text.settings import TextSettings
from .activity import ReplyRecorder
from .audio import AudioSink
from .backend import Backends
from .errors import ReplyFailed
from .lane import Lane, ReplyLimits, ReplySetup
from .mute import mute_problem
from .planner import UnknownVoice, VoiceRequest, plan_voices
from .session import ReplySession
from .settings import ReplySettings, RoutingSettings, VoiceDefaults
from .status import ServerStatus, server_status
from .voices import VoiceCatalogue

_LOGGER = logging.getLogger(__name__)

SHUTDOWN_MESSAGE = "the server is shutting down; try again shortly"


@dataclass(frozen=True)
class ReplySections:
    """The configuration's sections that shape how a reply is opened and spoken."""

    defaults: VoiceDefaults
    routing: RoutingSettings
    replies: ReplySettings
    text: TextSettings


@dataclass(frozen=True)
class _Request:
    """What a client asked for when it opened a reply."""

    voice: str | None
    context: Mapping[str, Any] | None
    text_length: int | None
    text_format: str | None
    speed: float | None

    @property
    def quality(self) -> Quality | None:
        # A client may ask for a quality mode in the context; Home Assistant never does
        quality = (self.context or {}).get("quality")
        return Quality(quality) if quality in QUALITIES else None


class TtsService:
    """Opens replies on the right engines; what Describe, the status page and the health
    check read."""

    def __init__(
        self,
        backends: Backends,
        voices: VoiceCatalogue,
        satellites: Satellites,
        sections: ReplySections,
    ) -> None:
        self.backends = backends
        self.voices = voices
        self.satellites = satellites
        self.recorder = ReplyRecorder()
        """Where the handlers and sessions report what they do (for the status page)."""
        self._sections = sections
        self._accepting = True
        routing = sections.routing
        self._limits = ReplyLimits(
            first_audio_timeout=routing.first_audio_timeout,
            max_rtf=routing.max_rtf,
            queue_timeout=routing.queue_timeout,
            retry_pause=routing.retry_pause,
            read_ahead=sections.replies.read_ahead,
        )

    def problems(self) -> list[str]:
        """Why the server cannot serve, if it cannot (for the health check); [] when healthy."""
        found = self.backends.problems(self._sections.replies.unhealthy_after)
        if mute := mute_problem(self.backends.values()):
            found.append(mute)
        return found

    def status(self) -> ServerStatus:
        """What the engines, replies, cache and satellites are doing; numbers, never text."""
        return server_status(
            backends=self.backends.values(),
            states=self.backends.statuses(),
            health=self.backends.health,
            satellites=self.satellites.report(),
            activity=self.recorder.snapshot(),
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
        speed: float | None = None,
    ) -> ReplySession:
        """Start a reply with voice `name`; raises ReplyFailed for an unknown voice or when
        too busy. `text_length`: the length of a one-shot text (None while streaming);
        `text_format`: the request's ("ssml", or markdown); `speed`: the request's, in place
        of the profile's or the default.

        The satellite is the one replying now. When none is, the reply may look again just
        before its text is cut (see Satellites.attribute).
        """
        if not self._accepting:
            raise ReplyFailed("unavailable", SHUTDOWN_MESSAGE)
        request = _Request(name, context, text_length, text_format, speed)
        attribution = self.satellites.attribute(name, context)
        setup = self._setup(request, attribution.now)
        later = attribution.later
        session = ReplySession(
            setup=setup,
            sink=sink,
            health=self.backends.health,
            limits=self._limits,
            recorder=self.recorder,
            reattribute=(lambda: self._reattribute(request, later)) if later else None,
        )
        self.backends.health[setup.plan.engine].begin()
        return session

    async def _reattribute(self, request: _Request, look_again: LookAgain) -> ReplySetup | None:
        """The setup of the one satellite that turned active since the reply opened."""
        resolved = await look_again()
        if resolved is None:
            return None
        _LOGGER.debug("Reply attributed to %s after it opened", resolved.key)
        return self._setup(request, resolved)

    def _setup(self, request: _Request, resolved: ResolvedContext) -> ReplySetup:
        """Plan the voices, open the satellite's conversation; raises ReplyFailed."""
        try:
            plan = plan_voices(
                VoiceRequest(
                    request.voice,
                    resolved.key,
                    quality=request.quality,
                    text_length=request.text_length,
                    speed=request.speed,
                ),
                find_voice=self.voices.find_requested,
                engines=self.backends.statuses(),
                routing=self._sections.routing,
                default_voice=self._sections.defaults.voice,
                default_speed=self._sections.defaults.speed,
                profiles=self.satellites.profiles,
            )
        except BadVoice as err:
            raise ReplyFailed("bad-voice", str(err)) from err
        except UnknownVoice as err:
            raise ReplyFailed("unknown-voice", self.voices.unknown(str(err))) from err
        for note in plan.notes:
            _LOGGER.info("Reply for %s: %s", resolved.key, note)
        if plan.engine not in self.backends:
            raise ReplyFailed(
                "engine-unavailable",
                f"voice {plan.voice} needs {plan.engine}, which is not running here, "
                "and no fallback voice can speak (see routing.fallback_voice)",
            )
        _LOGGER.debug("Reply for %s (%s): %s", resolved.key, resolved.source, plan)
        return ReplySetup(
            plan=plan,
            lanes=[Lane(choice, self.backends[choice.engine]) for choice in plan.choices],
            pipeline=TextPipeline(
                self._sections.text,
                plan.language,
                request.text_format,
                voice_language=lambda name: self.voices.switchable_language(plan.engine, name),
            ),
            conversation=self.satellites.open(resolved),
        )
