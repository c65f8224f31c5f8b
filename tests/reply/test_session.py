"""Fallback inside one reply, over TCP: a failing engine hands over without a second stream."""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
from collections.abc import Iterator

import numpy as np
import pytest

from wyoming_polytts.config import Config
from wyoming_polytts.engines.base import SAMPLE_RATE, Audio, SynthesisRequest
from wyoming_polytts.reply.circuit import HealthBoard
from wyoming_polytts.reply.settings import CircuitSettings, RoutingSettings
from wyoming_polytts.testing.client import Reply, stream_reply, synthesize_reply
from wyoming_polytts.testing.fake_engine import SECONDS_PER_CHAR, FakeEngine, loaded_fake
from wyoming_polytts.text import TextSettings, split_text

TEXT = (
    "The first sentence is spoken by CSM. The second sentence breaks the engine. "
    "The third sentence comes after it. And a fourth one ends the reply."
)


class PartialFailure(FakeEngine):
    """In a segment with `fail_on`, yields two of its four blocks, then fails."""

    def synthesize(self, request: SynthesisRequest, cancel: threading.Event) -> Iterator[Audio]:
        if self.fail_on is None or self.fail_on not in request.text:
            yield from super().synthesize(request, cancel)
            return
        saved, self.fail_on = self.fail_on, None
        try:
            yield from itertools.islice(super().synthesize(request, cancel), 2)
        finally:
            self.fail_on = saved
        raise RuntimeError(f"injected failure in the middle of {request.text!r}")


def csm_fake(cls: type[FakeEngine] = FakeEngine, **kwargs: object) -> FakeEngine:
    engine = cls(name="csm", voice_names=("csm_0",), **kwargs)  # type: ignore[arg-type]
    engine.cacheable = False  # what makes an engine conversational
    engine.loaded.set()
    return engine


def samples(text: str) -> int:
    return round(len(text) * SECONDS_PER_CHAR * SAMPLE_RATE)


def assert_one_stream(reply: Reply) -> None:
    assert reply.error is None, reply.error
    assert reply.types.count("audio-start") == 1
    assert reply.types[0] == "audio-start"
    assert reply.types[-2:] == ["audio-stop", "synthesize-stopped"]


@pytest.mark.parametrize("engine_class", [FakeEngine, PartialFailure])
async def test_failure_mid_reply_continues_the_same_stream(serve, engine_class, caplog) -> None:
    csm = csm_fake(engine_class, fail_on="breaks", blocks_per_segment=4)
    kokoro = loaded_fake()
    caplog.set_level(logging.WARNING)
    async with serve([csm, kokoro]) as server:
        reply = await stream_reply(server.host, server.port, TEXT, voice="csm_0")
    assert_one_stream(reply)
    segments = split_text(TEXT, TextSettings(), "en-US")
    texts = [segment.text for segment in segments]
    assert len(texts) >= 3 and "breaks" in texts[1]
    assert csm.requests[0].text == texts[0]
    # The fallback says the failed segment again and everything after it, each once
    assert [r.text for r in kokoro.requests] == texts[1:]
    assert {r.voice for r in kokoro.requests} == {"af_heart"}
    # Every segment once, with its pause after it; no gap but the failed segment's
    expected = sum(samples(text) for text in texts) + sum(
        round(SAMPLE_RATE * TextSettings().pauses.after(segment.pause)) for segment in segments[:-1]
    )
    if engine_class is PartialFailure:
        # Its first block was heard (the second was held back to fade it), then a short pause
        expected += len(np.array_split(np.zeros(samples(texts[1])), 4)[0])
        expected += round(SAMPLE_RATE * RoutingSettings().retry_pause)
    assert len(reply.audio) // 2 == expected
    assert "continuing the reply with af_heart (kokoro)" in caplog.text


async def test_one_shot_request_falls_back_too(serve) -> None:
    csm = csm_fake(fail_on="")
    kokoro = loaded_fake()
    async with serve([csm, kokoro]) as server:
        reply = await synthesize_reply(server.host, server.port, "Hello there.", voice="csm_0")
    assert reply.error is None and reply.types[-1] == "audio-stop"
    assert len(reply.audio) // 2 == samples("Hello there.")


async def test_an_engine_that_keeps_quiet_is_replaced_after_the_budget(serve) -> None:
    csm = csm_fake()
    csm.gate.clear()  # CSM hangs
    kokoro = loaded_fake()
    config = Config(routing=RoutingSettings(first_audio_timeout=0.5))
    try:
        async with serve([csm, kokoro], config) as server:
            reply = await stream_reply(
                server.host, server.port, "Hello. Are you there?", voice="csm_0"
            )
    finally:
        csm.gate.set()
    assert_one_stream(reply)
    assert kokoro.requests[0].text == "Hello."
    assert len(reply.audio) // 2 >= sum(samples(r.text) for r in kokoro.requests)


async def test_conversational_mode_waits_for_csm_and_falls_back_when_it_cannot_load(
    serve, caplog
) -> None:
    csm = csm_fake(load_error=RuntimeError("CUDA out of memory"))
    csm.loaded.clear()  # still loading when the request comes
    kokoro = loaded_fake()
    config = Config(routing=RoutingSettings(quality="conversational"))
    async with serve([csm, kokoro], config, loaded=False) as server:
        pending = asyncio.create_task(
            stream_reply(server.host, server.port, "Good morning.", voice="csm_0")
        )
        await asyncio.sleep(0.2)
        assert not pending.done() and not kokoro.requests  # waiting for CSM
        csm.loaded.set()
        reply = await pending
    assert_one_stream(reply)
    assert [r.text for r in kokoro.requests] == ["Good morning."]
    assert "CUDA out of memory; continuing the reply with af_heart" in caplog.text


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_circuit_opens_then_a_probe_closes_it(serve) -> None:
    csm = csm_fake(fail_on="")  # fails every segment
    kokoro = loaded_fake()
    clock = Clock()
    circuit = CircuitSettings(failures=2, window=60, cooldown=30)
    async with serve([csm, kokoro], Config(routing=RoutingSettings(circuit=circuit))) as server:
        server.service.backends.health = HealthBoard(circuit, clock)
        for _ in range(2):
            assert_one_stream(await stream_reply(server.host, server.port, "Hi.", voice="csm_0"))
        tried = len(csm.requests)
        assert tried == 2
        # Open: straight to the fallback, CSM is not even tried
        assert_one_stream(await stream_reply(server.host, server.port, "Hi.", voice="csm_0"))
        assert len(csm.requests) == tried
        assert len(kokoro.requests) == 3
        # After the cool-down one reply probes CSM, which works again
        csm.fail_on = None
        clock.now += 31
        assert_one_stream(await stream_reply(server.host, server.port, "Hi.", voice="csm_0"))
        assert len(csm.requests) == tried + 1
        assert len(kokoro.requests) == 3
        assert server.service.backends.health["csm"].available()


async def test_a_long_reply_whose_engine_beats_its_estimate_is_spoken_to_the_end(serve) -> None:
    """The fake engine speaks 100 characters a second, seven times its estimate: the read-ahead
    limit must not hold back the next segment once nothing is left in flight."""
    text = "Words to fill the read-ahead of this reply. " * 20
    async with serve([loaded_fake()]) as server:
        reply = await synthesize_reply(server.host, server.port, text, timeout=30)
    assert reply.error is None and reply.types[-1] == "audio-stop"
    segments = split_text(text, TextSettings(), "en-US")
    assert reply.audio_seconds >= sum(samples(s.text) for s in segments) / SAMPLE_RATE
