"""What an engine's segments cost: learnt from the segments it spoke.

Kokoro speaks a segment in one block, after a fixed start-up cost and a cost per character,
and both differ fivefold between machines (AVX-512 VNNI or not). A reply sizes its next
segment so that it is ready before the listener runs out of audio: it needs these costs
for this machine, this engine and this language, fitted to the latest segments spoken.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

WINDOW = 32
"""Latest segments per language that the costs are fitted to."""


@dataclass(frozen=True)
class Cost:
    fixed: float
    """Seconds a segment costs whatever its length."""
    per_char: float
    """Seconds each character adds."""

    def seconds(self, chars: int) -> float:
        return self.fixed + self.per_char * chars

    def chars_within(self, seconds: float) -> int:
        """The longest segment that is spoken within `seconds` (0 when none is)."""
        return max(0, int((seconds - self.fixed) / self.per_char))

    def sustained_chars(self, audio_per_char: float, sharers: float = 1.0) -> int | None:
        """The shortest segment whose audio lasts while the next one as long is made, with
        the worker shared by `sharers` replies: a shorter one leaves less time for the next,
        so the pieces shrink until one is late anyway, each paying the fixed cost again.
        None: no length does (the engine, or this reply's share of it, is slower than
        speech)."""
        surplus = audio_per_char - sharers * self.per_char
        if surplus <= 0:
            return None
        return math.ceil(sharers * self.fixed / surplus)


PRIOR = Cost(fixed=0.2, per_char=0.03)
"""Before anything is measured: a slow machine's Kokoro (about real time at 14 characters
a second); the first measurements replace it."""


class CostModel:
    """The costs of one engine per language, and how long its speech lasts per character;
    thread-safe (workers record, replies read)."""

    def __init__(self, prior: Cost = PRIOR) -> None:
        self._prior = prior
        self._samples: dict[str, deque[tuple[int, float]]] = {}
        self._fitted: dict[str, Cost] = {}
        self._spoken: dict[str, deque[tuple[int, float]]] = {}
        self._lock = threading.Lock()

    def record(
        self, language: str, chars: int, seconds: float, audio_seconds: float | None = None
    ) -> None:
        """A segment of `chars` characters took `seconds` to speak, and lasts `audio_seconds`
        at speed 1 (None: not known, as for a segment cut short)."""
        if chars <= 0 or seconds <= 0:
            return
        with self._lock:
            samples = self._samples.setdefault(language, deque(maxlen=WINDOW))
            samples.append((chars, seconds))
            self._fitted[language] = _fit(samples, self._prior)
            if audio_seconds:
                self._spoken.setdefault(language, deque(maxlen=WINDOW)).append(
                    (chars, audio_seconds)
                )

    def cost(self, language: str) -> Cost:
        with self._lock:
            return self._fitted.get(language) or _any(self._fitted) or self._prior

    def speech(self, language: str) -> float | None:
        """Seconds of audio per character at speed 1, over the latest segments; None before
        any was measured."""
        with self._lock:
            spoken = self._spoken.get(language) or _any(self._spoken)
            if not spoken:
                return None
            return sum(audio for _, audio in spoken) / sum(chars for chars, _ in spoken)


def _any(by_language: Mapping[str, T]) -> T | None:
    """Another language's figures: the same engine on the same machine is closer than a guess."""
    return next(iter(by_language.values()), None)


def _fit(samples: deque[tuple[int, float]], prior: Cost) -> Cost:
    """Least squares over (characters, seconds); with one length only, the prior's fixed cost
    and the rest per character. Costs never go negative."""
    count = len(samples)
    mean_chars = sum(chars for chars, _ in samples) / count
    mean_seconds = sum(seconds for _, seconds in samples) / count
    spread = sum((chars - mean_chars) ** 2 for chars, _ in samples)
    if spread < 1.0:
        fixed = min(prior.fixed, mean_seconds / 2)
        return Cost(fixed, max((mean_seconds - fixed) / mean_chars, 1e-4))
    slope = (
        sum((chars - mean_chars) * (seconds - mean_seconds) for chars, seconds in samples) / spread
    )
    per_char = max(slope, 1e-4)
    fixed = max(mean_seconds - per_char * mean_chars, 0.0)
    return Cost(fixed, per_char)
