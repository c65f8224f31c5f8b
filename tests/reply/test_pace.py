"""Segments sized to the audio in hand, on the engine's learnt costs and a clock the test holds."""

from __future__ import annotations

import asyncio

import pytest

from wyoming_polytts.engines.base import SynthesisRequest
from wyoming_polytts.reply.pace import MARGIN, Piece, ReplyPace
from wyoming_polytts.reply.scheduler import Scheduler
from wyoming_polytts.testing.client import synthesize_reply
from wyoming_polytts.testing.fake_engine import loaded_fake
from wyoming_polytts.testing.waiting import wait_for
from wyoming_polytts.text import Pause, Segment

REPLY = (
    "Sure! I've turned on the kitchen lights and set them to forty percent brightness, "
    "and the living room is at twenty one degrees."
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_replies_share_the_workers() -> None:
    scheduler = Scheduler(loaded_fake(), workers=2, max_replies=8)
    tickets = [scheduler.open_reply()]
    assert scheduler.sharers == 1.0  # one reply on two workers has no more than one
    tickets += [scheduler.open_reply() for _ in range(4)]
    assert scheduler.sharers == 2.5
    for ticket in tickets:
        ticket.close(cancel=True)
    assert scheduler.sharers == 1.0


def test_the_second_segment_has_until_the_first_one_has_played() -> None:
    clock = Clock()
    pace = ReplyPace(Scheduler(loaded_fake(), workers=1, max_replies=8, clock=clock), 30.0)
    assert pace.budget(wait=0.0) is None  # the first goes at once, whole
    sure = Piece(Segment("Sure!", Pause.SENTENCE), None, deadline=100.0, wait=0.0, seconds=0.66)
    pace.submitted(sure, cost=0.25, pause=0.3)  # "Sure!" and its pause
    assert pace.deadline() == pytest.approx(100.25 + 0.96)
    assert pace.budget(wait=0.0) == pytest.approx(0.96 - MARGIN)
    clock.now = 100.2
    pace.wrote(0.1)  # it was heard a little earlier than expected
    assert pace.deadline() == pytest.approx(100.2 + 0.96)
    # Work of other rooms that goes first leaves less time
    assert pace.budget(wait=0.5) == pytest.approx(100.2 + 0.96 - (100.2 + 0.5) - MARGIN)


async def test_queued_work_that_goes_first_delays_a_later_segment() -> None:
    clock = Clock()
    engine = loaded_fake()
    scheduler = Scheduler(engine, workers=2, max_replies=8, clock=clock)
    scheduler.costs.record("en-US", 10, 0.3)
    scheduler.costs.record("en-US", 110, 1.3)  # 0.2 s + 0.01 s a character
    ticket = scheduler.open_reply()
    for deadline in (101.0, 105.0, 109.0):
        ticket.submit(SynthesisRequest("x" * 100, "af_heart"), deadline=deadline, language="en-US")
    # The first segment goes before everything; the one due at 105 before one due at 106
    assert scheduler.wait_for_worker(106.0) == pytest.approx((1.2 + 1.2) / 2)
    assert scheduler.wait_for_worker(200.0) == pytest.approx((1.2 * 3) / 2)
    ticket.close(cancel=True)
    assert scheduler.wait_for_worker(200.0) == 0.0


async def spoken_pieces(serve, samples: list[tuple[int, float]]) -> list[str]:  # type: ignore[no-untyped-def]
    """The pieces REPLY is spoken in, planned while the engine's costs are those of
    `samples` (characters, seconds): nothing finishes before the reply is planned."""
    engine = loaded_fake(streams=False)
    engine.gate.clear()
    async with serve([engine]) as server:
        costs = server.service.backends["kokoro"].scheduler.costs
        for chars, seconds in samples:
            costs.record("en-US", chars, seconds)
        pending = asyncio.create_task(synthesize_reply(server.host, server.port, REPLY))
        await wait_for(lambda: len(engine.requests) == 1)
        engine.gate.set()
        reply = await pending
    assert reply.error is None
    return [request.text for request in engine.requests]


async def test_a_long_sentence_after_a_short_first_one_is_cut_to_be_ready_in_time(serve) -> None:
    """On a slow engine the long sentence would leave the listener in silence after "Sure!":
    its first phrase goes alone, and the pieces grow as audio builds up."""
    pieces = await spoken_pieces(serve, [(10, 0.1), (100, 0.55)])  # 0.05 s + 0.005 s a char
    # "Sure!" plays 0.05 s, then its 0.3 s pause: the next piece has 0.2 s (30 characters)
    # once the margin is kept; each piece played gives the next one more time
    assert pieces == [
        "Sure!",
        "I've turned on the kitchen lights",
        "and set them to forty percent brightness,",
        "and the living room is at twenty one degrees.",
    ]


async def test_an_engine_fast_enough_speaks_whole_sentences(serve) -> None:
    pieces = await spoken_pieces(serve, [(10, 0.001), (100, 0.01)])
    assert pieces == [
        "Sure!",
        "I've turned on the kitchen lights and set them to forty percent brightness, "
        "and the living room is at twenty one degrees.",
    ]


async def test_with_a_high_fixed_cost_a_cut_is_never_shorter_than_what_keeps_up(serve) -> None:
    """Cut to what fits the 0.2 s after "Sure!", each piece would pay 0.3 s again, and the
    pieces would shrink until one is late: the first piece is at least 60 characters."""
    pieces = await spoken_pieces(serve, [(10, 0.35), (100, 0.8)])  # 0.3 s + 0.005 s a char
    assert pieces[:2] == [
        "Sure!",
        "I've turned on the kitchen lights and set them to forty percent brightness,",
    ]


async def test_an_engine_slower_than_speech_is_never_cut(serve) -> None:
    pieces = await spoken_pieces(serve, [(10, 0.2), (100, 2.0)])  # 0.02 s a character
    assert pieces == [
        "Sure!",
        "I've turned on the kitchen lights and set them to forty percent brightness, "
        "and the living room is at twenty one degrees.",
    ]
