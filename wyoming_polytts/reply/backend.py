"""An engine with its scheduler, loaded in the background after start-up."""

from __future__ import annotations

import asyncio
import logging

from ..engines.base import Engine
from ..engines.errors import EngineUnavailable
from .scheduler import Scheduler

_LOGGER = logging.getLogger(__name__)


class Backend:
    """Loads its engine off the event loop; requests that come early wait for it."""

    def __init__(self, scheduler: Scheduler) -> None:
        self.scheduler = scheduler
        self._loaded: asyncio.Future[None] | None = None

    @property
    def engine(self) -> Engine:
        return self.scheduler.engine

    @property
    def ready(self) -> bool:
        return self._loaded is not None and self._loaded.done() and not self._loaded.exception()

    @property
    def failed(self) -> bool:
        return self._loaded is not None and self._loaded.done() and bool(self._loaded.exception())

    def start_loading(self) -> None:
        """Begin loading in a worker thread; Describe is answered meanwhile."""
        if self._loaded is None:
            self._loaded = asyncio.ensure_future(self._load())
            # The failure is logged in _load and raised to each waiting request
            self._loaded.add_done_callback(lambda done: done.cancelled() or done.exception())

    async def wait_ready(self) -> None:
        """Return once the engine serves requests; raise EngineUnavailable if it never will."""
        self.start_loading()
        assert self._loaded is not None
        await asyncio.shield(self._loaded)

    async def _load(self) -> None:
        try:
            await asyncio.to_thread(self.engine.load)
        except EngineUnavailable:
            _LOGGER.exception("Engine %s is unavailable", self.engine.name)
            raise
        except Exception as err:
            _LOGGER.exception("Engine %s failed to load", self.engine.name)
            raise EngineUnavailable(f"{self.engine.name} failed to load: {err}") from err
        self.scheduler.start()

    def stop(self) -> None:
        self.scheduler.stop()
        self.engine.close()
