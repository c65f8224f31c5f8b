"""The real server and the real Kokoro model, over TCP, talked to as Home Assistant does."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from wyoming_polytts.testing.client import Reply, describe, stream_reply, synthesize_reply
from wyoming_polytts.testing.launcher import ServerProcess

pytestmark = pytest.mark.e2e

LLM_REPLY = "Sure! I turned on the **kitchen lights**, and it's 21 degrees inside."


def assert_speech(reply: Reply, text: str) -> None:
    """Not silent, at one rate, and about as long as a person would take to say `text`."""
    assert reply.error is None, reply.error
    assert reply.rate == 24000
    assert reply.types.count("audio-start") == 1
    samples = np.frombuffer(bytes(reply.audio), dtype="<i2").astype(np.float32)
    seconds = len(samples) / 24000
    # People speak roughly 8 to 25 characters a second
    assert len(text) / 25 <= seconds <= len(text) / 8 + 1.0, seconds
    assert np.sqrt(np.mean(samples**2)) > 300
    assert np.abs(samples).max() > 3000


async def test_streamed_reply_is_speech(kokoro_server: ServerProcess) -> None:
    reply = await stream_reply(kokoro_server.host, kokoro_server.port, LLM_REPLY, fragment_chars=7)
    assert reply.types[-2:] == ["audio-stop", "synthesize-stopped"]
    assert_speech(
        reply, "Sure! I turned on the kitchen lights, and it's twenty-one degrees inside."
    )
    # The first clause plays before the whole reply is done
    assert reply.first_audio is not None and reply.first_audio < reply.total_seconds


async def test_one_shot_reply_is_speech(kokoro_server: ServerProcess) -> None:
    text = "Good morning. The door is locked."
    reply = await synthesize_reply(kokoro_server.host, kokoro_server.port, text, voice="bm_george")
    assert reply.types[-1] == "audio-stop"
    assert_speech(reply, text)


async def test_other_language_voice(kokoro_server: ServerProcess) -> None:
    text = "Hola, la luz está encendida."
    reply = await stream_reply(kokoro_server.host, kokoro_server.port, text, voice="ef_dora")
    assert_speech(reply, text)


async def test_four_clients_at_once(kokoro_server: ServerProcess) -> None:
    texts = [
        "The garage door is closed.",
        "Your timer is done.",
        "It will rain at noon.",
        "The washing machine has finished.",
    ]
    replies = await asyncio.gather(
        *(stream_reply(kokoro_server.host, kokoro_server.port, text) for text in texts)
    )
    for reply, text in zip(replies, texts, strict=True):
        assert_speech(reply, text)


async def test_describe_is_answered_during_a_long_reply(kokoro_server: ServerProcess) -> None:
    text = "This is a longer answer. It has three sentences. Each one takes a while to say."
    long_reply = asyncio.create_task(stream_reply(kokoro_server.host, kokoro_server.port, text))
    await asyncio.sleep(0.5)
    info = await describe(kokoro_server.host, kokoro_server.port, timeout=5)
    assert not long_reply.done()
    assert len(info.tts[0].voices) == 54
    assert_speech(await long_reply, text)


async def test_bad_input_gets_errors_and_the_server_keeps_serving(
    kokoro_server: ServerProcess,
) -> None:
    host, port = kokoro_server.host, kokoro_server.port
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(b"{not json\n")
    await writer.drain()
    async with asyncio.timeout(5):
        assert await reader.read() == b""
    writer.close()

    unknown = await stream_reply(host, port, "Hello.", voice="no_such_voice")
    assert unknown.error is not None and unknown.error.code == "unknown-voice"
    too_long = await synthesize_reply(host, port, "a" * 20_001)
    assert too_long.error is not None and too_long.error.code == "text-too-long"

    assert_speech(await synthesize_reply(host, port, "Still working."), "Still working.")
