"""Pure routing: which engines and voices speak a request, in order of preference.

No I/O and no state: the service passes what it knows (voices, engine health, profiles)
and gets a plan whose first route speaks and whose other routes take over, in order,
when an engine fails during the reply.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..engines.base import EngineVoice
from ..engines.errors import BadVoice
from ..satellites.settings import SatelliteProfile
from .settings import RoutingSettings


class UnknownVoice(LookupError):
    """The request names a voice no engine offers."""


FindVoice = Callable[[str], EngineVoice | None]
"""The voice a name means, offered or understood by an engine (e.g. a mapping's `get`); may
raise BadVoice for a name an engine reads but cannot speak (a bad blend)."""


class EngineState(enum.Enum):
    READY = "ready"
    LOADING = "loading"
    FAILED = "failed"
    """Its model could not be loaded."""
    OPEN = "open"
    """Its circuit is open: it failed too often lately."""
    ABSENT = "absent"
    """Not running in this configuration (e.g. CSM on a machine without a GPU)."""


@dataclass(frozen=True)
class EngineStatus:
    state: EngineState
    conversational: bool = False
    """Its speech depends on the conversation (CSM): what the conversational mode asks for."""


@dataclass(frozen=True)
class RouteRequest:
    voice: str | None
    """The voice name the request carries: an engine's voice or a satellite profile."""
    context_key: str = "default"
    quality: str | None = None
    """Overrides the profile's and the configured quality mode."""
    text_length: int | None = None
    """Characters of a one-shot text; None while streaming (unknown)."""


@dataclass(frozen=True)
class Route:
    engine: str
    voice: str
    language: str


@dataclass(frozen=True)
class Plan:
    """What to speak a reply with: the first route, then its fallbacks."""

    engine: str
    voice: str
    language: str
    speed: float
    fallbacks: tuple[Route, ...] = ()
    profile: str | None = None
    notes: tuple[str, ...] = ()
    """Why the plan differs from the request (for the log)."""

    @property
    def routes(self) -> tuple[Route, ...]:
        return (Route(self.engine, self.voice, self.language), *self.fallbacks)


def plan_reply(
    request: RouteRequest,
    *,
    find_voice: FindVoice,
    engines: Mapping[str, EngineStatus],
    routing: RoutingSettings,
    default_voice: str,
    default_speed: float,
    profiles: Mapping[str, SatelliteProfile],
) -> Plan:
    """Resolve the request to an ordered plan; raises UnknownVoice for a voice nobody offers,
    BadVoice for a requested voice an engine reads but cannot speak.

    `find_voice` knows every voice, also those of absent or failed engines; `engines`
    the state of each engine (missing: absent).
    """
    profile_name = _profile_name(request, profiles, default_voice)
    profile = profiles.get(profile_name) if profile_name else None
    notes: list[str] = []

    def known(name: str | None, what: str) -> EngineVoice | None:
        try:
            voice = find_voice(name) if name else None
        except BadVoice as err:
            notes.append(f"{what}: {err}")
            return None
        if name and voice is None:
            notes.append(f"{what} {name} is not offered by any engine")
        return voice

    if profile is not None:
        chosen = known(profile.voice or default_voice, f"profile {profile_name}'s voice")
        extra = known(profile.conversational_voice, f"profile {profile_name}'s voice")
    elif request.voice is not None:
        chosen, extra = find_voice(request.voice), None
        if chosen is None:
            raise UnknownVoice(request.voice)
    else:
        chosen = known(default_voice, "default voice")
        extra = known(routing.conversational_voice, "routing.conversational_voice")
    quality = request.quality or (profile.quality if profile else None) or routing.quality
    speed = (profile.speed if profile else None) or default_speed

    def status(voice: EngineVoice) -> EngineStatus:
        return engines.get(voice.engine, EngineStatus(EngineState.ABSENT))

    talk = chosen if chosen is not None and status(chosen).conversational else extra
    fast = chosen if chosen is not None and not status(chosen).conversational else None
    too_long = (
        quality == "auto"
        and routing.auto_max_chars > 0
        and request.text_length is not None
        and request.text_length > routing.auto_max_chars
    )
    if talk is not None and (quality == "fast" or too_long):
        if talk is chosen:
            notes.append(f"{talk.name} is conversational; {quality} mode speaks with the fallback")
        talk = None
    fallback = known(routing.fallback_voice or default_voice, "fallback voice")
    candidates = [voice for voice in (talk, fast, fallback) if voice is not None]
    if not candidates:
        raise UnknownVoice(request.voice or default_voice)

    routes: list[Route] = []
    for voice in candidates:
        engine = status(voice)
        if not _usable(engine, quality):
            notes.append(f"{voice.name} is not used: {voice.engine} is {engine.state.value}")
        elif all(route.engine != voice.engine for route in routes):
            routes.append(_route(voice, profile))
    if not routes:
        # Nothing can speak: keep the first choice so that the reply reports its engine's error
        routes.append(_route(candidates[0], profile))
    first = routes[0]
    if chosen is not None and first.voice not in (chosen.name, candidates[0].name):
        notes.append(f"speaking with {first.voice} ({first.engine}) instead of {chosen.name}")
    return Plan(
        engine=first.engine,
        voice=first.voice,
        language=first.language,
        speed=speed,
        fallbacks=tuple(routes[1:]),
        profile=profile_name,
        notes=tuple(notes),
    )


def _usable(engine: EngineStatus, quality: str) -> bool:
    if engine.state is EngineState.READY:
        return True
    if engine.state is EngineState.LOADING:
        # Requests wait for a fast engine that loads; for a conversational one only when
        # the conversational mode insists on it (auto takes the fast engine meanwhile)
        return not engine.conversational or quality == "conversational"
    return False


def _profile_name(
    request: RouteRequest, profiles: Mapping[str, SatelliteProfile], default_voice: str
) -> str | None:
    """The voice names a profile; without a voice, the context key or the default voice may."""
    if request.voice is not None:
        return request.voice if request.voice in profiles else None
    for name in (request.context_key, default_voice):
        if name in profiles:
            return name
    return None


def _route(voice: EngineVoice, profile: SatelliteProfile | None) -> Route:
    language = (profile.language if profile else None) or voice.languages[0]
    return Route(voice.engine, voice.name, language)


def profile_voice(
    name: str,
    profile: SatelliteProfile,
    find_voice: FindVoice,
    default_voice: str,
) -> EngineVoice:
    """How Info lists a satellite profile: as a voice with its base voice's languages."""
    base = find_voice(profile.voice or default_voice)
    languages = (profile.language,) if profile.language else (base.languages if base else ())
    speed = f" at {profile.speed}x" if profile.speed else ""
    described = profile.voice or default_voice
    if profile.conversational_voice:
        described += f" / {profile.conversational_voice}"
    return EngineVoice(
        name=name,
        languages=languages or ("en-US",),
        description=f"Satellite {name}: {described}{speed}",
        engine=base.engine if base else "profile",
        credit=base.credit if base else None,
    )
