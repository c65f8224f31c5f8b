"""Segments sized to the audio in hand, on the engine's learnt costs and a clock the test holds."""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from wyoming_polytts.engines.base import Audio, SynthesisRequest
from wyoming_polytts.reply.pace import FIRST_AUDIO_WITHIN, MARGIN, OPENING_PAUSE, Piece, ReplyPace
from wyoming_polytts.reply.scheduler import Scheduler
from wyoming_polytts.testing.client import Reply, stream_reply, synthesize_reply
from wyoming_polytts.testing.fake_engine import SECONDS_PER_CHAR, FakeEngine, loaded_fake
from wyoming_polytts.testing.waiting import wait_for
from wyoming_polytts.text import Pause, Segment, TextSettings

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


def test_after_a_wait_the_next_piece_is_due_that_much_later() -> None:
    """The listener's player stood silent for 0.8 s: what it still has to play ends 0.8 s
    later, and so the next piece is due 0.8 s later too."""
    clock = Clock()
    pace = ReplyPace(Scheduler(loaded_fake(), workers=1, max_replies=8, clock=clock), 30.0)
    for seconds in (0.5, 2.0):
        piece = Piece(Segment("x", Pause.SENTENCE), None, deadline=100.0, wait=0.0, seconds=seconds)
        pace.submitted(piece, cost=0.2, pause=0.0)
    clock.now = 100.2
    pace.wrote(0.5)  # the first piece, played until 100.7
    assert pace.deadline() == pytest.approx(100.7 + 2.0)
    clock.now = 101.5  # the second piece comes 0.8 s after the player ran dry
    pace.wrote(1.0)
    assert pace.deadline() == pytest.approx(101.5 + 2.0)


async def test_a_first_piece_is_due_soon_and_cut_pieces_count_on_their_share() -> None:
    """A new reply's first piece is due FIRST_AUDIO_WITHIN after it is submitted; with two
    replies on one worker, a later piece is cut to what is made in half the time it has."""
    clock = Clock()
    scheduler = Scheduler(loaded_fake(streams=False), workers=1, max_replies=8, clock=clock)
    scheduler.costs.record("en-US", 10, 0.3, audio_seconds=0.7)
    scheduler.costs.record("en-US", 110, 1.3, audio_seconds=7.7)  # 0.2 s + 0.01 s a char
    tickets = [scheduler.open_reply()]
    pace = ReplyPace(scheduler, read_ahead=30.0)
    first = pace.next_piece(Segment("Hello there.", Pause.SENTENCE), "en-US", 1.0, pause_after)
    assert first.deadline == pytest.approx(100.0 + FIRST_AUDIO_WITHIN)
    pace.submitted(first, cost=0.3, pause=0.0)  # ready at 100.3, its audio lasts 0.84 s

    def cut() -> str:
        piece = pace.next_piece(Segment(REPLY[6:], Pause.SENTENCE), "en-US", 1.0, pause_after)
        return piece.segment.text

    # "Hello there." lasts 0.84 s: 0.69 s to be in time, 49 characters alone; shared, 14,
    # and the cut goes to the first phrase past them
    assert cut() == "I've turned on the kitchen lights and set them"
    tickets.append(scheduler.open_reply())
    assert cut() == "I've turned on the kitchen lights"
    for ticket in tickets:
        ticket.close(cancel=True)


async def test_sure_waits_longer_for_the_words_after_it_while_another_room_speaks() -> None:
    """Alone it waits as long as it takes to make; with another reply on the worker, that
    reply's pieces would come between "Sure!" and the words after it."""
    scheduler = Scheduler(loaded_fake(streams=False), workers=1, max_replies=8)
    scheduler.costs.record("en-US", 10, 0.3)
    scheduler.costs.record("en-US", 110, 1.3)
    pace = ReplyPace(scheduler, read_ahead=30.0)
    sure = Segment("Sure!", Pause.SENTENCE)
    tickets = [scheduler.open_reply()]
    assert pace.worth_waiting_for(sure, "en-US") == pytest.approx(0.25)
    tickets.append(scheduler.open_reply())
    assert pace.worth_waiting_for(sure, "en-US") == FIRST_AUDIO_WITHIN
    for ticket in tickets:
        ticket.close(cancel=True)


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


TEXT_CUTS = [
    "Sure!",
    "I've turned on the kitchen lights and set them to forty percent brightness,",
    "and the living room is at twenty one degrees.",
]
"""The reply as the text pipeline cuts it: the clause after an interjection goes alone."""


async def test_an_engine_fast_enough_speaks_the_texts_own_pieces(serve) -> None:
    assert await spoken_pieces(serve, [(10, 0.001), (100, 0.01)]) == TEXT_CUTS


async def test_with_a_high_fixed_cost_a_cut_is_never_shorter_than_what_keeps_up(serve) -> None:
    """Pieces shorter than 60 characters would each pay 0.3 s again and shrink until one is
    late. "Sure!" cannot lead: its 0.05 s and its pause leave too little time to make 60
    characters (0.6 s), so it leads with the words after it, to the first pause past the
    70 characters whose audio covers that."""
    pieces = await spoken_pieces(serve, [(10, 0.35), (100, 0.8)])  # 0.3 s + 0.005 s a char
    assert pieces == [
        "Sure! I've turned on the kitchen lights and set them to forty percent brightness,",
        "and the living room is at twenty one degrees.",
    ]


async def test_an_engine_slower_than_speech_is_never_cut(serve) -> None:
    pieces = await spoken_pieces(serve, [(10, 0.2), (100, 2.0)])  # 0.02 s a character
    assert pieces == TEXT_CUTS


HMM = (
    "Hmm, the front door sensor hasn't reported anything since yesterday afternoon, "
    "so its battery may be empty."
)
PAUSES = TextSettings().pauses


def pause_after(segment: Segment) -> float:
    return PAUSES.after(segment.pause)


def first_cut(samples: list[tuple[int, float]], *, streams: bool = False, text: str = HMM) -> Piece:
    """The first piece of `text` on an engine whose costs are those of `samples`."""
    scheduler = Scheduler(loaded_fake(streams=streams), workers=1, max_replies=8)
    for chars, seconds in samples:
        scheduler.costs.record("en-US", chars, seconds, audio_seconds=chars * 0.07)
    pace = ReplyPace(scheduler, read_ahead=30.0)
    return pace.next_piece(Segment(text, Pause.SENTENCE), "en-US", 1.0, pause_after)


def first_piece(samples: list[tuple[int, float]], *, streams: bool = False, text: str = HMM) -> str:
    return first_cut(samples, streams=streams, text=text).segment.text


def test_on_a_cheap_engine_the_interjection_is_spoken_alone() -> None:
    """0.1 s + 0.005 s a character: the shortest piece the rest is cut to, "the front door
    sensor" (three words), is made while "Hmm," and its pause play."""
    assert first_piece([(10, 0.15), (100, 0.6)]) == "Hmm,"


def test_the_pause_after_an_interjection_may_stretch_where_that_lets_it_lead() -> None:
    """0.3 s + 0.01 s a character: "Hmm," (0.28 s) and a clause's pause end before the three
    words after it are made (0.44 s and the margin), not with the pause stretched to
    OPENING_PAUSE: it leads alone, its pause free to stretch that far. On a cheaper engine
    it need not stretch."""
    piece = first_cut([(10, 0.4), (100, 1.3)])
    assert piece.segment.text == "Hmm,"
    assert piece.stretch == pytest.approx(OPENING_PAUSE - PAUSES.clause)
    assert first_cut([(10, 0.15), (100, 0.6)]).stretch == 0.0


def test_a_pause_free_to_stretch_counts_until_it_is_known_how_much_of_it_was_used() -> None:
    clock = Clock()
    pace = ReplyPace(Scheduler(loaded_fake(), workers=1, max_replies=8, clock=clock), 30.0)
    hmm = Piece(Segment("Hmm,", Pause.CLAUSE), None, 100.0, wait=0.0, seconds=0.3, stretch=0.45)
    pace.submitted(hmm, cost=0.4, pause=0.15)
    assert pace.deadline() == pytest.approx(100.4 + 0.3 + 0.15 + 0.45)
    clock.now = 100.4
    pace.wrote(0.3 + 0.15 + 0.2)  # "Hmm,", its pause and 0.2 s of the stretch
    pace.unstretched(0.25)  # the piece after it had audio by then
    assert pace.deadline() == pytest.approx(100.4 + 0.65)


def test_on_an_expensive_engine_the_first_piece_is_what_the_next_needs() -> None:
    """0.35 s + 0.04 s a character, speech 0.07 s a character: the three words after "Hmm,"
    (0.91 s to make) would come after it and its pause, stretched, have played (0.88 s);
    the first piece is long enough for a piece that keeps up to be made while it plays,
    ended where the words allow, not "Hmm," alone and not the 13-word clause."""
    piece = first_piece([(10, 0.75), (100, 4.35)])
    assert piece == "Hmm, the front door sensor hasn't reported anything"


def test_the_interjection_leads_rather_than_a_cut_in_a_phrase_when_the_next_is_near() -> None:
    """0.35 s + 0.033 s a character: the three words after "Hmm," (0.81 s) are expected
    within it and its stretched pause (0.88 s), if not by the margin: rather that than
    "Hmm, the front door sensor | hasn't", a cut inside a phrase."""
    piece = first_cut([(10, 0.68), (100, 3.65)])
    assert (piece.segment.text, piece.stretch) == ("Hmm,", OPENING_PAUSE - PAUSES.clause)


def test_an_interjection_leads_alone_only_if_the_words_after_it_can_be_cut_short() -> None:
    """0.2 s + 0.005 s a character: "Hmm," (0.28 s) and its pause cover a three-word piece
    (0.3 s to make) but not the 160 characters before the first place to cut, even with the
    pause stretched to OPENING_PAUSE."""
    samples = [(10, 0.25), (100, 0.7)]
    assert first_piece(samples) == "Hmm,"
    unbroken = "Hmm, the " + "frontdoorsensor" * 10 + " since yesterday afternoon."
    assert first_piece(samples, text=unbroken) != "Hmm,"


DONE = "Done! The front door is locked now,"
"""A first segment joined from "Done!" and the clause after it, come while "Done!" waited."""


def test_a_joined_interjection_still_leads_alone_when_the_machine_affords_it() -> None:
    assert first_piece([(10, 0.15), (100, 0.6)], text=DONE) == "Done!"


def test_a_first_piece_is_a_little_longer_rather_than_cut_inside_a_phrase() -> None:
    """1 s + 0.01 s a character: "Done!" alone leaves too little time for the clause after
    it, and the lead falls inside "The front door"; the segment, under four times
    the lead, goes whole rather than as "Done! The front door"."""
    assert first_piece([(10, 1.1), (100, 2.0)], text=DONE) == DONE
    assert first_piece([(10, 0.9), (100, 1.8)], text=DONE) == DONE  # a shorter lead


def test_an_engine_slower_than_speech_or_streaming_speaks_the_segment_whole() -> None:
    """Slower than speech (0.08 s a character), the wait for the next piece falls in the
    first sentence's pause, stretched as far as it goes; a streaming engine needs none."""
    slow = first_cut([(10, 0.9), (100, 8.1)])
    assert slow.segment.text == HMM
    assert slow.stretch == pytest.approx(OPENING_PAUSE - PAUSES.sentence)
    streaming = first_cut([(10, 0.15), (100, 0.6)], streams=True)
    assert (streaming.segment.text, streaming.stretch) == (HMM, 0.0)


async def first_request(serve, fragment_delay: float) -> str:  # type: ignore[no-untyped-def]
    """The first segment REPLY's first piece is made of, streamed with `fragment_delay`
    between its fragments, on an engine for which 60 characters keep up (0.3 s + 0.005 s a
    character, speech 0.01 s a character)."""
    engine = loaded_fake(streams=False)
    async with serve([engine]) as server:
        costs = server.service.backends["kokoro"].scheduler.costs
        for chars, seconds in [(10, 0.35), (100, 0.8)]:
            costs.record("en-US", chars, seconds)
        reply = await stream_reply(server.host, server.port, REPLY, fragment_delay=fragment_delay)
    assert reply.error is None
    return engine.requests[0].text


@pytest.mark.parametrize(
    ("fragment_delay", "first"),
    [
        (
            0.005,
            "Sure! I've turned on the kitchen lights and set them to forty percent brightness,",
        ),
        (0.5, "Sure!"),  # the next sentence is complete only seconds later
    ],
)
async def test_sure_waits_a_moment_for_the_words_after_it_on_a_slow_engine(
    serve, fragment_delay: float, first: str
) -> None:
    """Alone, "Sure!" and its pause would play before a piece that keeps up is made: it
    leads with the words after it when they come within what it takes to make (0.3 s), and
    alone when they do not."""
    assert await first_request(serve, fragment_delay) == first


async def test_a_room_that_begins_while_sure_waits_makes_it_wait_longer(serve) -> None:
    """Alone, "Sure!" (cut once the next word came, at 0.25 s) waits as long as it takes to
    make (0.45 s) for the words after it, since it and its pause, stretched, would not last
    while the piece after it is made (0.15 + 0.6 s against 0.67 s and the margin); another
    room that begins in that time makes the wait FIRST_AUDIO_WITHIN, and the clause that
    comes 0.5 s after "Sure!" joins it."""
    engine = loaded_fake(streams=False)
    engine.gate.clear()  # nothing is made, so the costs stay as recorded
    async with serve([engine]) as server:
        costs = server.service.backends["kokoro"].scheduler.costs
        for chars, seconds in [(10, 0.5), (100, 1.4)]:  # 0.4 s + 0.01 s a character
            costs.record("en-US", chars, seconds, audio_seconds=chars * 0.03)

        def room(text: str, delay: float) -> asyncio.Task[Reply]:
            reply = stream_reply(
                server.host, server.port, text, fragment_chars=6, fragment_delay=delay
            )
            return asyncio.create_task(reply)

        sure = room("Sure! Now I see it, and it is so.", 0.25)
        await asyncio.sleep(0.4)
        other = room("Hello there, my friend.", 0.5)
        await wait_for(lambda: any(r.text.startswith("Sure!") for r in engine.requests))
        engine.gate.set()
        assert (await sure).error is None and (await other).error is None
    first = next(request.text for request in engine.requests if request.text.startswith("Sure!"))
    assert first.startswith("Sure! Now I see it")


@dataclass
class SecondSegmentStuck(FakeEngine):
    """Speaks the first segment at once and the later ones once released."""

    release: threading.Event = field(default_factory=threading.Event)

    def synthesize(self, request: SynthesisRequest, cancel: threading.Event) -> Iterator[Audio]:
        if self.requests:
            self.release.wait(timeout=30)
        yield from super().synthesize(request, cancel)


async def test_the_pause_after_a_segment_is_sent_before_the_next_one_is_ready(serve) -> None:
    """A late segment is waited for in the sentence's pause, not after it; after a reply's
    first piece that pause stretches to OPENING_PAUSE while the next is made, and no more."""
    engine = SecondSegmentStuck(streams=False)
    engine.loaded.set()
    text = "Sure! " + "Then more words follow. " * 3
    async with serve([engine]) as server:
        pending = asyncio.create_task(synthesize_reply(server.host, server.port, text))
        await wait_for(lambda: len(engine.requests) == 1)
        await asyncio.sleep(1.5)
        (reply,) = server.service.recorder.snapshot().in_progress
        engine.release.set()
        assert (await pending).error is None
    assert reply.audio_seconds == pytest.approx(
        len("Sure!") * SECONDS_PER_CHAR + OPENING_PAUSE, abs=0.01
    )


async def test_the_pause_goes_out_when_the_next_segment_comes_after_the_last_one_played(
    serve,
) -> None:
    """The next sentence's text came only after "Sure!" was spoken: the pause still goes as
    soon as the sentence is on its way, and the wait for its audio falls after it (an engine
    that streams: no stretch)."""
    engine = SecondSegmentStuck()
    engine.loaded.set()
    text = "Sure! Then more words follow."
    async with serve([engine]) as server:
        pending = asyncio.create_task(
            stream_reply(server.host, server.port, text, fragment_chars=6, fragment_delay=0.2)
        )
        await wait_for(lambda: len(engine.requests) == 1)
        await asyncio.sleep(1.5)  # the rest of the text comes in 0.8 s; its audio is stuck
        (reply,) = server.service.recorder.snapshot().in_progress
        engine.release.set()
        assert (await pending).error is None
    assert reply.audio_seconds == pytest.approx(
        len("Sure!") * SECONDS_PER_CHAR + PAUSES.sentence, abs=0.01
    )


def test_before_the_words_after_it_come_an_interjection_counts_on_a_phrase_after_it() -> None:
    """0.1 s + 0.02 s a character, speech 0.07 s a character: three words (18 characters)
    would be made while "Sure!" and its pause play, but the piece after it ends at a phrase,
    up to half as long again (27 characters): "Sure!" waits for the words after it."""
    scheduler = Scheduler(loaded_fake(streams=False), workers=1, max_replies=8)
    for chars, seconds in [(10, 0.3), (110, 2.3)]:
        scheduler.costs.record("en-US", chars, seconds, audio_seconds=chars * 0.07)
    pace = ReplyPace(scheduler, read_ahead=30.0)
    lead = pace.lead_chars("en-US", 1.0, PAUSES.sentence, awaited=True)
    assert lead == math.ceil((0.1 + 0.02 * 27 + MARGIN - PAUSES.sentence) / 0.07)
    assert lead is not None and lead > len("Sure!")
    assert pace.lead_chars("en-US", 1.0, PAUSES.sentence) == len("Sure!")  # 18 characters
