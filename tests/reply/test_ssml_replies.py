"""SSML and voice blends through the service, over TCP, with fake engines: each segment is
spoken with the speed, voice and language its markup asks for; a bad blend is refused."""

from __future__ import annotations

import dataclasses
import types

import numpy as np
import pytest

from wyoming_polytts.app import build_parts
from wyoming_polytts.config import Config
from wyoming_polytts.engines.base import EngineVoice
from wyoming_polytts.engines.kokoro.engine import KokoroEngine
from wyoming_polytts.engines.kokoro.settings import KokoroSettings
from wyoming_polytts.reply.settings import RoutingSettings, VoiceDefaults
from wyoming_polytts.satellites.settings import SatelliteProfile
from wyoming_polytts.schema import ConfigError
from wyoming_polytts.startup_checks import check_configuration
from wyoming_polytts.testing.client import Reply, stream_reply, synthesize_reply
from wyoming_polytts.testing.fake_engine import FakeEngine, loaded_fake


@dataclasses.dataclass
class BlendingFake(FakeEngine):
    """Understands any name with a '+' as a blend, speaking its first voice's language."""

    def find_voice(self, name: str) -> EngineVoice | None:
        if "+" not in name:
            return super().find_voice(name)
        first = super().find_voice(name.split("+", maxsplit=1)[0].split("(", maxsplit=1)[0])
        return dataclasses.replace(first, name=name) if first else None


def conversational_fake(**kwargs: object) -> FakeEngine:
    engine = loaded_fake(name="csm", voice_names=("csm_0", "csm_1"), **kwargs)
    engine.cacheable = False
    return engine


def unloadable_kokoro(settings: KokoroSettings | None = None) -> KokoroEngine:
    def no_model() -> object:
        raise RuntimeError("no model in these tests")

    return KokoroEngine(settings or KokoroSettings(), locate_files=no_model)  # type: ignore[arg-type]


def longest_silence(reply: Reply) -> float:
    """Seconds of the longest run of zero samples."""
    silent = np.frombuffer(bytes(reply.audio), dtype="<i2") == 0
    longest = run = 0
    for sample in silent:
        run = run + 1 if sample else 0
        longest = max(longest, run)
    return longest / 24000


SSML = (
    "<speak><p>Hello there, friend.</p>"
    '<prosody rate="x-fast">Quick one.</prosody> <break time="1s"/>'
    '<voice name="bf_emma">From London.</voice> '
    '<voice name="csm_0">Not switched.</voice> '
    '<lang xml:lang="fr-FR">Oui.</lang></speak>'
)


@pytest.mark.parametrize("streamed", [True, False])
async def test_each_segment_is_spoken_as_its_markup_says(serve, streamed: bool) -> None:
    kokoro = loaded_fake()
    config = Config(defaults=VoiceDefaults(speed=1.6))
    async with serve([kokoro, conversational_fake()], config) as server:
        if streamed:
            reply = await stream_reply(
                server.host, server.port, SSML, text_format="ssml", fragment_chars=5
            )
        else:
            reply = await synthesize_reply(server.host, server.port, SSML, text_format="ssml")
    assert reply.error is None
    assert [(r.text, r.voice, r.speed, r.language) for r in kokoro.requests] == [
        ("Hello there, friend.", "af_heart", 1.6, None),
        ("Quick one.", "af_heart", 2.0, None),  # 1.6 x 1.5, as fast as a voice goes
        ("From London.", "bf_emma", 1.6, "en-GB"),
        ("Not switched.", "af_heart", 1.6, None),  # csm_0 is another engine's voice
        ("Oui.", "af_heart", 1.6, "fr-FR"),
    ]
    assert 1.0 <= longest_silence(reply) < 1.05


async def test_markdown_replies_are_not_read_as_ssml_unless_detected(serve) -> None:
    kokoro = loaded_fake()
    text = '<speak>Lights <break time="1s"/> on.</speak>'
    detecting = Config(text=dataclasses.replace(Config().text, detect_ssml=True))
    async with serve([kokoro]) as server:
        await stream_reply(server.host, server.port, text)
    async with serve([kokoro], detecting) as server:
        await stream_reply(server.host, server.port, text)
    assert [r.text for r in kokoro.requests] == ["Lights on.", "Lights", "on."]


async def test_a_fallback_engine_speaks_switched_segments_with_its_own_voice(serve) -> None:
    csm = conversational_fake(fail_on="switched")
    kokoro = loaded_fake()
    ssml = '<speak>First part. <voice name="csm_1">A switched part.</voice></speak>'
    async with serve([csm, kokoro]) as server:
        reply = await stream_reply(
            server.host, server.port, ssml, voice="csm_0", text_format="ssml"
        )
    assert reply.error is None
    assert [(r.text, r.voice) for r in csm.requests] == [
        ("First part.", "csm_0"),
        ("A switched part.", "csm_1"),
    ]
    assert [(r.text, r.voice) for r in kokoro.requests] == [("A switched part.", "af_heart")]


async def test_a_blend_is_a_voice_wherever_a_voice_is_named(serve) -> None:
    engine = BlendingFake()
    engine.loaded.set()
    config = Config(
        satellites=types.MappingProxyType({"kitchen": SatelliteProfile(voice="bf_emma+af_heart")}),
        routing=RoutingSettings(fallback_voice="af_heart(2)+bf_emma"),
    )
    async with serve([engine], config) as server:
        await synthesize_reply(server.host, server.port, "One.", voice="af_heart(1)+bf_emma(3)")
        await synthesize_reply(server.host, server.port, "Two.", voice="kitchen")
    assert [r.voice for r in engine.requests] == ["af_heart(1)+bf_emma(3)", "bf_emma+af_heart"]


@pytest.mark.parametrize(
    ("voice", "part"),
    [
        ("af_heart+af_nobody", "af_nobody is not a Kokoro voice"),
        ("af_heart(0)+af_sky", "the weight of af_heart must be a positive number, got '0'"),
        ("af_heart(2", "'af_heart(2' is not a voice with an optional weight"),
    ],
)
async def test_a_bad_blend_gets_an_error_naming_the_part(serve, voice: str, part: str) -> None:
    async with serve([unloadable_kokoro()]) as server:
        reply = await stream_reply(server.host, server.port, "Hello.", voice=voice)
    assert reply.error is not None and reply.error.code == "bad-voice"
    assert reply.error.text.startswith(f"voice {voice!r}: {part}")


@pytest.mark.parametrize(
    ("config", "key"),
    [
        (Config(defaults=VoiceDefaults(voice="af_heart+af_nobody")), "defaults.voice"),
        (
            Config(routing=RoutingSettings(fallback_voice="af_heart+af_nobody")),
            "routing.fallback_voice",
        ),
        (
            Config(
                satellites=types.MappingProxyType(
                    {"den": SatelliteProfile(voice="af_heart+af_nobody")}
                )
            ),
            "satellites.den.voice",
        ),
    ],
)
async def test_a_bad_blend_in_the_configuration_stops_start_up(config: Config, key: str) -> None:
    with pytest.raises(ConfigError) as raised:
        check_configuration(config, build_parts(config, [unloadable_kokoro()]).voices)
    message = "voice 'af_heart+af_nobody': af_nobody is not a Kokoro voice"
    assert str(raised.value) == f"config key {key!r}: {message}"
