"""What the connections share: the engines, their voices, Info and how a reply is opened."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from wyoming.info import Info
from wyoming.tts import SynthesizeVoice

from .backend import Backend
from .config import Config
from .engines.base import EngineVoice
from .info import build_info
from .router import UnknownVoice, plan_reply
from .scheduler import SchedulerBusy
from .session import ReplyFailed, ReplySession, SendEvent, StreamShape
from .text import TextPipeline

_LOGGER = logging.getLogger(__name__)


class TtsService:
    """Opens replies on the right backend; answers Describe."""

    def __init__(self, config: Config, backends: Iterable[Backend]) -> None:
        self.config = config
        self._backends = {backend.engine.name: backend for backend in backends}
        self._shape = StreamShape(chunk_ms=config.server.chunk_ms)

    @property
    def max_frame_bytes(self) -> int:
        return self.config.server.max_frame_bytes

    @property
    def max_text_chars(self) -> int:
        return self.config.server.max_text_chars

    def start(self) -> None:
        for backend in self._backends.values():
            backend.start_loading()

    def stop(self) -> None:
        for backend in self._backends.values():
            backend.stop()

    def voices(self, *, include_failed: bool = False) -> Mapping[str, EngineVoice]:
        """Voices of the engines that are loading or loaded; a failed engine's are hidden."""
        return {
            voice.name: voice
            for backend in self._backends.values()
            if include_failed or not backend.failed
            for voice in backend.engine.voices()
        }

    def info(self) -> Info:
        return build_info(self.voices().values())

    def open_reply(
        self,
        voice: SynthesizeVoice | None,
        context: Mapping[str, Any] | None,
        send: SendEvent,
    ) -> ReplySession:
        """Start a reply; raises ReplyFailed for an unknown voice or when too busy."""
        # A failed engine's voices still resolve, so the error says why it failed
        voices = self.voices(include_failed=True)
        try:
            plan = plan_reply(
                voice.name if voice else None,
                default_voice=self.config.defaults.voice,
                default_speed=self.config.defaults.speed,
                voices=voices,
            )
        except UnknownVoice as err:
            raise ReplyFailed(
                "unknown-voice",
                f"voice {err} is not available; send Describe to list the voices "
                f"(for example: {', '.join(sorted(voices)[:5])})",
            ) from err
        backend = self._backends[plan.engine]
        try:
            ticket = backend.scheduler.open_reply()
        except SchedulerBusy as err:
            raise ReplyFailed("busy", f"server busy, try again shortly: {err}") from err
        _LOGGER.debug("Reply with %s (context %s)", plan, context)
        return ReplySession(
            backend=backend,
            ticket=ticket,
            plan=plan,
            pipeline=TextPipeline(self.config.text, plan.language),
            send=send,
            shape=self._shape,
        )
