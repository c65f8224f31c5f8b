"""Context key resolution from each source, in order: event context, voice, side channel."""

from __future__ import annotations

from wyoming_polytts.satellites.keys import resolve_context
from wyoming_polytts.satellites.settings import SatelliteProfile
from wyoming_polytts.satellites.tracker import SatelliteActivity

PROFILES = {
    "kitchen": SatelliteProfile(voice="af_heart", satellite_ids=("assist_satellite.kitchen_pe",)),
    "office": SatelliteProfile(voice="bm_george"),
}
KITCHEN_RUN = SatelliteActivity("assist_satellite.kitchen_pe", "conv-7", "Is the oven on?")


def resolve(event_context=None, voice=None, satellite=None):  # type: ignore[no-untyped-def]
    return resolve_context(
        event_context=event_context,
        voice=voice,
        satellite=satellite,
        profiles=PROFILES,
        default_key="default",
    )


def test_event_context_satellite_id_comes_first() -> None:
    resolved = resolve({"satellite_id": "garage", "conversation_id": "c1"}, voice="kitchen")
    assert (resolved.key, resolved.source, resolved.conversation_id) == ("garage", "event", "c1")


def test_event_context_ids_map_to_profiles() -> None:
    assert resolve({"satellite_id": "assist_satellite.kitchen_pe"}).key == "kitchen"
    assert resolve({"device_id": "office"}).key == "office"
    assert resolve({"satellite_id": "", "device_id": "dev-1"}).key == "dev-1"


def test_event_context_with_only_a_conversation_id() -> None:
    resolved = resolve({"conversation_id": "c9"})
    assert (resolved.key, resolved.conversation_id) == ("conversation:c9", "c9")


def test_profile_voice_is_the_key() -> None:
    resolved = resolve(voice="office")
    assert (resolved.key, resolved.source) == ("office", "voice")
    # Plain engine voices name no satellite
    assert resolve(voice="af_heart").key == "default"


def test_side_channel_names_the_satellite() -> None:
    resolved = resolve(satellite=KITCHEN_RUN)
    assert (resolved.key, resolved.source) == ("kitchen", "home-assistant")
    assert (resolved.conversation_id, resolved.user_text) == ("conv-7", "Is the oven on?")
    unknown = resolve(satellite=SatelliteActivity("assist_satellite.hall"))
    assert unknown.key == "assist_satellite.hall"


def test_side_channel_adds_the_user_turn_only_when_it_agrees() -> None:
    agrees = resolve(voice="kitchen", satellite=KITCHEN_RUN)
    assert (agrees.key, agrees.source, agrees.user_text) == ("kitchen", "voice", "Is the oven on?")
    disagrees = resolve(voice="office", satellite=KITCHEN_RUN)
    assert (disagrees.key, disagrees.user_text, disagrees.conversation_id) == ("office", None, None)
    # An event's own conversation id wins over the side channel's
    event = resolve({"satellite_id": "kitchen", "conversation_id": "c1"}, satellite=KITCHEN_RUN)
    assert (event.conversation_id, event.user_text) == ("c1", "Is the oven on?")


def test_nothing_known_is_the_default_key() -> None:
    resolved = resolve({"something": "else"})
    assert (resolved.key, resolved.source) == ("default", "default")
