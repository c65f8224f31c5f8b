"""Scheduler order, cancellation, admission and caching, with a fake engine and a fake clock."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from wyoming_polytts.engines.base import SynthesisRequest
from wyoming_polytts.reply.cache import PhraseCache
from wyoming_polytts.reply.scheduler import (
    PAUSE_STRETCH,
    Job,
    JobQueue,
    ReplyTicket,
    Scheduler,
    SchedulerBusy,
)
from wyoming_polytts.testing.fake_engine import SECONDS_PER_CHAR, FakeEngine, loaded_fake
from wyoming_polytts.testing.waiting import wait_for


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def request(text: str) -> SynthesisRequest:
    return SynthesisRequest(text=text, voice="af_heart")


async def drain(job) -> np.ndarray:  # type: ignore[no-untyped-def]
    return np.concatenate([block async for block in job.blocks()])


def queued(
    engine: FakeEngine, *replies: list[tuple[str, float]]
) -> tuple[Scheduler, list[ReplyTicket], list[list[Job]]]:
    """A scheduler, not started yet, with each reply's segments (text, deadline) submitted."""
    scheduler = Scheduler(engine, workers=1, max_replies=8, clock=FakeClock())
    tickets = [scheduler.open_reply() for _ in replies]
    jobs = [
        [ticket.submit(request(text), deadline=deadline) for text, deadline in segments]
        for ticket, segments in zip(tickets, replies, strict=True)
    ]
    return scheduler, tickets, jobs


async def test_segments_go_by_deadline_a_new_replys_first_among_them() -> None:
    """A new room's first segment is due soon after its text came (the pace's
    FIRST_AUDIO_WITHIN), not before everything: a segment of a room already speaking that is
    due sooner goes first, so that room does not stop; one due later waits."""
    engine = loaded_fake()
    playing = [("playing one", 0.0), ("playing two", 1.0), ("playing three", 2.0)]
    scheduler, _, jobs = queued(engine, playing, [("new first", 1.5), ("new second", 2.5)])
    scheduler.start()
    await wait_for(lambda: len(engine.requests) == 5)
    scheduler.stop()
    assert [r.text for r in engine.requests] == [
        "playing one",
        "playing two",
        "new first",
        "playing three",
        "new second",
    ]
    # After a pause (not joining the segment before), a segment is due a little later
    assert [job.deadline for job in jobs[0]] == [0.0, 1.0 + PAUSE_STRETCH, 2.0 + PAUSE_STRETCH]


async def test_a_replys_later_segment_never_goes_before_one_submitted_ahead_of_it() -> None:
    """Its first audio came sooner than expected: the deadlines after it are earlier."""
    engine = loaded_fake()
    other = [("other one", 0.0), ("other two", 7.0)]
    mine = [("mine one", 0.0), ("mine two", 8.0), ("mine three", 6.0), ("mine four", 9.0)]
    scheduler, _, jobs = queued(engine, other, mine)
    scheduler.start()
    await wait_for(lambda: len(engine.requests) == 6)
    scheduler.stop()
    stretched = [0.0, 8.0, 8.0, 9.0] + np.array([0, 1, 1, 1]) * PAUSE_STRETCH
    assert [job.deadline for job in jobs[1]] == pytest.approx(stretched)
    assert [r.text for r in engine.requests] == [
        "other one",
        "mine one",
        "other two",
        "mine two",
        "mine three",
        "mine four",
    ]


def slow_to_make(engine: FakeEngine, clock: FakeClock) -> Scheduler:
    """A scheduler whose costs say 0.2 s + 0.03 s a character, whatever the fake takes."""
    scheduler = Scheduler(engine, workers=1, max_replies=8, clock=clock)
    for chars in range(10, 110, 10):
        scheduler.costs.record("", chars, 0.2 + 0.03 * chars)
    return scheduler


async def sure_made_and_another_room_waiting() -> tuple[
    FakeEngine, FakeClock, Scheduler, ReplyTicket
]:
    """Room A's "Sure!" made, room B's first piece queued and not started; A's ticket."""
    engine = loaded_fake()
    clock = FakeClock()
    scheduler = slow_to_make(engine, clock)
    room_a, room_b = scheduler.open_reply(), scheduler.open_reply()
    scheduler.start()
    sure = room_a.submit(request("Sure!"), deadline=100.0)
    await wait_for(lambda: sure.finished)
    room_b.submit(request("Okay. The washing machine has finished."), deadline=101.0)
    await asyncio.sleep(0.2)
    assert len(engine.requests) == 1
    return engine, clock, scheduler, room_a


async def test_a_room_whose_first_piece_was_made_has_its_second_before_a_new_rooms_first() -> None:
    """Room A's "Sure!" was made and the words after it have not come: room B's first piece
    would keep the worker past when A needs them (when "Sure!" ends), so it waits; A's
    second, submitted then, is made before it although B's is due sooner, since it could
    not be made in time after B's."""
    engine, _, scheduler, room_a = await sure_made_and_another_room_waiting()
    room_a.submit(request("I have turned on the lights."), deadline=100.9)
    await wait_for(lambda: len(engine.requests) == 3)
    scheduler.stop()
    assert [r.text for r in engine.requests] == [
        "Sure!",
        "I have turned on the lights.",
        "Okay. The washing machine has finished.",
    ]


async def test_a_new_rooms_first_piece_waits_no_longer_than_the_other_room_needs() -> None:
    """Room A said "Sure!" and nothing more came: once its audio is over, B's first goes."""
    engine, clock, scheduler, _ = await sure_made_and_another_room_waiting()
    clock.now += len("Sure!") * SECONDS_PER_CHAR
    await wait_for(lambda: len(engine.requests) == 2)
    scheduler.stop()


def test_job_queue_orders_jobs_by_deadline_and_forgets_cancelled_ones() -> None:
    loop = asyncio.new_event_loop()
    try:
        queue = JobQueue()
        jobs = {
            name: Job(request(name), deadline=deadline, loop=loop, cost=len(name))
            for name, deadline in [
                ("late", 9.0),
                ("soon", 1.0),
                ("tied-a", 5.0),
                ("tied-b", 5.0),
                ("middle", 4.0),
            ]
        }
        for job in jobs.values():
            queue.push(job)
        jobs["middle"].cancel()
        assert len(queue) == 4
        # A job due at 5.0 would go after those due then already
        assert queue.seconds_before(5.0) == len("soon") + len("tied-a") + len("tied-b")
        order = []
        while (job := queue.pop()) is not None:
            order.append(job.request.text)
        assert order == ["soon", "tied-a", "tied-b", "late"]
    finally:
        loop.close()


def test_a_job_that_follows_another_waits_until_that_one_finished_or_was_cancelled() -> None:
    loop = asyncio.new_event_loop()
    try:
        queue = JobQueue()
        one = Job(request("one"), deadline=0.0, loop=loop)
        two = Job(request("two"), deadline=1.0, loop=loop, after=one)
        three = Job(request("three"), deadline=2.0, loop=loop, after=two)
        other = Job(request("other"), deadline=9.0, loop=loop)
        for job in (three, two, one, other):
            queue.push(job)
        assert [queue.pop(), queue.pop(), queue.pop()] == [one, other, None]
        assert len(queue) == 2  # two and three wait, in the queue
        one.finish()
        assert queue.pop() is two
        assert queue.pop() is None
        two.cancel()
        assert queue.pop() is three
    finally:
        loop.close()


async def test_an_engine_that_speaks_in_order_gets_a_replys_segments_one_by_one() -> None:
    """Other replies go on meanwhile; a finished segment wakes a worker for the next."""
    engine = loaded_fake()
    engine.segments_in_order = True
    engine.gate.clear()
    scheduler = Scheduler(engine, workers=3, max_replies=4)
    scheduler.start()
    reply = scheduler.open_reply()
    jobs = [reply.submit(request(text), deadline=index) for index, text in enumerate("abc")]
    other = scheduler.open_reply().submit(request("other"), deadline=0.0)
    await wait_for(lambda: len(engine.requests) == 2)
    assert {r.text for r in engine.requests} == {"a", "other"}
    assert scheduler.pending == 2
    engine.gate.set()
    for job in (*jobs, other):
        await drain(job)
    scheduler.stop()
    assert [r.text for r in engine.requests if r.text != "other"] == ["a", "b", "c"]


async def test_cancelled_reply_is_never_synthesized() -> None:
    engine = loaded_fake()
    never = [("never", 0.0), ("never either", 1.0)]
    scheduler, (gone, _), (_, (job,)) = queued(engine, never, [("spoken", 0.0)])
    gone.close(cancel=True)
    scheduler.start()
    audio = await drain(job)
    scheduler.stop()
    assert [r.text for r in engine.requests] == ["spoken"]
    assert len(audio) > 0


async def test_a_new_reply_over_the_limit_is_refused_until_one_closes() -> None:
    scheduler = Scheduler(loaded_fake(), workers=1, max_replies=2)
    first = scheduler.open_reply()
    scheduler.open_reply()
    with pytest.raises(SchedulerBusy, match="limit 2"):
        scheduler.open_reply()
    first.close(cancel=False)
    first.close(cancel=False)  # closing twice frees one slot only
    scheduler.open_reply()
    with pytest.raises(SchedulerBusy):
        scheduler.open_reply()


async def test_engine_errors_reach_the_reply() -> None:
    scheduler = Scheduler(loaded_fake(fail_on="boom"), workers=1, max_replies=2)
    scheduler.start()
    job = scheduler.open_reply().submit(request("boom"), deadline=0.0)
    with pytest.raises(RuntimeError, match="injected failure"):
        await drain(job)
    scheduler.stop()


async def test_repeated_phrase_comes_from_the_cache() -> None:
    engine = loaded_fake()
    cache = PhraseCache(max_bytes=10_000_000)
    scheduler = Scheduler(engine, workers=1, max_replies=4, cache=cache)
    scheduler.start()
    first = await drain(scheduler.open_reply().submit(request("Lights on."), deadline=0.0))
    second = await drain(scheduler.open_reply().submit(request("Lights on."), deadline=0.0))
    other_voice = SynthesisRequest(text="Lights on.", voice="bf_emma")
    await drain(scheduler.open_reply().submit(other_voice, deadline=0.0))
    other_language = SynthesisRequest(text="Lights on.", voice="af_heart", language="fr-FR")
    await drain(scheduler.open_reply().submit(other_language, deadline=0.0))
    scheduler.stop()
    np.testing.assert_array_equal(first, second)
    assert [(r.voice, r.language) for r in engine.requests] == [
        ("af_heart", None),
        ("bf_emma", None),
        ("af_heart", "fr-FR"),
    ]
    assert cache.hits == 1


async def test_engines_that_are_not_cacheable_always_synthesize() -> None:
    engine = loaded_fake()
    engine.cacheable = False
    scheduler = Scheduler(engine, workers=1, max_replies=4, cache=PhraseCache(10_000_000))
    scheduler.start()
    for _ in range(2):
        await drain(scheduler.open_reply().submit(request("Same."), deadline=0.0))
    scheduler.stop()
    assert len(engine.requests) == 2


async def test_of_two_late_segments_the_one_inside_a_sentence_goes_first() -> None:
    """The rest of a sentence cut for time goes before another room's next sentence due a
    little sooner: a wait then lengthens that room's pause, not a stop inside a sentence."""
    scheduler = Scheduler(loaded_fake(), workers=1, max_replies=8, clock=FakeClock())
    kitchen, office = scheduler.open_reply(), scheduler.open_reply()
    kitchen.submit(request("Hmm, the front door"), deadline=100.0)
    office.submit(request("Sure!"), deadline=100.0)
    office_next = office.submit(request("I've turned on the lights."), deadline=101.8)
    rest = kitchen.submit(request("sensor has not reported,"), deadline=102.0, joins=True)
    later = kitchen.submit(request("Its battery may be empty."), deadline=102.0)
    assert rest.deadline < office_next.deadline < later.deadline
    for ticket in (kitchen, office):
        ticket.close(cancel=True)
