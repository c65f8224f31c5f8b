"""Config sections for routing: satellites, routing, context, home_assistant and remotes.

Kept apart from config.py (which only adds one field per section) so that the routing,
context and side-channel modules can import them without importing the whole config.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlparse

from .settings import ConfigError, bounded, choice

QUALITIES = ("fast", "conversational", "auto")
SUPERVISOR_URL = "ws://supervisor/core/websocket"


@dataclass(frozen=True)
class SatelliteProfile:
    """One satellite's voice settings; Info lists it as a voice named after the profile."""

    voice: str | None = None
    """The voice it speaks with (any engine's); unset: defaults.voice."""
    conversational_voice: str | None = None
    """A conversational (CSM) voice for the conversational and auto modes."""
    speed: float | None = bounded(None, 0.5, 2.0)
    quality: str | None = choice(None, *QUALITIES)  # type: ignore[arg-type]
    """fast, conversational or auto; unset: routing.quality."""
    language: str | None = None
    """The language Info lists the profile under; unset: the languages of its voice."""
    satellite_ids: tuple[str, ...] = ()
    """Ids that name this satellite in a request's context (satellite_id, device_id) or in
    Home Assistant (assist_satellite.kitchen_voice), so their history is this profile's."""


@dataclass(frozen=True)
class CircuitSettings:
    failures: int = bounded(3, 1, 100)
    """Failures within `window` seconds that open an engine's circuit."""
    window: float = bounded(60.0, 1.0, 3600.0)
    cooldown: float = bounded(30.0, 1.0, 3600.0)
    """Seconds an open circuit sends requests straight to the fallback; then one reply probes."""


@dataclass(frozen=True)
class RoutingSettings:
    quality: str = choice("auto", *QUALITIES)
    """fast: Kokoro; conversational: CSM when healthy (waits while it loads); auto: CSM
    when it is loaded and healthy, else Kokoro."""
    fallback_voice: str | None = None
    """The voice that speaks when a voice's engine is missing or failing; unset: defaults.voice."""
    conversational_voice: str | None = None
    """The conversational voice for requests that name no voice, in conversational/auto mode."""
    first_audio_timeout: float = bounded(8.0, 0.5, 600.0)
    """Seconds an engine may keep the listener waiting for a segment's audio before the
    fallback takes over (only where a fallback on another engine exists)."""
    auto_max_chars: int = bounded(400, 0, 1_000_000)
    """In auto mode, one-shot texts longer than this go to the fast engine; 0: no limit."""
    circuit: CircuitSettings = field(default_factory=CircuitSettings)


@dataclass(frozen=True)
class ContextSettings:
    max_turns: int = bounded(8, 0, 256)
    """Turns (a question and its reply) kept per satellite."""
    max_bytes: int = bounded(4 << 20, 0, 1 << 30)
    """Bytes of engine data (e.g. CSM audio codes) kept per satellite; oldest turns go first."""
    idle_timeout: float = bounded(300.0, 1.0, 7 * 86400.0)
    """Seconds of silence after which a satellite starts a new conversation."""
    max_keys: int = bounded(64, 1, 100_000)
    """Satellites (context keys) remembered; the least recently used is forgotten."""
    default_key: str = "default"
    """The key of requests that no source attributes to a satellite."""
    persist: bool = False
    """Keep the history in the data dir (context.json + context.npz) across restarts."""


@dataclass(frozen=True)
class HomeAssistantSettings:
    """The optional side channel: Home Assistant's websocket API, to see which satellite speaks."""

    enabled: bool = False
    url: str | None = None
    """ws://homeassistant.local:8123/api/websocket; unset: the Supervisor's URL in the add-on."""
    token: str | None = None
    """A long-lived access token; unset: $SUPERVISOR_TOKEN (the add-on)."""
    active_states: tuple[str, ...] = ("processing", "responding")
    """Satellite states in which a reply may be synthesized (streamed replies start while
    the satellite is still processing)."""
    reconnect_min: float = bounded(1.0, 0.1, 600.0)
    reconnect_max: float = bounded(60.0, 1.0, 3600.0)
    fetch_user_text: bool = True
    """Read the user's question and conversation id of the satellite's pipeline run (needs an
    administrator's token: assist_pipeline/pipeline_debug)."""


@dataclass(frozen=True)
class RemoteSettings:
    """Another Wyoming TTS server used as an engine (e.g. a GPU box serving several homes)."""

    uri: str = ""
    """tcp://gpu-box:10200"""
    timeout: float = bounded(10.0, 0.5, 600.0)
    """Seconds to connect and between two events of a reply."""
    prefix: str | None = None
    """Put before the remote's voice names in Info; unset: "<name>." ("" keeps them as-is)."""
    voices: tuple[str, ...] = ()
    """The remote voices to offer (unprefixed); empty: all. Listed ones stay requestable
    (and fall back) while the remote is unreachable."""
    languages: tuple[str, ...] = ("en-US",)
    """Languages of listed voices until the remote's Info tells."""
    conversational: bool = False
    """Its voices depend on the conversation (a remote CSM): chosen by the conversational and
    auto modes, and never taken from the phrase cache."""
    workers: int = bounded(2, 1, 64)
    """Segments synthesized on the remote at once."""
    refresh: float = bounded(30.0, 1.0, 86400.0)
    """Seconds between Describe calls that refresh its voices and check its health."""
    home: str | None = None
    """Sent with each context key, so that homes sharing the remote keep their histories
    apart; unset: this machine's host name (set it where add-ons of several homes share one)."""

    def __post_init__(self) -> None:
        if remote_address(self.uri) is None:
            raise ConfigError(
                f"config key 'remotes': a uri must look like tcp://HOST:PORT, got {self.uri!r}"
            )


def remote_address(uri: str) -> tuple[str, int] | None:
    """(host, port) of a tcp:// URI, or None."""
    try:
        parsed = urlparse(uri)
        port = parsed.port
    except ValueError:
        return None
    if parsed.scheme != "tcp" or not parsed.hostname or port is None:
        return None
    return parsed.hostname, port


def no_profiles() -> Mapping[str, SatelliteProfile]:
    return types.MappingProxyType({})


def no_remotes() -> Mapping[str, RemoteSettings]:
    return types.MappingProxyType({})
