"""Pure routing: which engine and voice speak a request. No I/O, no state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .engines.base import EngineVoice


class UnknownVoice(LookupError):
    """The request names a voice no engine offers."""


@dataclass(frozen=True)
class Plan:
    """What to speak a reply with."""

    engine: str
    voice: str
    language: str
    speed: float


def plan_reply(
    requested_voice: str | None,
    *,
    default_voice: str,
    default_speed: float,
    voices: Mapping[str, EngineVoice],
) -> Plan:
    """Resolve the requested voice (or the default) to the engine that offers it."""
    name = requested_voice or default_voice
    voice = voices.get(name)
    if voice is None:
        raise UnknownVoice(name)
    return Plan(
        engine=voice.engine, voice=voice.name, language=voice.languages[0], speed=default_speed
    )
