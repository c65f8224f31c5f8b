"""Which satellite a reply speaks for: its context key, from the best source available.

Home Assistant sends no satellite id to a TTS server, so the key comes from, in order:
the `context` of synthesize/synthesize-start (clients that send one), a satellite
profile chosen as the voice, the Home Assistant side channel (the one satellite that is
replying right now), else the default key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .settings import SatelliteProfile
from .tracker import SatelliteActivity

SATELLITE_FIELDS = ("satellite_id", "device_id")
"""Fields of an event's context that name the satellite, best first."""
KEY_FIELDS = (*SATELLITE_FIELDS, "conversation_id")
"""Fields of an event's context that may become history keys."""


@dataclass(frozen=True)
class ResolvedContext:
    key: str
    source: str
    """event, voice, home-assistant or default."""
    conversation_id: str | None = None
    user_text: str | None = None


def resolve_context(
    *,
    event_context: Mapping[str, Any] | None,
    voice: str | None,
    satellite: SatelliteActivity | None,
    profiles: Mapping[str, SatelliteProfile],
    default_key: str,
) -> ResolvedContext:
    """The context key of a request and what is known of its conversation."""
    names = profile_names(profiles)
    event_context = event_context or {}
    conversation_id = _text(event_context.get("conversation_id"))
    side_key = names.get(satellite.entity_id, satellite.entity_id) if satellite else None

    def resolved(key: str, source: str, conversation: str | None = None) -> ResolvedContext:
        # The side channel adds the user's words only when it agrees on the satellite
        if satellite is not None and side_key == key:
            return ResolvedContext(
                key, source, conversation or satellite.conversation_id, satellite.user_text
            )
        return ResolvedContext(key, source, conversation)

    for field in SATELLITE_FIELDS:
        if (value := _text(event_context.get(field))) is not None:
            return resolved(names.get(value, value), "event", conversation_id)
    if conversation_id is not None:
        return ResolvedContext(f"conversation:{conversation_id}", "event", conversation_id)
    if voice is not None and voice in profiles:
        return resolved(voice, "voice")
    if side_key is not None:
        return resolved(side_key, "home-assistant")
    return ResolvedContext(default_key, "default")


def profile_names(profiles: Mapping[str, SatelliteProfile]) -> dict[str, str]:
    """Every id that names a profile (its name and its satellite_ids) -> the profile's name."""
    names = {name: name for name in profiles}
    for name, profile in profiles.items():
        names.update(dict.fromkeys(profile.satellite_ids, name))
    return names


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
