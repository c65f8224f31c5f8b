"""The protocol, in-process, with a fake engine: what Home Assistant sees."""

from __future__ import annotations

import asyncio
import json

from wyoming.audio import AudioChunk, AudioStart
from wyoming.client import AsyncTcpClient
from wyoming.info import Describe, Info
from wyoming.tts import SynthesizeChunk, SynthesizeStart, SynthesizeStop

from wyoming_polytts.config import Config
from wyoming_polytts.engines.base import SAMPLE_RATE
from wyoming_polytts.reply.settings import ReplySettings
from wyoming_polytts.server.settings import ServerSettings
from wyoming_polytts.testing.client import describe, stream_reply, synthesize_reply
from wyoming_polytts.testing.fake_engine import SECONDS_PER_CHAR, FakeEngine, loaded_fake
from wyoming_polytts.testing.waiting import wait_for

REPLY = (
    "Sure! The kitchen lights are on now, and the oven is preheating to 180 degrees. Anything else?"
)


def speech_samples(engine: FakeEngine) -> int:
    return sum(round(len(r.text) * SECONDS_PER_CHAR * SAMPLE_RATE) for r in engine.requests)


async def read_until(client: AsyncTcpClient, event_type: str) -> list[str]:
    types: list[str] = []
    async with asyncio.timeout(10):
        while (event := await client.read_event()) is not None:
            types.append(event.type)
            if event.type == event_type:
                break
    return types


async def test_describe_lists_one_streaming_tts_program(serve) -> None:
    async with serve([loaded_fake()]) as server:
        info = await describe(server.host, server.port)
    assert info.satellite is None
    assert len(info.tts) == 1
    program = info.tts[0]
    assert program.supports_synthesize_streaming
    assert program.version and program.description
    assert {(v.name, tuple(v.languages)) for v in program.voices} == {
        ("af_heart", ("en-US",)),
        ("bf_emma", ("en-GB",)),
    }


async def test_streamed_reply_with_mid_word_chunks(serve) -> None:
    engine = loaded_fake()
    async with serve([engine]) as server:
        reply = await stream_reply(server.host, server.port, REPLY, fragment_chars=7)
    assert reply.error is None
    assert reply.types[0] == "audio-start"
    assert reply.types.count("audio-start") == 1
    assert reply.types[-2:] == ["audio-stop", "synthesize-stopped"]
    chunks = [AudioChunk.from_event(e) for e in reply.events if e.type == "audio-chunk"]
    assert {(c.rate, c.width, c.channels) for c in chunks} == {(SAMPLE_RATE, 2, 1)}
    # Several segments, none of them the full-text copy that must be ignored
    spoken = [r.text for r in engine.requests]
    assert len(spoken) >= 2
    assert all(len(text) < len(REPLY) for text in spoken)
    samples = len(reply.audio) // 2
    speech = speech_samples(engine)
    assert speech <= samples <= speech + len(spoken) * SAMPLE_RATE  # plus pauses under 1 s each


async def test_first_segment_is_synthesized_before_the_text_ends(serve) -> None:
    engine = loaded_fake()
    async with serve([engine]) as server, AsyncTcpClient(server.host, server.port) as client:
        await client.write_event(SynthesizeStart().event())
        for piece in ("Sure, I can ", "do that for", " you. Now the long", " part"):
            await client.write_event(SynthesizeChunk(text=piece).event())
        await wait_for(lambda: len(engine.requests) >= 1)
        assert engine.requests[0].text.startswith("Sure")
        await client.write_event(SynthesizeStop().event())
        types = await read_until(client, "synthesize-stopped")
    assert types[0] == "audio-start"
    assert "audio-chunk" in types


async def test_one_shot_synthesize_ends_with_audio_stop(serve) -> None:
    engine = loaded_fake()
    async with serve([engine]) as server:
        reply = await synthesize_reply(server.host, server.port, "Hello there. How are you?")
    assert reply.types[0] == "audio-start"
    assert reply.types[-1] == "audio-stop"
    assert "synthesize-stopped" not in reply.types
    assert len(reply.audio) // 2 >= speech_samples(engine) > 0


async def test_empty_text_gives_a_valid_empty_reply(serve) -> None:
    async with serve([loaded_fake()]) as server:
        streamed = await stream_reply(server.host, server.port, "   ")
        one_shot = await synthesize_reply(server.host, server.port, "")
    assert streamed.types == ["audio-start", "audio-stop", "synthesize-stopped"]
    assert one_shot.types == ["audio-start", "audio-stop"]


async def test_requested_voice_and_default_voice(serve) -> None:
    engine = loaded_fake()
    async with serve([engine]) as server:
        await synthesize_reply(server.host, server.port, "Hello.", voice="bf_emma")
        await synthesize_reply(server.host, server.port, "Hello.")
    assert [r.voice for r in engine.requests] == ["bf_emma", "af_heart"]


async def test_unknown_voice_gets_an_error_naming_it(serve) -> None:
    async with serve([loaded_fake()]) as server:
        reply = await stream_reply(server.host, server.port, "Hello.", voice="bf_emmma")
    assert reply.error is not None
    assert reply.error.code == "unknown-voice"
    assert reply.error.text == "voice bf_emmma is not available; did you mean bf_emma?"
    assert "did you mean bf_emma?" in reply.error.text


async def test_several_requests_on_one_connection(serve) -> None:
    async with serve([loaded_fake()]) as server, AsyncTcpClient(server.host, server.port) as client:
        for _ in range(3):
            await client.write_event(SynthesizeStart().event())
            await client.write_event(SynthesizeChunk(text="One more time.").event())
            await client.write_event(SynthesizeStop().event())
            types = await read_until(client, "synthesize-stopped")
            assert types[0] == "audio-start" and types[-1] == "synthesize-stopped"


async def test_protocol_errors_get_error_events(serve) -> None:
    async with serve([loaded_fake()]) as server, AsyncTcpClient(server.host, server.port) as client:
        await client.write_event(SynthesizeChunk(text="orphan").event())
        assert (await read_until(client, "error"))[-1] == "error"
        await client.write_event(SynthesizeStop().event())
        assert (await read_until(client, "error"))[-1] == "error"
        # Unknown event types are ignored and the connection still serves
        await client.write_event(AudioStart(rate=1, width=2, channels=1).event())
        await client.write_event(Describe().event())
        assert (await read_until(client, "info"))[-1] == "info"


async def test_second_synthesize_start_is_an_error_and_closes(serve) -> None:
    async with serve([loaded_fake()]) as server, AsyncTcpClient(server.host, server.port) as client:
        await client.write_event(SynthesizeStart().event())
        await client.write_event(SynthesizeStart().event())
        event = await client.read_event()
        assert event is not None and event.type == "error"
        assert "synthesize-start" in event.data["text"]
        assert await client.read_event() is None


async def test_text_over_the_limit_is_refused(serve) -> None:
    config = Config(server=ServerSettings(max_text_chars=50))
    async with serve([loaded_fake()], config) as server:
        streamed = await stream_reply(server.host, server.port, "word " * 20)
        one_shot = await synthesize_reply(server.host, server.port, "word " * 20)
    for reply in (streamed, one_shot):
        assert reply.error is not None and reply.error.code == "text-too-long"


async def test_engine_failure_is_an_error_event(serve) -> None:
    engine = loaded_fake(fail_on="explode")
    async with serve([engine]) as server:
        reply = await stream_reply(server.host, server.port, "This is fine. Now explode please.")
    assert reply.error is not None
    assert reply.error.code == "synthesis-failed"
    assert "explode" not in reply.error.text  # the client learns no internals, nor the text


async def test_engine_that_cannot_load_answers_with_an_error(serve) -> None:
    engine = loaded_fake(load_error=RuntimeError("model file missing"))
    async with serve([engine]) as server:
        await wait_for(lambda: not server.service.voices.voices())
        reply = await synthesize_reply(server.host, server.port, "Hello.", voice="af_heart")
    assert reply.error is not None and reply.error.code == "engine-unavailable"
    assert "model file missing" not in reply.error.text and "log" in reply.error.text


async def test_request_before_the_model_is_loaded_waits_for_it(serve) -> None:
    engine = FakeEngine()  # not loaded until told
    async with serve([engine], loaded=False) as server:
        info = await describe(server.host, server.port)  # answered while loading
        assert info.tts[0].voices
        pending = asyncio.create_task(synthesize_reply(server.host, server.port, "Hi there."))
        await asyncio.sleep(0.2)
        assert not pending.done()
        engine.loaded.set()
        reply = await pending
    assert reply.error is None and reply.audio


async def test_describe_is_answered_during_a_long_reply(serve) -> None:
    engine = loaded_fake()
    engine.gate.clear()
    async with serve([engine]) as server:
        long_reply = asyncio.create_task(stream_reply(server.host, server.port, REPLY * 3))
        await wait_for(lambda: engine.requests)
        info = await describe(server.host, server.port, timeout=2)
        assert info.tts
        engine.gate.set()
        assert (await long_reply).error is None


async def test_disconnect_cancels_queued_segments(serve) -> None:
    engine = loaded_fake()
    engine.gate.clear()
    text = "First sentence here. " + " ".join(f"Sentence number {i} is long." for i in range(20))
    async with serve([engine]) as server:
        async with AsyncTcpClient(server.host, server.port) as client:
            await client.write_event(SynthesizeStart().event())
            await client.write_event(SynthesizeChunk(text=text).event())
            await client.write_event(SynthesizeStop().event())
            await wait_for(lambda: engine.requests)
        # The client is gone while the first segment is still being synthesized
        await asyncio.sleep(0.1)
        engine.gate.set()
        await asyncio.sleep(0.3)
        assert len(engine.requests) <= 2
        assert server.service.voices.voices()  # still serving
        reply = await synthesize_reply(server.host, server.port, "Still here.")
        assert reply.error is None


async def test_busy_server_refuses_new_replies(serve) -> None:
    engine = loaded_fake()
    engine.gate.clear()
    config = Config(replies=ReplySettings(max_per_engine=1))
    async with serve([engine], config) as server:
        first = asyncio.create_task(stream_reply(server.host, server.port, "A long reply."))
        await wait_for(lambda: engine.requests)
        second = await stream_reply(server.host, server.port, "Another one.")
        engine.gate.set()
        assert (await first).error is None
    assert second.error is not None and second.error.code == "busy"


async def test_broken_frames_close_only_that_connection(serve) -> None:
    config = Config(server=ServerSettings(max_frame_bytes=4096))
    async with serve([loaded_fake()], config) as server:
        bad_frames = [
            b"this is not json\n",
            b'{"type": "describe", "data_length": 99999}\n',
            b'{"type": "describe", "payload_length": -1}\n',
            b'{"type": "synthesize", "data_length": 5}\nnope!',
            b'{"type": "describe"' + b" " * 10000 + b"}\n",
        ]
        for frame in bad_frames:
            reader, writer = await asyncio.open_connection(server.host, server.port)
            writer.write(frame)
            await writer.drain()
            async with asyncio.timeout(5):
                assert await reader.read() == b""  # closed by the server
            writer.close()
        # Data inline in the header is accepted too, as the protocol allows
        reader, writer = await asyncio.open_connection(server.host, server.port)
        header = {"type": "synthesize", "data": {"text": "Inline data."}}
        writer.write(json.dumps(header).encode() + b"\n")
        await writer.drain()
        async with asyncio.timeout(5):
            first = json.loads(await reader.readline())
        assert first["type"] == "audio-start"
        writer.close()
        info = await describe(server.host, server.port)
        assert isinstance(info, Info)


async def test_a_voice_that_gives_no_audio_is_an_error_naming_it(serve, caplog) -> None:
    """An engine that ends a segment with words without a sample (an own voice it cannot
    speak): an error event, not a reply of 0 s; the log names the engine and the voice."""
    engine = loaded_fake(mute_voice="bf_emma")
    async with serve([engine]) as server:
        reply = await synthesize_reply(server.host, server.port, "Hello there.", voice="bf_emma")
        streamed = await stream_reply(server.host, server.port, "Hello again.", voice="bf_emma")
        fine = await synthesize_reply(server.host, server.port, "Hello there.", voice="af_heart")
    for failed in (reply, streamed):
        assert failed.error is not None and failed.error.code == "synthesis-failed"
        assert failed.error.text == "voice bf_emma gave no audio for this text; try another voice"
        assert not failed.audio
    assert fine.error is None and fine.audio
    assert "kokoro gave no audio with voice bf_emma" in caplog.text
