"""Circuit breakers: an engine that keeps failing is skipped for a while, then probed.

Closed: requests go to the engine; `failures` failures within `window` seconds open it.
Open: requests go straight to the fallback for `cooldown` seconds; a success now (of a
reply that started earlier) changes nothing.
Half-open: one reply probes the engine; its success closes the circuit, its failure
opens it again. A probe that never reports (its client left) expires after `cooldown`.
Only the engine's own faults count: time a segment waited for a worker is load.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from .settings import CircuitSettings

_LOGGER = logging.getLogger(__name__)


class CircuitState(enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


class CircuitBreaker:
    """The health of one engine; thread-safe."""

    def __init__(
        self, name: str, settings: CircuitSettings, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.name = name
        self._settings = settings
        self._clock = clock
        self._failures: deque[float] = deque()
        self._opened_at: float | None = None
        self._probe_since: float | None = None
        self._lock = threading.Lock()

    @property
    def state(self) -> CircuitState:
        with self._lock:
            return self._state()

    def _state(self) -> CircuitState:
        if self._opened_at is None:
            return CircuitState.CLOSED
        if self._clock() - self._opened_at < self._settings.cooldown:
            return CircuitState.OPEN
        return CircuitState.HALF_OPEN

    @property
    def failures(self) -> int:
        """Failures counted towards opening the circuit (within the window)."""
        with self._lock:
            return len(self._failures)

    def available(self) -> bool:
        """Whether a new reply may use the engine (closed, or half-open with no probe running)."""
        with self._lock:
            state = self._state()
            if state is CircuitState.HALF_OPEN:
                return not self._probing()
            return state is CircuitState.CLOSED

    def begin(self) -> None:
        """A reply starts on the engine; in half-open state it becomes the probe."""
        with self._lock:
            if self._state() is CircuitState.HALF_OPEN and not self._probing():
                _LOGGER.info("Probing %s after its cool-down", self.name)
                self._probe_since = self._clock()

    def _probing(self) -> bool:
        return (
            self._probe_since is not None
            and self._clock() - self._probe_since < self._settings.cooldown
        )

    def record_success(self) -> None:
        """A segment the engine synthesized itself (a cache hit proves nothing)."""
        with self._lock:
            state = self._state()
            if state is CircuitState.OPEN:
                return  # a reply that began before the circuit opened: no proof of recovery
            if state is CircuitState.HALF_OPEN:
                _LOGGER.info("%s works again; circuit closed", self.name)
                self._opened_at = self._probe_since = None
            self._failures.clear()

    def record_failure(self) -> None:
        with self._lock:
            now = self._clock()
            if self._opened_at is not None:
                if self._state() is CircuitState.HALF_OPEN:
                    _LOGGER.warning("%s failed its probe; circuit open again", self.name)
                    self._opened_at, self._probe_since = now, None
                return
            self._failures.append(now)
            while self._failures and now - self._failures[0] > self._settings.window:
                self._failures.popleft()
            if len(self._failures) >= self._settings.failures:
                _LOGGER.warning(
                    "%s failed %s times in %.0f s; sending its requests to the fallback for %.0f s",
                    self.name,
                    len(self._failures),
                    self._settings.window,
                    self._settings.cooldown,
                )
                self._opened_at = now
                self._failures.clear()


class HealthBoard:
    """One circuit breaker per engine name, made on first use."""

    def __init__(
        self, settings: CircuitSettings, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._breakers: dict[str, CircuitBreaker] = {}
        self._lock = threading.Lock()

    def __getitem__(self, engine: str) -> CircuitBreaker:
        with self._lock:
            breaker = self._breakers.get(engine)
            if breaker is None:
                breaker = self._breakers[engine] = CircuitBreaker(
                    engine, self._settings, self._clock
                )
            return breaker
