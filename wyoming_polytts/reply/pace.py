"""One reply's pace: when its next segment is needed, and how much of it to submit now.

A reply's first piece is due FIRST_AUDIO_WITHIN after it is submitted; the pieces after it
back to back from when the listener's player runs out of what it was sent (counting the
waits it had), before any audio from when the first piece is expected to be ready. The
inputs all come from the engine's scheduler: its learnt costs, how many replies share a
worker and how long the queue ahead is.

The first piece is as short as the machine can afford: long enough that the piece after it
is made while it plays (an interjection such as "Hmm," alone on a fast machine; on a slow
one a few words, and a "Sure!" that cannot lead alone waits a moment for the words after
it, longer while other rooms speak). The pause after it may stretch to OPENING_PAUSE for
that: a speaker's beat after "Okay." starts the reply sooner than a first piece twice as
long. Later segments that would be late are cut where a speaker would pause (the rest waits
first in line), to what this reply's share of the worker makes in time, but never so short
that the pieces after them cannot keep up, since each piece pays the engine's fixed cost
again.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, replace

from ..text import Pause, Segment, TextSettings
from ..text.fit import MIN_WORDS, SLACK, fit, shortest_part
from ..text.locale import Locale
from ..text.sentences import SentenceSplitter
from .scheduler import Scheduler

_LOGGER = logging.getLogger(__name__)

MARGIN = 0.15
"""Seconds a segment should be ready before the listener needs it."""
FIRST_AUDIO_WITHIN = 1.0
"""Seconds after it is submitted that a reply's first piece is due: later pieces of replies
already speaking that are due sooner go first, as a stop in speech is worse than a later
start."""
PauseAfter = Callable[[Segment], float]
"""Seconds of silence after a segment (the text pipeline's pauses)."""
WORD_CHARS = 6
"""About the characters of a word and its space, for a piece whose words are not known yet."""
INTERJECTION_WORDS = 2
"""A first clause of at most this many words ("Hmm,", "Oh well,") may be spoken alone,
under text.first_clause_min_words, when the machine affords it."""
OPENING_PAUSE = 0.6
"""Seconds the pause after a reply's first piece may stretch to while the piece after it is
made (from a sentence's 0.3 s or a clause's 0.15 s): silence in the listener's player only
once that is over."""


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
    stretch: float = 0.0
    """Seconds the pause after it may stretch while the piece after it is made."""


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
        self._plays_until: float | None = None
        """When the listener's player runs out of the audio it was sent (it waits for late
        audio, and then plays on from there)."""

    @property
    def started(self) -> bool:
        """Whether a piece was submitted."""
        return self._ready_at is not None

    def use(self, scheduler: Scheduler) -> None:
        """Go on with another engine (a fallback): the timeline stays, the costs change."""
        self._scheduler = scheduler

    def may_submit(self, *, in_flight: bool) -> bool:
        """Whether another piece may go: always when none is in flight, else while the audio
        ahead of the listener is under the read-ahead limit."""
        return not in_flight or self.timeline - self._written < self._read_ahead

    def lead_chars(
        self,
        language: str,
        speed: float,
        pause: float,
        following: Segment | None = None,
        *,
        awaited: bool = False,
        margin: float = MARGIN,
    ) -> int | None:
        """The fewest characters of a first piece whose audio, and the `pause` after it, last
        while the piece after it is made: the shortest cut of `following` (the text after
        it, if known; `awaited`: it has not come yet) that keeps up. None when no length
        keeps up (the engine, or this reply's share of it, is slower than speech) or it
        streams: nothing is gained by waiting then."""
        if self._scheduler.engine.streams:
            return None
        cost = self._scheduler.costs.cost(language)
        per_char = self._audio_per_char(language, speed)
        sharers = self._scheduler.sharers
        shortest = cost.sustained_chars(per_char, sharers)
        if shortest is None:
            return None
        after = _shortest_cut(following, shortest, language, awaited=awaited)
        needed = sharers * cost.seconds(after) + margin - pause
        return max(0, math.ceil(needed / per_char))

    def lead_stretch(
        self,
        chars: int,
        language: str,
        speed: float,
        pause: float,
        following: Segment | None = None,
        *,
        awaited: bool = False,
        margin: float = MARGIN,
    ) -> float | None:
        """Seconds the `pause` after a first piece of `chars` characters must stretch (none
        where it need not, at most to OPENING_PAUSE) for the piece after it to be made while
        they play (`lead_chars`); None when no stretch is enough, or no length keeps up."""
        for stretched in dict.fromkeys((pause, max(pause, OPENING_PAUSE))):
            lead = self.lead_chars(
                language, speed, stretched, following, awaited=awaited, margin=margin
            )
            if lead is None:
                return None
            if chars >= lead:
                return stretched - pause
        return None

    def worth_waiting_for(self, segment: Segment, language: str) -> float:
        """Seconds a first segment too short to lead may wait for the text after it: as long
        as it would take to make alone; while other replies share the engine, up to
        FIRST_AUDIO_WITHIN, since their pieces would come between it and the next."""
        alone = self._scheduler.costs.cost(language).seconds(len(segment.text))
        return max(alone, FIRST_AUDIO_WITHIN) if self._scheduler.sharers > 1 else alone

    def next_piece(
        self, segment: Segment, language: str, speed: float, pause_after: PauseAfter
    ) -> Piece:
        """The segment, or as much of it as is ready before the listener runs out of audio;
        `pause_after`: the silence after a piece."""
        deadline = self.deadline() if self.started else self._clock() + FIRST_AUDIO_WITHIN
        wait = self._scheduler.wait_for_worker(deadline)
        stretch = 0.0
        if self.started:
            head, rest = self._cut(segment, language, speed, wait)
        else:
            head, rest, stretch = self._first_cut(segment, language, speed, pause_after)
        seconds = len(head.text) * self._audio_per_char(language, speed)
        return Piece(head, rest, deadline, wait, seconds, stretch)

    def submitted(self, piece: Piece, cost: float, pause: float) -> None:
        """`piece` was submitted, expected to cost `cost` seconds, with `pause` (and its
        stretch, until `unstretched` says what was not used) after it."""
        self._ready_at = self._start(piece.wait) + cost
        if self._first_ready_at is None:
            self._first_ready_at = self._ready_at
        self.timeline += piece.seconds + pause + piece.stretch

    def unstretched(self, seconds: float) -> None:
        """`seconds` of a pause's stretch were not used: the piece after it came sooner."""
        self.timeline -= seconds

    def plays_for(self) -> float:
        """Seconds before the listener's player runs out of the audio it was sent."""
        return max((self._plays_until or 0.0) - self._clock(), 0.0)

    def wrote(self, seconds: float) -> None:
        """The listener was sent `seconds` of audio."""
        now = self._clock()
        self._plays_until = max(self._plays_until or now, now) + seconds
        self._written += seconds

    def deadline(self) -> float:
        """When the listener will need the next piece: once the audio sent and the pieces
        submitted have played (before any audio was sent, from when the first piece is
        expected)."""
        if self._plays_until is None:
            return (self._first_ready_at or self._clock()) + self.timeline
        return self._plays_until + max(0.0, self.timeline - self._written)

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
        # Replies that share the engine and have nothing queued yet will queue pieces due
        # before this one's: it can count on its share of the time until it is needed
        max_chars = max(cost.chars_within(budget / sharers), shortest)
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

    def _first_cut(
        self, segment: Segment, language: str, speed: float, pause_after: PauseAfter
    ) -> tuple[Segment, Segment | None, float]:
        """The shortest first piece the machine affords, and how much its pause may stretch:
        an interjection alone when the piece after it is made while it and its pause play,
        else at least `lead_chars` long, at the best pause."""
        text = segment.text
        interjection = _interjection(segment, language)
        if interjection is not None:
            head, after = interjection
            stretch = self.lead_stretch(
                len(head.text), language, speed, pause_after(head), after, awaited=after is None
            )
            if stretch is not None:
                return head, after, stretch
        # Where the cut falls is not known yet: a phrase's pause, the shortest, is counted
        phrase = replace(segment, pause=Pause.PHRASE, pause_seconds=None)
        lead = self.lead_chars(language, speed, pause_after(phrase))
        if lead is None or len(text) <= lead:
            return segment, None, self._whole_stretch(segment, language, speed, pause_after)
        # A pause a little past the lead; else the whole segment up to four times the lead
        # ("Done! The front door is locked," not "Done! The front"); past that the
        # interjection alone if the words after it are expected within its stretched pause,
        # if without the margin; and only then the best cut within twice the lead ("Sure!
        # I've turned | on the")
        locale = Locale.of(language)
        head, rest = fit(segment, lead, locale, min_chars=lead, between_words=False)
        if rest is not None and len(head.text) <= 2 * lead:
            return head, rest, 0.0
        if len(text) <= 4 * lead:
            return segment, None, 0.0
        if interjection is not None and interjection[1] is not None:
            head, after = interjection
            pause = pause_after(head)
            chars = len(head.text)
            if self.lead_stretch(chars, language, speed, pause, after, margin=0.0) is not None:
                return head, after, max(OPENING_PAUSE - pause, 0.0)
        return (*fit(segment, 2 * lead, locale, min_chars=lead), 0.0)

    def _whole_stretch(
        self, segment: Segment, language: str, speed: float, pause_after: PauseAfter
    ) -> float:
        """How much the pause after a first piece that is a whole segment must stretch for
        the piece after it; all it may when no stretch is enough (after a "Sure!" that
        waited in vain for the words after it): the wait falls at its end, not inside the
        next sentence. No stretch on an engine that streams: the piece after it is heard soon."""
        if self._scheduler.engine.streams:
            return 0.0
        pause = pause_after(segment)
        stretch = self.lead_stretch(len(segment.text), language, speed, pause, awaited=True)
        return max(OPENING_PAUSE - pause, 0.0) if stretch is None else stretch

    def _audio_per_char(self, language: str, speed: float) -> float:
        """Seconds of speech per character: as measured on this engine's latest segments,
        else its nominal rate."""
        measured = self._scheduler.costs.speech(language)
        return (measured or 1 / self._scheduler.engine.chars_per_second) / speed


def _interjection(segment: Segment, language: str) -> tuple[Segment, Segment | None] | None:
    """A first clause or sentence of at most INTERJECTION_WORDS words ("Hmm,", "Oh well,",
    "Done!" joined with the words after it) and the rest of the segment (None: it is all of
    it)."""
    # The text pipeline's own first cut, with a clause of any length allowed
    splitter = SentenceSplitter(TextSettings(first_clause_min_words=1), Locale.of(language))
    first = splitter.next_cut(segment.text, complete=True, spoken_words=0)
    if first is None or len(first.text.split()) > INTERJECTION_WORDS:
        return None
    rest = segment.text[len(first.text) :].lstrip()
    if not rest:
        return segment, None
    head = replace(segment, text=first.text, pause=first.pause, pause_seconds=None)
    return head, replace(segment, text=rest)


def _shortest_cut(
    following: Segment | None, shortest: int, language: str, *, awaited: bool = False
) -> int:
    """The characters of the shortest piece the text after a first piece can be cut to, no
    shorter than `shortest` (a cut keeps MIN_WORDS words: "I've turned on the kitchen", not
    "I've"); MIN_WORDS words when that text is not known. When it has not come yet
    (`awaited`), also the SLACK `fit` may take to end them at a phrase ("I've turned on the
    kitchen lights"): an interjection sent alone on the shorter guess, before the words
    after it came, was followed by a stop once they did."""
    if following is None:
        guess = MIN_WORDS * WORD_CHARS
        return max(shortest, math.ceil(SLACK * guess) if awaited else guess)
    return max(shortest, shortest_part(following, Locale.of(language), min_chars=shortest))
