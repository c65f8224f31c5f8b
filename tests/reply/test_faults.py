"""Faults stay with the job that met them: workers live on, slots are freed, every wait ends,
load is not mistaken for failure, and the health check tells when the server cannot serve."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from wyoming_polytts.config import Config
from wyoming_polytts.engines.base import Audio, SynthesisRequest
from wyoming_polytts.reply.audio import Pcm16
from wyoming_polytts.reply.cache import PhraseCache
from wyoming_polytts.reply.errors import ReplyFailed
from wyoming_polytts.reply.scheduler import Scheduler
from wyoming_polytts.reply.settings import ReplySettings, RoutingSettings
from wyoming_polytts.testing.client import synthesize_reply
from wyoming_polytts.testing.fake_engine import SECONDS_PER_CHAR, FakeEngine, loaded_fake
from wyoming_polytts.testing.waiting import wait_for

SAMPLES_PER_SECOND = 24000


class BrokenCache(PhraseCache):
    """Fails where the worker stores a finished segment: outside the engine."""

    def put(self, key: object, pcm: Pcm16) -> None:
        raise MemoryError("cache full (simulated)")


class DyingEngine(FakeEngine):
    """Raises what no `except Exception` catches: its worker thread dies."""

    def synthesize(self, request: SynthesisRequest, cancel: threading.Event) -> Iterator[Audio]:
        raise SystemExit("worker killed (simulated)")


def slots_held(service) -> int:  # type: ignore[no-untyped-def]
    return sum(backend.scheduler.replies for backend in service.backends.values())


async def drain(scheduler: Scheduler, text: str) -> list[Audio]:
    job = scheduler.open_reply().submit(SynthesisRequest(text, "af_heart"), deadline=0.0)
    return [block async for block in job.blocks()]


async def test_a_fault_outside_the_engine_ends_only_that_job() -> None:
    scheduler = Scheduler(loaded_fake(), workers=1, max_replies=4, cache=BrokenCache(1 << 20))
    scheduler.start()
    try:
        for text in ("Stored nowhere.", "Nor this."):
            try:
                await drain(scheduler, text)
            except MemoryError:
                pass
            else:
                raise AssertionError("the fault did not reach the reply")
            assert scheduler.workers_alive == 1
    finally:
        scheduler.stop(timeout=5)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
async def test_a_dead_worker_fails_the_health_check_and_the_reply_ends(serve) -> None:
    engine = DyingEngine()
    engine.loaded.set()
    async with serve([engine], Config(routing=RoutingSettings(queue_timeout=1.0))) as server:
        first = await synthesize_reply(server.host, server.port, "Die.")
        assert first.error is not None
        await wait_for(lambda: server.service.backends["kokoro"].scheduler.workers_alive == 0)
        assert server.service.problems() == ["kokoro: 0 of 1 workers alive"]
        # Nobody takes the next segment: it ends after the queue limit instead of hanging
        second = await synthesize_reply(server.host, server.port, "Anyone?")
        assert second.error is not None and second.error.code == "timeout"
        await wait_for(lambda: slots_held(server.service) == 0)


async def test_slots_taken_for_too_long_fail_the_health_check() -> None:
    clock = [0.0]
    scheduler = Scheduler(loaded_fake(), workers=1, max_replies=2, clock=lambda: clock[0])
    scheduler.open_reply()
    assert scheduler.full_since is None
    stuck = scheduler.open_reply()
    assert scheduler.full_since == 0.0
    stuck.close(cancel=True)
    assert scheduler.full_since is None


async def test_every_slot_stuck_is_reported_after_the_configured_time(serve) -> None:
    engine = loaded_fake()
    engine.gate.clear()  # replies never finish
    config = Config(replies=ReplySettings(max_per_engine=1, unhealthy_after=1.0))
    try:
        async with serve([engine], config) as server:
            pending = asyncio.create_task(synthesize_reply(server.host, server.port, "Stuck."))
            scheduler = server.service.backends["kokoro"].scheduler
            await wait_for(lambda: scheduler.full_since is not None)
            assert server.service.problems() == []
            await wait_for(lambda: server.service.problems() != [], timeout=10)
            assert "every reply slot has been taken" in server.service.problems()[0]
            pending.cancel()
    finally:
        engine.gate.set()


async def test_waiting_for_a_worker_is_not_counted_as_the_engines_failure(serve) -> None:
    engine = loaded_fake()
    engine.gate.clear()  # the one worker is busy with the first reply
    routing = RoutingSettings(queue_timeout=1.0)
    try:
        async with serve([engine], Config(routing=routing)) as server:
            busy = asyncio.create_task(synthesize_reply(server.host, server.port, "Long one."))
            await wait_for(lambda: len(engine.requests) == 1)
            queued = await synthesize_reply(server.host, server.port, "Waits in the queue.")
            assert queued.error is not None and queued.error.code == "timeout"
            breaker = server.service.backends.health["kokoro"]
            assert breaker.available() and breaker.failures == 0
            engine.gate.set()
            assert (await busy).audio
    finally:
        engine.gate.set()


async def test_the_last_engine_that_stays_silent_ends_the_reply(serve) -> None:
    """No fallback left: the wait still ends, after the first-audio limit plus the segment's
    expected duration times max_rtf, with a timeout error; the slot is given back."""
    engine = loaded_fake()
    engine.gate.clear()  # started, then silent
    routing = RoutingSettings(first_audio_timeout=0.5, max_rtf=0.5)
    try:
        async with serve([engine], Config(routing=routing)) as server:
            reply = await synthesize_reply(server.host, server.port, "Hello?")
            assert reply.error is not None and reply.error.code == "timeout"
            assert (
                server.service.backends.health["kokoro"].failures == 1
            )  # that is the engine's fault
            await wait_for(lambda: slots_held(server.service) == 0)
    finally:
        engine.gate.set()


async def test_synthesis_keeps_at_most_the_read_ahead_beyond_what_the_client_took(
    serve,
) -> None:
    """A client that takes audio slowly is not served minutes of audio in advance."""
    engine = loaded_fake()
    read_ahead = 2.0
    config = Config(replies=ReplySettings(read_ahead=read_ahead))
    sentence = "One more sentence for the slow listener here. "  # 0.46 s of fake audio
    async with serve([engine], config) as server:
        taken: list[float] = []

        class SlowSink:
            async def write(self, audio: Audio) -> None:
                taken.append(len(audio) / SAMPLES_PER_SECOND)
                await asyncio.sleep(0.05)

            async def close(self) -> None:
                pass

        reply = server.service.open_reply(None, None, SlowSink())
        reply.add_text(sentence * 40)
        reply.end_text()
        ahead = []
        while not reply.done:
            synthesized = sum(len(r.text) * SECONDS_PER_CHAR for r in engine.requests)
            ahead.append(synthesized - sum(taken))
            await asyncio.sleep(0.01)
        await reply.wait()
    spoken_seconds = len(sentence.strip()) * SECONDS_PER_CHAR
    assert sum(r.text.count("listener") for r in engine.requests) == 40  # all of it, once
    assert max(ahead) <= read_ahead + 2 * spoken_seconds  # a segment in flight, one submitted


class TimingOutEngine(FakeEngine):
    """An engine whose own call times out (a remote's socket, say)."""

    def synthesize(self, request: SynthesisRequest, cancel: threading.Event) -> Iterator[Audio]:
        raise TimeoutError("the remote took too long")


async def test_an_engines_own_timeout_is_its_failure_not_a_silent_engine(serve) -> None:
    engine = TimingOutEngine()
    engine.loaded.set()
    async with serve([engine]) as server:
        reply = await synthesize_reply(server.host, server.port, "Hello.")
    assert reply.error is not None and reply.error.code == "synthesis-failed"


async def test_a_failed_reply_cuts_and_submits_no_more_of_its_text(serve) -> None:
    """A client may still send text after its reply failed (a preview does not cancel the
    reply): nobody will hear it, so the engine is never asked to speak it."""
    engine = loaded_fake(fail_on="breaks")

    class QuietSink:
        async def write(self, audio: Audio) -> None:
            pass

        async def close(self) -> None:
            pass

    async with serve([engine]) as server:
        reply = server.service.open_reply(None, None, QuietSink())
        reply.add_text("This sentence breaks the engine. And")
        with pytest.raises(ReplyFailed):
            await reply.wait()
        reply.add_text(" nobody hears this one.")
        reply.end_text()
        await asyncio.sleep(0.3)  # what a segmenter still running would submit, it has by now
        assert [r.text for r in engine.requests] == ["This sentence breaks the engine."]
        assert slots_held(server.service) == 0
