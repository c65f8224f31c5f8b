"""The sections that shape a reply: `defaults:`, `routing:`, `replies:` and `cache:`."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..satellites.settings import QUALITIES, Quality
from ..schema import bounded, choice

SPEEDS = (0.5, 2.0)
"""The slowest and the fastest speed a reply or a part of one (SSML prosody) is spoken at."""


@dataclass(frozen=True)
class VoiceDefaults:
    voice: str = "af_heart"
    speed: float = bounded(1.0, *SPEEDS)


@dataclass(frozen=True)
class CircuitSettings:
    failures: int = bounded(3, 1, 100)
    """Failures within `window` seconds that open an engine's circuit."""
    window: float = bounded(60.0, 1.0, 3600.0)
    cooldown: float = bounded(30.0, 1.0, 3600.0)
    """Seconds an open circuit sends requests straight to the fallback; then one reply probes."""


@dataclass(frozen=True)
class RoutingSettings:
    quality: str = choice(Quality.AUTO.value, *QUALITIES)
    """fast: Kokoro; conversational: CSM when healthy (waits while it loads); auto: CSM
    when it is loaded and healthy, else Kokoro."""
    fallback_voice: str | None = None
    """The voice that speaks when a voice's engine is missing or failing; unset: defaults.voice."""
    conversational_voice: str | None = None
    """The conversational voice for requests that name no voice, in conversational/auto mode."""
    first_audio_timeout: float = bounded(8.0, 0.5, 600.0)
    """Seconds an engine that started a segment may keep the listener waiting for its audio
    before the fallback takes over (or, with none left, the reply fails with "timeout")."""
    max_rtf: float = bounded(3.0, 0.5, 100.0)
    """With no other engine left to take over, an engine gets first_audio_timeout plus this
    many times a segment's expected duration: Kokoro speaks a segment in one block, so a
    long one on a busy CPU is slow, not stuck."""
    queue_timeout: float = bounded(60.0, 1.0, 3600.0)
    """Seconds a needed segment may wait for a free worker or a loading engine; that is load,
    not failure: the engine's circuit breaker does not count it."""
    retry_pause: float = bounded(0.2, 0.0, 3.0)
    """Silence between a segment cut off by a failing engine and its repetition by the next."""
    auto_max_chars: int = bounded(400, 0, 1_000_000)
    """In auto mode, one-shot texts longer than this go to the fast engine; 0: no limit."""
    circuit: CircuitSettings = field(default_factory=CircuitSettings)


@dataclass(frozen=True)
class CacheSettings:
    max_mb: int = bounded(16, 0, 65536)
    """Audio of recent phrases kept for instant repeats; 0 turns the cache off."""


@dataclass(frozen=True)
class ReplySettings:
    """The `replies:` section: how many replies at once, how far ahead they are made."""

    max_per_engine: int = bounded(16, 1, 1000)
    """Replies in progress per engine; one more gets a "busy" error instead of an endless queue."""
    read_ahead: float = bounded(30.0, 1.0, 3600.0)
    """Seconds of audio synthesized at most beyond what a client has taken."""
    unhealthy_after: float = bounded(120.0, 1.0, 86_400.0)
    """Seconds every reply slot of an engine may stay taken before the health check fails."""
