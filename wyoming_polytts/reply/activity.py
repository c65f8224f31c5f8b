"""What the server did lately, for the status page and the metrics; numbers and names only.

The protocol handler reports connections and refused requests, each reply session its
progress (audio written, synthesis time, fallbacks, how it ended) through the record the
recorder gives it; the web part reads snapshots. A reply's text is never kept.
"""

from __future__ import annotations

import bisect
import itertools
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

OK = "ok"
CANCELLED = "cancelled"
"""The listener left, or the reply was dropped (e.g. its text grew too long)."""
RECENT_REPLIES = 50
FIRST_AUDIO_BUCKETS = (0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0, 13.0)
"""Upper bounds (seconds) of the first-audio histogram; one more bucket holds the rest."""
UNDERRUN_SLACK = 0.001
"""Seconds a block may come after a player needed it before it counts as an underrun."""


@dataclass
class Histogram:
    """Counts of observations per bucket of FIRST_AUDIO_BUCKETS (not cumulative)."""

    bounds: ClassVar[tuple[float, ...]] = FIRST_AUDIO_BUCKETS
    counts: list[int] = field(default_factory=lambda: [0] * (len(FIRST_AUDIO_BUCKETS) + 1))
    """One count per bound, then the count above the last bound."""
    total: float = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.total += value

    def add(self, other: Histogram) -> None:
        self.counts = [
            mine + theirs for mine, theirs in zip(self.counts, other.counts, strict=True)
        ]
        self.total += other.total

    @property
    def count(self) -> int:
        return sum(self.counts)


@dataclass
class EngineTotals:
    """Everything one engine did since start-up."""

    replies: Counter[str] = field(default_factory=Counter)
    """Replies that ended on this engine, by outcome: ok, cancelled or an error code."""
    first_audio: Histogram = field(default_factory=Histogram)
    audio_seconds: float = 0.0
    """Audio sent while this engine spoke, pauses included."""
    synthesis_seconds: float = 0.0
    """Time its workers spent on the segments that were spoken."""
    underruns: int = 0
    fallbacks: Counter[str] = field(default_factory=Counter)
    """Replies that moved from this engine to another, by that engine."""

    def add(self, other: EngineTotals) -> None:
        self.replies.update(other.replies)
        self.first_audio.add(other.first_audio)
        self.audio_seconds += other.audio_seconds
        self.synthesis_seconds += other.synthesis_seconds
        self.underruns += other.underruns
        self.fallbacks.update(other.fallbacks)


def add_totals(into: dict[str, EngineTotals], totals: Mapping[str, EngineTotals]) -> None:
    """Add each engine's `totals` to `into`."""
    for engine, more in totals.items():
        into.setdefault(engine, EngineTotals()).add(more)


@dataclass(frozen=True)
class ReplySummary:
    """One reply as the status page lists it."""

    id: int
    started_at: float
    """Wall-clock time (seconds since the epoch)."""
    satellite: str
    """Its context key."""
    engine: str
    """The engine speaking now, or the one that spoke last."""
    voice: str
    first_audio: float | None
    """Seconds from the reply's start to its first audio."""
    audio_seconds: float
    synthesis_seconds: float
    underruns: int
    fallbacks: tuple[str, ...]
    """Engines it moved to, in order."""
    outcome: str | None
    """None while in progress; ok, cancelled or an error code."""
    duration: float

    @property
    def real_time_factor(self) -> float | None:
        """Synthesis time per second of audio: below 1 keeps ahead of the listener."""
        return self.synthesis_seconds / self.audio_seconds if self.audio_seconds else None


@dataclass(frozen=True)
class Activity:
    """A snapshot of the recorder."""

    started_at: float
    uptime: float
    connections: int
    connections_total: int
    in_progress: tuple[ReplySummary, ...]
    recent: tuple[ReplySummary, ...]
    """Finished replies, newest first."""
    engines: Mapping[str, EngineTotals]
    errors: Mapping[str, int]
    """Error events sent, by code (refused requests and failed replies)."""

    def replies_in_progress(self, engine: str) -> int:
        return sum(1 for reply in self.in_progress if reply.engine == engine)


class ReplyRecord:
    """One reply's progress; its session reports to it on the event loop."""

    def __init__(
        self, recorder: ReplyRecorder, number: int, engine: str, voice: str, satellite: str
    ) -> None:
        self._recorder = recorder
        self._clock = recorder.clock
        self._id = number
        self._engine = engine
        self._voice = voice
        self._satellite = satellite
        self._started = self._clock()
        self._started_at = recorder.wall_clock()
        self._ended: float | None = None
        self._outcome: str | None = None
        self._first_audio: float | None = None
        self._playback_start = 0.0
        self._played = 0.0
        self._fallbacks: list[str] = []
        self._totals: dict[str, EngineTotals] = {}

    def wrote(self, seconds: float) -> None:
        """`seconds` of audio go to the listener now; a player would stall if it came late."""
        now = self._clock()
        totals = self._engine_totals()
        if self._first_audio is None:
            self._first_audio = now - self._started
            totals.first_audio.observe(self._first_audio)
            self._playback_start = now
        elif now > self._playback_start + self._played + UNDERRUN_SLACK:
            totals.underruns += 1
            self._playback_start = now - self._played  # the player resumes from here
        self._played += seconds
        totals.audio_seconds += seconds

    def synthesized(self, seconds: float) -> None:
        """A spoken segment took `seconds` of its engine's time."""
        self._engine_totals().synthesis_seconds += seconds

    def attributed(self, *, engine: str, voice: str, satellite: str) -> None:
        """Before its first audio, the reply turned out to speak for another satellite."""
        self._engine, self._voice, self._satellite = engine, voice, satellite

    def fell_back(self, engine: str, voice: str) -> None:
        self._engine_totals().fallbacks[engine] += 1
        self._fallbacks.append(engine)
        self._engine, self._voice = engine, voice

    def finish(self, outcome: str) -> None:
        """The reply ended (ok, cancelled or an error code); later calls change nothing."""
        if self._outcome is None:
            self._outcome = outcome
            self._ended = self._clock()
            self._engine_totals().replies[outcome] += 1
            self._recorder.record_finished(self)

    def add_to(self, totals: dict[str, EngineTotals]) -> None:
        """Add what this reply did to `totals` (by engine)."""
        add_totals(totals, self._totals)

    def summary(self) -> ReplySummary:
        end = self._ended if self._ended is not None else self._clock()
        return ReplySummary(
            id=self._id,
            started_at=self._started_at,
            satellite=self._satellite,
            engine=self._engine,
            voice=self._voice,
            first_audio=self._first_audio,
            audio_seconds=self._played,
            synthesis_seconds=sum(t.synthesis_seconds for t in self._totals.values()),
            underruns=sum(t.underruns for t in self._totals.values()),
            fallbacks=tuple(self._fallbacks),
            outcome=self._outcome,
            duration=end - self._started,
        )

    def _engine_totals(self) -> EngineTotals:
        return self._totals.setdefault(self._engine, EngineTotals())


class ReplyRecorder:
    """Connections, replies in progress, the last replies and totals since start-up.

    Used on the event loop only, like the sessions and the handlers that report to it.
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        keep: int = RECENT_REPLIES,
    ) -> None:
        self.clock = clock
        self.wall_clock = wall_clock
        self._started = clock()
        self._started_at = wall_clock()
        self._numbers = itertools.count(1)
        self._active: dict[int, ReplyRecord] = {}
        self._recent: deque[ReplySummary] = deque(maxlen=keep)
        self._totals: dict[str, EngineTotals] = {}
        self._refused: Counter[str] = Counter()
        self._connections = 0
        self._connections_total = 0

    def reply_started(self, *, engine: str, voice: str, satellite: str) -> ReplyRecord:
        number = next(self._numbers)
        record = self._active[number] = ReplyRecord(self, number, engine, voice, satellite)
        return record

    def record_finished(self, record: ReplyRecord) -> None:
        """Called by a record when its reply ends."""
        summary = record.summary()
        self._active.pop(summary.id, None)
        self._recent.appendleft(summary)
        record.add_to(self._totals)

    def refused(self, code: str) -> None:
        """An error event was sent for a request that no reply record covers."""
        self._refused[code] += 1

    def connection_opened(self) -> None:
        self._connections += 1
        self._connections_total += 1

    def connection_closed(self) -> None:
        self._connections -= 1

    def snapshot(self) -> Activity:
        active = list(self._active.values())
        totals: dict[str, EngineTotals] = {}
        add_totals(totals, self._totals)
        for record in active:
            record.add_to(totals)
        errors = Counter(self._refused)
        for engine_totals in totals.values():
            errors.update(
                {code: n for code, n in engine_totals.replies.items() if code not in _ENDINGS}
            )
        return Activity(
            started_at=self._started_at,
            uptime=self.clock() - self._started,
            connections=self._connections,
            connections_total=self._connections_total,
            in_progress=tuple(record.summary() for record in active),
            recent=tuple(self._recent),
            engines=totals,
            errors=dict(errors),
        )


_ENDINGS = frozenset({OK, CANCELLED})
