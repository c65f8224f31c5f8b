"""One reply's pace: when its next segment is needed, and how much of it to submit now.

Segments are needed back to back from the moment the first audio left; before that, from
when the first segment is expected to be ready. A segment that would be late is cut where
a speaker would pause (the rest waits first in line), but never so short that the pieces
after it cannot keep up, since each piece pays the engine's fixed cost again. The inputs
all come from the engine's scheduler: its learnt costs, how many replies share a worker and
how long the queue ahead is.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ..text import Segment
from ..text.fit import fit
from ..text.locale import Locale
from .scheduler import Scheduler

_LOGGER = logging.getLogger(__name__)

MARGIN = 0.15
"""Seconds a segment should be ready before the listener needs it."""


@dataclass(frozen=True)
class Piece:
    """What a reply submits next."""

    segment: Segment
    rest: Segment | None
    """What is left of the segment, to go next (None: the whole segment goes now)."""
    deadline: float
    """When the listener will need it."""
    wait: float
    """Expected seconds before a worker takes it."""
    seconds: float
    """About how long its audio lasts."""


class ReplyPace:
    """One reply's timeline and the scheduler of the engine speaking it; decides its pieces."""

    def __init__(self, scheduler: Scheduler, read_ahead: float) -> None:
        """`read_ahead`: seconds of audio synthesized at most beyond what the listener took."""
        self._scheduler = scheduler
        self._clock = scheduler.clock
        self._read_ahead = read_ahead
        self.timeline = 0.0
        """Seconds of audio (and pauses) of the pieces submitted so far."""
        self._written = 0.0
        self._ready_at: float | None = None
        """When the last piece submitted is expected to be ready."""
        self._first_ready_at: float | None = None
        self._first_audio_at: float | None = None

    def use(self, scheduler: Scheduler) -> None:
        """Go on with another engine (a fallback): the timeline stays, the costs change."""
        self._scheduler = scheduler

    def may_submit(self, *, in_flight: bool) -> bool:
        """Whether another piece may go: always when none is in flight, else while the audio
        ahead of the listener is under the read-ahead limit."""
        return not in_flight or self.timeline - self._written < self._read_ahead

    def next_piece(self, segment: Segment, language: str, speed: float) -> Piece:
        """The segment, or as much of it as is ready before the listener runs out of audio."""
        deadline = self.deadline()
        wait = self._scheduler.wait_for_worker(deadline)
        head, rest = self._cut(segment, language, speed, wait)
        seconds = len(head.text) * self._audio_per_char(language, speed)
        return Piece(head, rest, deadline, wait, seconds)

    def submitted(self, piece: Piece, cost: float, pause: float) -> None:
        """`piece` was submitted, expected to cost `cost` seconds, with `pause` after it."""
        self._ready_at = self._start(piece.wait) + cost
        if self._first_ready_at is None:
            self._first_ready_at = self._ready_at
        self.timeline += piece.seconds + pause

    def wrote(self, seconds: float) -> None:
        """The listener was sent `seconds` of audio."""
        if self._first_audio_at is None:
            self._first_audio_at = self._clock()
        self._written += seconds

    def deadline(self) -> float:
        """When the listener will need the next piece."""
        start = self._first_audio_at or self._first_ready_at or self._clock()
        return start + self.timeline

    def budget(self, wait: float) -> float | None:
        """Seconds the next piece may take to synthesize and be in time, given `wait` seconds
        before a worker takes it; None before the first piece (it goes at once)."""
        if self._ready_at is None:
            return None
        return self.deadline() - self._start(wait) - MARGIN

    def _start(self, wait: float) -> float:
        """When a piece submitted now starts: after this reply's previous one and after the
        work that goes before it."""
        return max(self._ready_at or 0.0, self._clock() + wait)

    def _cut(
        self, segment: Segment, language: str, speed: float, wait: float
    ) -> tuple[Segment, Segment | None]:
        """What is ready in time, but never so little that the pieces after it cannot keep
        up. Engines that stream a segment's audio need no cut."""
        budget = self.budget(wait)
        if budget is None or self._scheduler.engine.streams:
            return segment, None
        cost = self._scheduler.costs.cost(language)
        sharers = self._scheduler.sharers
        shortest = cost.sustained_chars(self._audio_per_char(language, speed), sharers)
        if shortest is None:
            return segment, None  # cutting only adds fixed costs to a reply that is late anyway
        max_chars = max(cost.chars_within(budget), shortest)
        head, rest = fit(segment, max_chars, Locale.of(language), min_chars=shortest)
        _LOGGER.debug(
            "Paced: %s of %s characters (%.2f s to be in time, %s to keep up; %s, %.1f sharers)",
            len(head.text),
            len(segment.text),
            budget,
            shortest,
            cost,
            sharers,
        )
        return head, rest

    def _audio_per_char(self, language: str, speed: float) -> float:
        """Seconds of speech per character: as measured on this engine's latest segments,
        else its nominal rate."""
        measured = self._scheduler.costs.speech(language)
        return (measured or 1 / self._scheduler.engine.chars_per_second) / speed
