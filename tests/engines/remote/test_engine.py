"""A remote Wyoming server as an engine: two server instances talking over TCP."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import numpy as np
import pytest
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.event import async_read_event, async_write_event
from wyoming.info import Attribution, Describe, Info, TtsProgram, TtsVoice
from wyoming.tts import Synthesize

from wyoming_polytts.engines.base import SAMPLE_RATE, Audio, SynthesisRequest
from wyoming_polytts.engines.errors import EngineUnavailable
from wyoming_polytts.engines.remote.engine import RemoteFailed, WyomingRemoteEngine
from wyoming_polytts.engines.remote.settings import RemoteSettings
from wyoming_polytts.reply.planner import EngineState
from wyoming_polytts.testing.client import describe, stream_reply
from wyoming_polytts.testing.fake_engine import SECONDS_PER_CHAR, FakeEngine, loaded_fake
from wyoming_polytts.testing.in_process import RunningServer
from wyoming_polytts.testing.launcher import free_port
from wyoming_polytts.testing.waiting import wait_for

HOME = "testhome"


def remote_csm(**kwargs: object) -> FakeEngine:
    engine = FakeEngine(name="csm", voice_names=("csm_0", "csm_1"), **kwargs)  # type: ignore[arg-type]
    engine.cacheable = False
    engine.loaded.set()
    return engine


def remote_engine(port: int, **settings: object) -> WyomingRemoteEngine:
    options = {"uri": f"tcp://127.0.0.1:{port}", "home": HOME, "conversational": True}
    return WyomingRemoteEngine("gpu", RemoteSettings(**{**options, **settings}))  # type: ignore[arg-type]


async def spoken(engine: WyomingRemoteEngine, text: str, voice: str) -> list[Audio]:
    """The blocks the remote engine makes for `text`, run off the loop as a worker would."""
    request = SynthesisRequest(text, voice)
    return await asyncio.to_thread(list, engine.synthesize(request, threading.Event()))


async def ready(server: RunningServer) -> None:
    """Until the front has described the remote (auto mode does not wait for it)."""
    await wait_for(lambda: server.service.backends.statuses()["gpu"].state is EngineState.READY)


def samples(text: str) -> int:
    return round(len(text) * SECONDS_PER_CHAR * SAMPLE_RATE)


async def test_front_server_speaks_through_the_remote_server(serve) -> None:
    upstream = remote_csm()
    async with serve([upstream]) as remote:
        gpu = remote_engine(remote.port, voices=("csm_0",))
        async with serve([gpu, loaded_fake()]) as front:
            await ready(front)
            info = await describe(front.host, front.port)
            reply = await stream_reply(
                front.host, front.port, "Hello from the GPU box. It works.", voice="gpu.csm_0"
            )
    voices = {voice.name: voice.languages for voice in info.tts[0].voices}
    assert voices["gpu.csm_0"] == ["en-US"]
    assert "gpu.csm_1" not in voices  # not listed in the remote's settings
    assert reply.error is None and reply.types.count("audio-start") == 1
    assert {r.voice for r in upstream.requests} == {"csm_0"}
    # The front's context key reaches the remote, kept apart per home
    assert {r.conversation.key for r in upstream.requests} == {f"{HOME}/default"}
    speech = sum(samples(r.text) for r in upstream.requests)
    assert speech <= len(reply.audio) // 2 <= speech + len(upstream.requests) * SAMPLE_RATE


async def test_remote_failure_falls_back_mid_reply(serve) -> None:
    upstream = remote_csm(fail_on="second")
    kokoro = loaded_fake()
    async with serve([upstream]) as remote:
        gpu = remote_engine(remote.port)
        async with serve([gpu, kokoro]) as front:
            await ready(front)
            reply = await stream_reply(
                front.host,
                front.port,
                "The first sentence is fine and long enough. The second sentence fails there.",
                voice="gpu.csm_0",
            )
    assert reply.error is None and reply.types.count("audio-start") == 1
    assert reply.types[-2:] == ["audio-stop", "synthesize-stopped"]
    assert [r.text for r in kokoro.requests] == ["The second sentence fails there."]


async def test_an_unreachable_remote_fails_fast_and_comes_back(serve) -> None:
    port = free_port()
    gpu = remote_engine(port, voices=("csm_0",))
    await asyncio.to_thread(gpu.refresh)
    # Listed voices stay requestable while the remote is away
    assert [v.name for v in gpu.voices()] == ["gpu.csm_0"]
    with pytest.raises(EngineUnavailable, match="unreachable"):
        await spoken(gpu, "Hello.", "gpu.csm_0")
    kokoro = loaded_fake()
    async with serve([gpu, kokoro]) as front:
        await ready(front)
        reply = await stream_reply(front.host, front.port, "Hello.", voice="gpu.csm_0")
        assert reply.error is None and [r.text for r in kokoro.requests] == ["Hello."]
    # The remote comes up: the next Describe finds it, and it speaks again
    async with tone_server(rate=SAMPLE_RATE, seconds=0.25, port=port, voice="csm_0"):
        await asyncio.to_thread(gpu.refresh)
        blocks = await spoken(gpu, "Hello.", "gpu.csm_0")
    assert sum(len(block) for block in blocks) == SAMPLE_RATE // 4


@asynccontextmanager
async def tone_server(
    rate: int, seconds: float, port: int = 0, voice: str = "lessac"
) -> AsyncIterator[int]:
    """A minimal Wyoming TTS server (like Piper) that answers `synthesize` with a tone."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while (event := await async_read_event(reader)) is not None:
            if Describe.is_type(event.type):
                offered = TtsVoice(
                    name=voice,
                    description="Piper lessac",
                    attribution=Attribution("x", "y"),
                    installed=True,
                    version="1",
                    languages=["en_US"],
                )
                program = TtsProgram(
                    name="piper",
                    description="piper",
                    attribution=Attribution("x", "y"),
                    installed=True,
                    version="1",
                    voices=[offered],
                )
                await async_write_event(Info(tts=[program]).event(), writer)
            elif Synthesize.is_type(event.type):
                tone = (np.sin(np.arange(int(rate * seconds)) * 0.05) * 8000).astype("<i2")
                await async_write_event(AudioStart(rate, 2, 1).event(), writer)
                for part in np.array_split(tone, 4):
                    chunk = AudioChunk(rate=rate, width=2, channels=1, audio=part.tobytes())
                    await async_write_event(chunk.event(), writer)
                await async_write_event(AudioStop().event(), writer)
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()


async def test_other_rates_are_converted_to_24_khz() -> None:
    async with tone_server(rate=16000, seconds=0.5) as port:
        piper = remote_engine(port, prefix="", conversational=False)
        await asyncio.to_thread(piper.load)
        try:
            assert [(v.name, v.languages) for v in piper.voices()] == [("lessac", ("en_US",))]
            blocks = await spoken(piper, "Hello.", "lessac")
        finally:
            piper.close()
    audio = np.concatenate(blocks)
    assert audio.dtype == np.float32
    assert abs(len(audio) - SAMPLE_RATE // 2) <= 4
    assert 0.2 < np.abs(audio).max() < 0.3  # 8000 / 32768
    assert piper.cacheable


async def test_an_error_event_from_the_remote_is_a_failure(serve) -> None:
    async with serve([remote_csm(fail_on="boom")]) as remote:
        gpu = remote_engine(remote.port)
        await asyncio.to_thread(gpu.load)
        try:
            with pytest.raises(RemoteFailed, match="remote gpu: the voice engine failed"):
                await spoken(gpu, "boom", "gpu.csm_0")
        finally:
            gpu.close()


async def test_a_remote_frame_over_the_limit_fails_the_segment_not_the_server(serve) -> None:
    """A remote is held to the same frame limits as a client: no unbounded buffering."""

    async def oversized(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await async_read_event(reader)
        writer.write(b'{"type": "audio-chunk", "payload_length": 999999999}\n')
        await writer.drain()
        await reader.read()

    server = await asyncio.start_server(oversized, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    remote = remote_engine(port, voices=("csm_0",), max_frame_bytes=1 << 20)
    try:
        with pytest.raises(RemoteFailed, match="broken frame: payload_length 999999999"):
            await spoken(remote, "Hello.", "gpu.csm_0")
    finally:
        server.close()


async def test_a_voice_of_a_remote_down_since_start_falls_back(serve) -> None:
    """No `voices:` listed and no Info yet: a request for one of its voices is the remote's to
    try, and the fallback speaks it; a name without the remote's prefix is still unknown."""
    local = loaded_fake()
    async with serve([remote_engine(free_port()), local]) as front:
        reply = await stream_reply(front.host, front.port, "Still spoken.", voice="gpu.csm_0")
        unknown = await stream_reply(front.host, front.port, "Never.", voice="nobody_0")
    assert reply.error is None, reply.error
    assert [request.text for request in local.requests] == ["Still spoken."]
    assert unknown.error is not None and unknown.error.code == "unknown-voice"


def test_a_remote_that_told_its_voices_may_offer_no_other() -> None:
    engine = remote_engine(free_port())
    assert engine.may_offer("gpu.csm_7") is not None
    assert engine.may_offer("csm_7") is None
    assert remote_engine(free_port(), prefix="").may_offer("csm_7") is None
