"""The protocol over TCP with the CSM engine (tiny random model on the CPU) selected."""

from __future__ import annotations

from wyoming.audio import AudioChunk

from tests.engines.csm.test_engine import Backbone
from wyoming_polytts.config import Config
from wyoming_polytts.engines.csm.engine import CsmEngine
from wyoming_polytts.reply.settings import RoutingSettings
from wyoming_polytts.testing.client import describe, stream_reply, synthesize_reply
from wyoming_polytts.testing.csm_tiny import SETTINGS, build_tiny_csm, tiny_csm_engine


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


SENTENCES = (
    "The kitchen lights are on now and the oven is warm.",
    "The living room is at twenty degrees right now.",
    "The front door is locked and the alarm is set for tonight.",
)


async def test_each_segment_of_a_streamed_reply_hears_the_ones_before_it(serve) -> None:
    """The scheduler has a worker per slot, so it could start a reply's segments at once;
    CSM's prompts show that each segment waited for the ones before it and heard them
    (their text, their frames and an end-of-audio frame each)."""
    model, processor = build_tiny_csm(window=1024)
    engine = CsmEngine(SETTINGS, components=lambda: (model, processor))
    assert engine.concurrency > 1
    async with serve([engine]) as server:
        watch = Backbone(engine)  # loaded, warmed up: from the reply's first prompt on
        reply = await stream_reply(server.host, server.port, " ".join(SENTENCES), voice="csm_0")
        text_tokens = [len(engine.runtime.text_ids(0, sentence)) for sentence in SENTENCES]
    assert reply.error is None, reply.error
    prompts: list[int] = []
    frames: list[int] = []
    for tokens in watch.lengths:
        if tokens > 1:
            prompts.append(tokens)
            frames.append(0)
        else:
            frames[-1] += 1
    assert prompts[0] == text_tokens[0]
    for index in (1, 2):
        heard = prompts[index - 1] + frames[index - 1] + 1  # the whole segment before
        assert prompts[index] == heard + text_tokens[index]
