"""The protocol over TCP with the CSM engine (tiny random model on the CPU) selected."""

from __future__ import annotations

from wyoming.audio import AudioChunk

from wyoming_polytts.config import Config
from wyoming_polytts.reply.settings import RoutingSettings
from wyoming_polytts.testing.client import describe, stream_reply, synthesize_reply
from wyoming_polytts.testing.csm_tiny import tiny_csm_engine


async def test_streamed_reply_with_a_csm_voice(serve) -> None:
    config = Config(routing=RoutingSettings(quality="conversational"))
    async with serve([tiny_csm_engine()], config) as server:
        info = await describe(server.host, server.port)
        voices = {voice.name for voice in info.tts[0].voices}
        assert {"csm_0", "csm_1"} <= voices
        reply = await stream_reply(
            server.host, server.port, "Hello there, friend. How are you?", voice="csm_0"
        )
        again = await synthesize_reply(server.host, server.port, "Fine.", voice="csm_1")
    assert reply.error is None, reply.error
    assert reply.types[0] == "audio-start" and reply.types.count("audio-start") == 1
    assert reply.types[-2:] == ["audio-stop", "synthesize-stopped"]
    chunks = [AudioChunk.from_event(e) for e in reply.events if e.type == "audio-chunk"]
    assert chunks and {(c.rate, c.width, c.channels) for c in chunks} == {(24000, 2, 1)}
    assert again.error is None and again.types[-1] == "audio-stop" and again.audio
