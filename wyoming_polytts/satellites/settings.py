"""The sections about satellites: `satellites:` (profiles), `context:` and `home_assistant:`."""

from __future__ import annotations

import enum
import types
from collections.abc import Mapping
from dataclasses import dataclass

from ..schema import bounded, choice, secret


class Quality(enum.StrEnum):
    """Quality modes a profile (or routing.quality) may ask for."""

    FAST = "fast"
    """A fast engine, never a conversational one."""
    CONVERSATIONAL = "conversational"
    """A conversational engine when it is healthy (waiting while it loads)."""
    AUTO = "auto"
    """A conversational engine when it is loaded and healthy, else a fast one."""


QUALITIES = tuple(quality.value for quality in Quality)
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
    max_key_chars: int = bounded(128, 8, 4096)
    """Longest satellite or conversation id a client may send in a request's context."""
    persist: bool = False
    """Keep the history on disk (`file`) across restarts."""
    file: str = "context.npz"
    """Where it is kept, relative to the download dir."""
    save_delay: float = bounded(5.0, 0.0, 3600.0)
    """Seconds between a reply's end and saving the history (several replies, one write)."""


@dataclass(frozen=True)
class HomeAssistantSettings:
    """The optional side channel: Home Assistant's websocket API, to see which satellite speaks."""

    enabled: bool = False
    url: str | None = None
    """ws://homeassistant.local:8123/api/websocket; unset: the Supervisor's URL in the add-on."""
    token: str | None = secret()
    """A long-lived access token; unset: $SUPERVISOR_TOKEN (the add-on). Never in a repr."""
    active_states: tuple[str, ...] = ("processing", "responding")
    """Satellite states in which a reply may be synthesized (streamed replies start while
    the satellite is still processing)."""
    reconnect_min: float = bounded(1.0, 0.1, 600.0)
    reconnect_max: float = bounded(60.0, 1.0, 3600.0)
    grace: float = bounded(0.3, 0.0, 5.0)
    """Seconds a reply opened while no satellite replies watches for one that starts: Home
    Assistant opens an announcement's TTS request just before it sets the satellite to
    `responding`. Replies of a satellite already replying never wait."""
    fetch_user_text: bool = True
    """Read the user's question and conversation id of the satellite's pipeline run (needs an
    administrator's token: assist_pipeline/pipeline_debug)."""
    runs_to_check: int = bounded(3, 1, 100)
    """Newest pipeline runs searched for the satellite's current one."""
    max_message_mb: int = bounded(64, 1, 1024)
    """Largest websocket message accepted: get_states of a large home is several megabytes."""


def no_profiles() -> Mapping[str, SatelliteProfile]:
    return types.MappingProxyType({})


@dataclass(frozen=True)
class SatelliteSections:
    """The configuration's sections about satellites."""

    profiles: Mapping[str, SatelliteProfile]
    context: ContextSettings
    home_assistant: HomeAssistantSettings
