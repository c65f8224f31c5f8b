"""The engines, each with its scheduler, loaded in the background after start-up, and
their circuit breakers: what state each engine is in, and why the server is unhealthy."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterable, Iterator, Mapping

from ..engines.base import Engine
from ..engines.errors import EngineUnavailable
from .circuit import HealthBoard
from .planner import EngineState, EngineStatus
from .scheduler import Scheduler

_LOGGER = logging.getLogger(__name__)


class Backend:
    """Loads its engine off the event loop; requests that come early wait for it.

    The load runs in a daemon thread of its own, not the loop's executor: a shutdown
    during a long load or a model download must not wait for it (what a download leaves
    behind never passes as a valid file)."""

    def __init__(self, scheduler: Scheduler) -> None:
        self.scheduler = scheduler
        self._loaded: asyncio.Future[None] | None = None
        self.load_seconds: float | None = None
        """How long the engine took to load (once it has)."""

    @property
    def engine(self) -> Engine:
        return self.scheduler.engine

    @property
    def ready(self) -> bool:
        return self._loaded is not None and self._loaded.done() and not self._loaded.exception()

    @property
    def failed(self) -> bool:
        return self.error is not None

    @property
    def error(self) -> BaseException | None:
        """Why the engine failed to load (once it has)."""
        if self._loaded is None or not self._loaded.done() or self._loaded.cancelled():
            return None
        return self._loaded.exception()

    def start_loading(self) -> None:
        """Begin loading in a thread; Describe is answered meanwhile."""
        if self._loaded is not None:
            return
        loop = asyncio.get_running_loop()
        loaded: asyncio.Future[None] = loop.create_future()
        # The failure is logged by the thread and raised to each waiting request
        loaded.add_done_callback(lambda done: done.cancelled() or done.exception())
        self._loaded = loaded

        def load() -> None:
            error = self._load()
            try:
                loop.call_soon_threadsafe(_settle, loaded, error)
            except RuntimeError:  # the loop closed during the load: nobody waits any more
                _LOGGER.debug("%s loaded after the server stopped", self.engine.name)

        threading.Thread(target=load, name=f"{self.engine.name}-load", daemon=True).start()

    async def wait_ready(self) -> None:
        """Return once the engine serves requests; raise EngineUnavailable if it never will."""
        self.start_loading()
        assert self._loaded is not None
        await asyncio.shield(self._loaded)

    def _load(self) -> EngineUnavailable | None:
        started = time.monotonic()
        try:
            self.engine.load()
        except EngineUnavailable as err:  # says what to fix: no traceback
            _LOGGER.error("Engine %s is unavailable: %s", self.engine.name, err)
            return err
        except Exception as err:
            _LOGGER.exception("Engine %s failed to load", self.engine.name)
            return EngineUnavailable(f"{self.engine.name} failed to load: {err}")
        self.load_seconds = time.monotonic() - started
        self.scheduler.start()
        return None

    def stop(self, timeout: float = 0.0) -> bool:
        """Stop the workers (waiting up to `timeout` s) and the engine; whether nothing of
        the engine runs any more (no segment, no load)."""
        self.engine.close()
        self.scheduler.stop(timeout)
        loading = self._loaded is None or not self._loaded.done()
        return not loading and self.scheduler.workers_alive == 0


def _settle(loaded: asyncio.Future[None], error: EngineUnavailable | None) -> None:
    if loaded.done():
        return
    if error is None:
        loaded.set_result(None)
    else:
        loaded.set_exception(error)


class Backends(Mapping[str, Backend]):
    """Every engine's backend by engine name, with the engines' circuit breakers."""

    def __init__(self, backends: Iterable[Backend], health: HealthBoard) -> None:
        self._by_name = {backend.engine.name: backend for backend in backends}
        self.health = health

    def __getitem__(self, name: str) -> Backend:
        return self._by_name[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    def start_loading(self) -> None:
        for backend in self._by_name.values():
            backend.start_loading()

    def stop(self, timeout: float = 0.0) -> bool:
        """Stop every engine (see Backend.stop); whether all of them stopped working."""
        return all([backend.stop(timeout) for backend in self._by_name.values()])

    def statuses(self) -> dict[str, EngineStatus]:
        """What the router needs to know of each engine."""
        statuses = {}
        for name, backend in self._by_name.items():
            if backend.failed:
                state = EngineState.FAILED
            elif not self.health[name].available():
                state = EngineState.OPEN
            else:
                state = EngineState.READY if backend.ready else EngineState.LOADING
            # An engine whose speech depends on the conversation is what "conversational" wants
            statuses[name] = EngineStatus(state, conversational=not backend.engine.cacheable)
        return statuses

    def problems(self, unhealthy_after: float) -> list[str]:
        """Why the engines cannot serve, if they cannot (for the health check): dead workers,
        or every reply slot taken for `unhealthy_after` seconds; [] when healthy."""
        found = []
        for name, backend in self._by_name.items():
            scheduler = backend.scheduler
            if backend.ready and scheduler.workers_alive < backend.engine.concurrency:
                alive, wanted = scheduler.workers_alive, backend.engine.concurrency
                found.append(f"{name}: {alive} of {wanted} workers alive")
            full_for = scheduler.clock() - (scheduler.full_since or scheduler.clock())
            if full_for > unhealthy_after:
                found.append(f"{name}: every reply slot has been taken for {full_for:.0f} s")
        return found
