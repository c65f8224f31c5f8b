"""The service over TCP: satellite profiles as voices, fallback voices, per-satellite history."""

from __future__ import annotations

import logging
import types
from pathlib import Path

import pytest

from wyoming_polytts.app import build_parts
from wyoming_polytts.config import Config
from wyoming_polytts.engines.base import EngineVoice
from wyoming_polytts.engines.errors import BadVoice
from wyoming_polytts.satellites.settings import (
    ContextSettings,
    HomeAssistantSettings,
    SatelliteProfile,
)
from wyoming_polytts.storage import ModelSettings
from wyoming_polytts.testing.client import describe, stream_reply, synthesize_reply
from wyoming_polytts.testing.fake_engine import FakeEngine, loaded_fake

SATELLITES = types.MappingProxyType(
    {
        "kitchen": SatelliteProfile(voice="bf_emma", speed=1.25),
        "office": SatelliteProfile(voice="csm_0", language="en-GB"),
    }
)
CSM_VOICE = EngineVoice("csm_0", ("en-US",), "Sesame CSM speaker 0", "csm")


async def test_profiles_are_listed_as_voices(serve) -> None:
    async with serve([loaded_fake()], Config(satellites=SATELLITES)) as server:
        server.service.voices.dormant = (CSM_VOICE,)
        info = await describe(server.host, server.port)
    voices = {voice.name: voice for voice in info.tts[0].voices}
    assert set(voices) == {"af_heart", "bf_emma", "kitchen", "office"}
    assert voices["kitchen"].languages == ["en-GB"]  # bf_emma's
    assert voices["office"].languages == ["en-GB"]  # its own language
    assert "bf_emma" in voices["kitchen"].description
    # The dormant CSM voice itself is not offered: nothing here can speak it
    assert "csm_0" not in voices


async def test_profile_voice_speaks_with_its_settings_and_history(serve) -> None:
    engine = loaded_fake()
    async with serve([engine], Config(satellites=SATELLITES)) as server:
        await stream_reply(server.host, server.port, "The timer is set.", voice="kitchen")
        await stream_reply(server.host, server.port, "Ten minutes left.", voice="kitchen")
        await stream_reply(server.host, server.port, "Good night.", voice="af_heart")
        turns = server.service.satellites.history.turns("kitchen")
        default_turns = server.service.satellites.history.turns("default")
    assert [(r.voice, r.speed, r.conversation.key) for r in engine.requests[:2]] == [
        ("bf_emma", 1.25, "kitchen"),
        ("bf_emma", 1.25, "kitchen"),
    ]
    # The engine sees the satellite's history through the request
    assert engine.requests[1].conversation is not None
    assert [t.assistant_text for t in engine.requests[1].conversation.earlier] == [
        "The timer is set."
    ]
    assert [t.assistant_text for t in turns] == ["The timer is set.", "Ten minutes left."]
    assert [t.assistant_text for t in default_turns] == ["Good night."]


async def test_csm_voice_without_csm_is_spoken_by_the_fallback(serve, caplog) -> None:
    engine = loaded_fake()
    caplog.set_level(logging.INFO)
    async with serve([engine], Config(satellites=SATELLITES)) as server:
        server.service.voices.dormant = (CSM_VOICE,)
        direct = await synthesize_reply(server.host, server.port, "Hello.", voice="csm_0")
        profile = await stream_reply(server.host, server.port, "Hello.", voice="office")
    assert direct.error is None and profile.error is None
    assert [r.voice for r in engine.requests] == ["af_heart", "af_heart"]
    assert "csm_0 is not used: csm is absent" in caplog.text
    assert "speaking with af_heart (kokoro) instead of csm_0" in caplog.text


async def test_event_context_names_the_satellite(serve) -> None:
    engine = loaded_fake()
    async with serve([engine], Config(satellites=SATELLITES)) as server:
        context = {"satellite_id": "kitchen", "conversation_id": "c1"}
        await stream_reply(server.host, server.port, "One.", context=context)
        await stream_reply(server.host, server.port, "Two.", context=context)
        # A new conversation on the same satellite starts a new history
        await stream_reply(
            server.host, server.port, "Three.", context={**context, "conversation_id": "c2"}
        )
        turns = server.service.satellites.history.turns("kitchen")
    # No voice named: the satellite's profile voice speaks
    assert {(r.voice, r.conversation.key) for r in engine.requests} == {("bf_emma", "kitchen")}
    assert [t.assistant_text for t in turns] == ["Three."]


async def test_history_is_kept_across_a_restart(serve, tmp_path: Path) -> None:
    config = Config(
        models=ModelSettings(data_dirs=(str(tmp_path),)),
        context=ContextSettings(persist=True),
        satellites=SATELLITES,
    )
    async with serve([loaded_fake()], config) as server:
        await stream_reply(server.host, server.port, "Remember me.", voice="kitchen")
    assert (tmp_path / "context.npz").is_file()
    engine = loaded_fake()
    async with serve([engine], config) as server:
        await stream_reply(server.host, server.port, "Still here.", voice="kitchen")
    context = engine.requests[0].conversation
    assert context is not None
    assert [t.assistant_text for t in context.earlier] == ["Remember me."]


async def test_event_context_may_ask_for_a_quality_mode(serve) -> None:
    csm = loaded_fake(name="csm", voice_names=("csm_0",))
    csm.cacheable = False
    kokoro = loaded_fake()
    async with serve([csm, kokoro]) as server:
        await stream_reply(
            server.host, server.port, "Quick.", voice="csm_0", context={"quality": "fast"}
        )
        await stream_reply(
            server.host, server.port, "Talk.", voice="csm_0", context={"quality": "?"}
        )
    assert [r.text for r in kokoro.requests] == ["Quick."]
    assert [r.text for r in csm.requests] == ["Talk."]


@pytest.mark.parametrize(
    ("url", "warned"),
    [("ws://ha.example.com/api/websocket", True), ("wss://ha.example.com/api/websocket", False)],
)
def test_a_token_sent_unencrypted_over_the_internet_is_warned_about(
    caplog: pytest.LogCaptureFixture, url: str, warned: bool
) -> None:
    settings = HomeAssistantSettings(enabled=True, url=url, token="long-lived-token")
    build_parts(Config(home_assistant=settings), [loaded_fake()])
    assert ("sends the access token unencrypted" in caplog.text) is warned
    assert "long-lived-token" not in caplog.text


async def test_replies_naming_no_voice_with_profiles_warn_once_of_home_assistants_cache(
    serve, caplog
) -> None:
    caplog.set_level(logging.WARNING)
    async with serve([loaded_fake()], Config(satellites=SATELLITES)) as server:
        for _ in range(2):
            await synthesize_reply(server.host, server.port, "Hello.")
        await synthesize_reply(server.host, server.port, "Hello.", voice="kitchen")
    warnings = [r for r in caplog.records if "cached audio" in r.getMessage()]
    assert len(warnings) == 1


class BlendingFake(FakeEngine):
    """Reads a name with brackets as a blend, as Kokoro does, and cannot speak it."""

    def find_voice(self, name: str) -> EngineVoice | None:
        if "(" in name:
            raise BadVoice(f"{name!r} is not a blend of known voices")
        return super().find_voice(name)


async def test_a_profile_whose_name_reads_like_a_blend_starts_and_speaks(serve) -> None:
    engine = BlendingFake()
    engine.loaded.set()
    profiles = {"Kitchen (main)": SatelliteProfile(voice="bf_emma")}
    async with serve([engine], Config(satellites=profiles)) as server:
        reply = await stream_reply(server.host, server.port, "Hello.", voice="Kitchen (main)")
    assert reply.error is None and reply.audio
    assert engine.requests[0].voice == "bf_emma"
