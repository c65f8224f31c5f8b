"""The routing table: request x engine health -> ordered plan; pure, no I/O."""

from __future__ import annotations

import pytest

from wyoming_polytts.engines.base import EngineVoice
from wyoming_polytts.engines.errors import BadVoice
from wyoming_polytts.reply.planner import (
    EngineState,
    EngineStatus,
    UnknownVoice,
    VoiceChoice,
    VoicePlan,
    VoiceRequest,
    plan_voices,
    profile_voice,
)
from wyoming_polytts.reply.settings import RoutingSettings
from wyoming_polytts.satellites.settings import SatelliteProfile

READY, LOADING, FAILED, OPEN = (
    EngineState.READY,
    EngineState.LOADING,
    EngineState.FAILED,
    EngineState.OPEN,
)
VOICES = {
    voice.name: voice
    for voice in (
        EngineVoice("af_heart", ("en-US",), "", "kokoro"),
        EngineVoice("bm_george", ("en-GB",), "", "kokoro"),
        EngineVoice("ff_siwis", ("fr",), "", "kokoro"),
        EngineVoice("csm_0", ("en-US", "en-GB"), "", "csm"),
        EngineVoice("csm_1", ("en-US", "en-GB"), "", "csm"),
        EngineVoice("gpu.csm_0", ("en-US",), "", "gpu"),
    )
}
PROFILES = {
    "kitchen": SatelliteProfile(voice="af_heart", conversational_voice="csm_0", speed=1.1),
    "bedroom": SatelliteProfile(voice="bm_george", quality="fast", speed=0.9),
    "office": SatelliteProfile(voice="csm_1", quality="conversational"),
    "salon": SatelliteProfile(voice="ff_siwis", language="fr-FR"),
    "typo": SatelliteProfile(voice="af_hart"),
}


def engines(kokoro: EngineState = READY, csm: EngineState | None = READY) -> dict:
    statuses = {"kokoro": EngineStatus(kokoro)}
    if csm is not None:
        statuses["csm"] = EngineStatus(csm, conversational=True)
    return statuses


def plan(voice: str | None, statuses: dict, mode: str = "auto", **request: object):
    return plan_voices(
        VoiceRequest(voice, **request),  # type: ignore[arg-type]
        find_voice=VOICES.get,
        engines=statuses,
        routing=RoutingSettings(quality=mode, auto_max_chars=100),
        default_voice="af_heart",
        default_speed=1.0,
        profiles=PROFILES,
    )


def routes(voice: str | None, statuses: dict, mode: str = "auto", **request: object) -> list:
    return [(r.engine, r.voice) for r in plan(voice, statuses, mode, **request).choices]


# (requested voice, quality, kokoro state, csm state (None: no CSM on this machine), routes)
TABLE = [
    # Plain engine voices: their own engine, a Kokoro fallback behind a conversational one
    ("af_heart", "auto", READY, READY, [("kokoro", "af_heart")]),
    ("csm_0", "auto", READY, READY, [("csm", "csm_0"), ("kokoro", "af_heart")]),
    ("csm_0", "conversational", READY, READY, [("csm", "csm_0"), ("kokoro", "af_heart")]),
    ("csm_0", "fast", READY, READY, [("kokoro", "af_heart")]),
    # CSM missing, failed, failing or still loading
    ("csm_0", "auto", READY, None, [("kokoro", "af_heart")]),
    ("csm_0", "auto", READY, FAILED, [("kokoro", "af_heart")]),
    ("csm_0", "auto", READY, OPEN, [("kokoro", "af_heart")]),
    ("csm_0", "auto", READY, LOADING, [("kokoro", "af_heart")]),
    ("csm_0", "conversational", READY, LOADING, [("csm", "csm_0"), ("kokoro", "af_heart")]),
    ("csm_0", "conversational", READY, OPEN, [("kokoro", "af_heart")]),
    # Kokoro still loading: requests wait for it rather than fail
    ("af_heart", "auto", LOADING, READY, [("kokoro", "af_heart")]),
    # Profiles: their voice, their conversational voice in conversational/auto modes
    ("kitchen", "auto", READY, READY, [("csm", "csm_0"), ("kokoro", "af_heart")]),
    ("kitchen", "auto", READY, LOADING, [("kokoro", "af_heart")]),
    ("kitchen", "fast", READY, READY, [("kokoro", "af_heart")]),
    ("bedroom", "auto", READY, READY, [("kokoro", "bm_george")]),
    ("office", "auto", READY, LOADING, [("csm", "csm_1"), ("kokoro", "af_heart")]),
    ("office", "auto", READY, None, [("kokoro", "af_heart")]),
    ("typo", "auto", READY, READY, [("kokoro", "af_heart")]),
    # No voice: the default voice
    (None, "auto", READY, READY, [("kokoro", "af_heart")]),
]


@pytest.mark.parametrize(("voice", "quality", "kokoro", "csm", "expected"), TABLE)
def test_routing_table(voice, quality, kokoro, csm, expected) -> None:
    assert routes(voice, engines(kokoro, csm), quality) == expected


def test_unknown_voice_is_an_error() -> None:
    with pytest.raises(UnknownVoice, match="nope"):
        plan("nope", engines())


def test_a_csm_voice_without_csm_says_why_in_the_notes() -> None:
    result = plan("csm_0", engines(csm=None))
    assert result.voice == "af_heart"
    assert any("csm is absent" in note for note in result.notes)
    assert any("instead of csm_0" in note for note in result.notes)


def test_a_fallback_never_repeats_the_failing_engine() -> None:
    # bm_george and the fallback af_heart share Kokoro: a second Kokoro lane could not help
    assert routes("bm_george", engines()) == [("kokoro", "bm_george")]


def test_nothing_usable_keeps_the_first_choice_so_its_error_is_reported() -> None:
    assert routes("af_heart", engines(kokoro=FAILED)) == [("kokoro", "af_heart")]
    assert routes("csm_0", engines(kokoro=FAILED, csm=FAILED)) == [("csm", "csm_0")]


def test_auto_sends_long_one_shot_texts_to_the_fast_engine() -> None:
    assert routes("csm_0", engines(), text_length=101) == [("kokoro", "af_heart")]
    assert routes("csm_0", engines(), text_length=100)[0] == ("csm", "csm_0")
    # Streamed replies have no length yet; conversational mode ignores the limit
    assert routes("csm_0", engines(), text_length=None)[0] == ("csm", "csm_0")
    assert routes("csm_0", engines(), "conversational", text_length=5000)[0] == ("csm", "csm_0")


def test_quality_of_request_over_profile_over_configuration() -> None:
    # office's profile says conversational, the configuration says fast
    assert routes("office", engines(), "fast")[0] == ("csm", "csm_1")
    assert routes("office", engines(), "fast", quality="fast") == [("kokoro", "af_heart")]
    assert routes("kitchen", engines(), "fast") == [("kokoro", "af_heart")]
    assert routes("kitchen", engines(), "fast", quality="auto")[0] == ("csm", "csm_0")


def test_profile_speed_and_language() -> None:
    kitchen = plan("kitchen", engines())
    assert kitchen.speed == 1.1 and kitchen.profile == "kitchen"
    salon = plan("salon", engines())
    assert salon.choices[0] == VoiceChoice("kokoro", "ff_siwis", "fr-FR")
    assert plan("af_heart", engines()).speed == 1.0


def test_context_key_of_a_profile_selects_it_when_no_voice_is_named() -> None:
    assert plan(None, engines(), context_key="bedroom").voice == "bm_george"
    # A named voice wins over the satellite's profile
    assert plan("af_heart", engines(), context_key="bedroom").voice == "af_heart"


def test_remote_voices_route_like_local_ones() -> None:
    statuses = {**engines(csm=None), "gpu": EngineStatus(READY, conversational=True)}
    assert routes("gpu.csm_0", statuses) == [("gpu", "gpu.csm_0"), ("kokoro", "af_heart")]
    statuses["gpu"] = EngineStatus(OPEN, conversational=True)
    assert routes("gpu.csm_0", statuses) == [("kokoro", "af_heart")]


def test_profiles_are_listed_as_voices_with_their_base_languages() -> None:
    kitchen = profile_voice("kitchen", PROFILES["kitchen"], VOICES.get, "af_heart")
    assert kitchen.languages == ("en-US",)
    assert "af_heart" in kitchen.description and "csm_0" in kitchen.description
    assert profile_voice("salon", PROFILES["salon"], VOICES.get, "af_heart").languages == ("fr-FR",)
    office = profile_voice("office", PROFILES["office"], VOICES.get, "af_heart")
    assert office.languages == ("en-US", "en-GB")


def test_a_bad_blend_is_refused_when_requested_and_noted_when_configured() -> None:
    def find_voice(name: str) -> EngineVoice | None:
        if "+" in name:
            raise BadVoice(f"voice {name!r}: af_nobody is not a Kokoro voice")
        return VOICES.get(name)

    def with_default(voice: str | None, default: str) -> VoicePlan:
        return plan_voices(
            VoiceRequest(voice),
            find_voice=find_voice,
            engines=engines(),
            routing=RoutingSettings(fallback_voice="bm_george"),
            default_voice=default,
            default_speed=1.0,
            profiles={},
        )

    with pytest.raises(BadVoice, match="af_nobody"):
        with_default("af_heart+af_nobody", "af_heart")
    fallen_back = with_default(None, "af_heart+af_nobody")
    assert fallen_back.voice == "bm_george"
    assert "default voice: voice 'af_heart+af_nobody': af_nobody is not a Kokoro voice" in (
        fallen_back.notes
    )
