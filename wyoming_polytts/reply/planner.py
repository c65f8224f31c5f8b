"""Pure planning: which engines and voices speak a request, in order of preference.

No I/O and no state: the service passes what it knows (voices, engine health, profiles)
and gets a plan whose first choice speaks and whose other choices take over, in order,
when an engine fails during the reply.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..engines.base import EngineVoice
from ..engines.errors import BadVoice
from ..satellites.settings import Quality, SatelliteProfile
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
class VoiceRequest:
    voice: str | None
    """The voice name the request carries: an engine's voice or a satellite profile."""
    context_key: str = "default"
    quality: Quality | None = None
    """Overrides the profile's and the configured quality mode."""
    text_length: int | None = None
    """Characters of a one-shot text; None while streaming (unknown)."""
    speed: float | None = None
    """Overrides the profile's and the default speed."""


@dataclass(frozen=True)
class VoiceChoice:
    """An engine, the voice it speaks with and the language."""

    engine: str
    voice: str
    language: str


@dataclass(frozen=True)
class VoicePlan:
    """What to speak a reply with: the first choice, then its fallbacks."""

    engine: str
    voice: str
    language: str
    speed: float
    fallbacks: tuple[VoiceChoice, ...] = ()
    profile: str | None = None
    notes: tuple[str, ...] = ()
    """Why the plan differs from the request (for the log)."""

    @property
    def choices(self) -> tuple[VoiceChoice, ...]:
        return (VoiceChoice(self.engine, self.voice, self.language), *self.fallbacks)


def plan_voices(
    request: VoiceRequest,
    *,
    find_voice: FindVoice,
    engines: Mapping[str, EngineStatus],
    routing: RoutingSettings,
    default_voice: str,
    default_speed: float,
    profiles: Mapping[str, SatelliteProfile],
) -> VoicePlan:
    """Resolve the request to an ordered plan; raises UnknownVoice for a voice nobody offers,
    BadVoice for a requested voice an engine reads but cannot speak.

    `find_voice` knows every voice, also those of absent or failed engines; `engines`
    the state of each engine (missing: absent).
    """
    profile_name = _profile_name(request, profiles, default_voice)
    profile = profiles.get(profile_name) if profile_name else None
    known = _Known(find_voice)
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
    quality = Quality(request.quality or (profile.quality if profile else None) or routing.quality)

    def status(voice: EngineVoice) -> EngineStatus:
        return engines.get(voice.engine, EngineStatus(EngineState.ABSENT))

    talk = chosen if chosen is not None and status(chosen).conversational else extra
    fast = chosen if chosen is not None and not status(chosen).conversational else None
    if talk is not None and not _conversation_wanted(quality, request.text_length, routing):
        if talk is chosen:
            known.notes.append(
                f"{talk.name} is conversational; {quality} mode speaks with the fallback"
            )
        talk = None
    fallback = known(routing.fallback_voice or default_voice, "fallback voice")
    candidates = [voice for voice in (talk, fast, fallback) if voice is not None]
    if not candidates:
        raise UnknownVoice(request.voice or default_voice)
    choices = _choices(candidates, status, quality, profile, known.notes)
    first = choices[0]
    if chosen is not None and first.voice not in (chosen.name, candidates[0].name):
        known.notes.append(f"speaking with {first.voice} ({first.engine}) instead of {chosen.name}")
    return VoicePlan(
        engine=first.engine,
        voice=first.voice,
        language=first.language,
        speed=request.speed or (profile.speed if profile else None) or default_speed,
        fallbacks=tuple(choices[1:]),
        profile=profile_name,
        notes=tuple(known.notes),
    )


class _Known:
    """Looks voices up for the plan, noting why a configured one cannot be used."""

    def __init__(self, find_voice: FindVoice) -> None:
        self._find_voice = find_voice
        self.notes: list[str] = []

    def __call__(self, name: str | None, what: str) -> EngineVoice | None:
        try:
            voice = self._find_voice(name) if name else None
        except BadVoice as err:
            self.notes.append(f"{what}: {err}")
            return None
        if name and voice is None:
            self.notes.append(f"{what} {name} is not offered by any engine")
        return voice


def _conversation_wanted(
    quality: Quality, text_length: int | None, routing: RoutingSettings
) -> bool:
    """Whether a conversational voice may speak: not in fast mode, and in auto mode not a
    one-shot text longer than routing.auto_max_chars."""
    if quality is Quality.FAST:
        return False
    too_long = (
        quality is Quality.AUTO
        and routing.auto_max_chars > 0
        and text_length is not None
        and text_length > routing.auto_max_chars
    )
    return not too_long


def _choices(
    candidates: list[EngineVoice],
    status: Callable[[EngineVoice], EngineStatus],
    quality: Quality,
    profile: SatelliteProfile | None,
    notes: list[str],
) -> list[VoiceChoice]:
    """The candidates whose engines can speak now, one per engine, in order."""
    choices: list[VoiceChoice] = []
    for voice in candidates:
        engine = status(voice)
        if not _usable(engine, quality):
            notes.append(f"{voice.name} is not used: {voice.engine} is {engine.state.value}")
        elif all(choice.engine != voice.engine for choice in choices):
            choices.append(_choice(voice, profile))
    if not choices:
        # Nothing can speak: keep the first choice so that the reply reports its engine's error
        choices.append(_choice(candidates[0], profile))
    return choices


def _usable(engine: EngineStatus, quality: Quality) -> bool:
    if engine.state is EngineState.READY:
        return True
    if engine.state is EngineState.LOADING:
        # Requests wait for a fast engine that loads; for a conversational one only when
        # the conversational mode insists on it (auto takes the fast engine meanwhile)
        return not engine.conversational or quality is Quality.CONVERSATIONAL
    return False


def _profile_name(
    request: VoiceRequest, profiles: Mapping[str, SatelliteProfile], default_voice: str
) -> str | None:
    """The voice names a profile; without a voice, the context key or the default voice may."""
    if request.voice is not None:
        return request.voice if request.voice in profiles else None
    for name in (request.context_key, default_voice):
        if name in profiles:
            return name
    return None


def _choice(voice: EngineVoice, profile: SatelliteProfile | None) -> VoiceChoice:
    language = (profile.language if profile else None) or voice.languages[0]
    return VoiceChoice(voice.engine, voice.name, language)


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
