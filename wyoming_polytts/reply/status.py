"""A read-only picture of the server: engines, phrase cache, satellites and recent activity.

Built on demand from the parts that know (backends, circuit breakers, history store, the
reply recorder); it holds numbers and names only, never what was said.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .. import __version__
from ..satellites.front_door import SatelliteReport
from .activity import Activity
from .backend import Backend
from .circuit import HealthBoard
from .planner import EngineStatus


@dataclass(frozen=True)
class EngineReport:
    name: str
    state: str
    """ready, loading, failed or open (its circuit is open)."""
    device: str
    load_seconds: float | None
    workers: int
    circuit: str
    """closed, open or half-open."""
    queued_segments: int
    voices: int


@dataclass(frozen=True)
class CacheReport:
    hits: int
    misses: int
    size_bytes: int
    max_bytes: int

    @property
    def hit_rate(self) -> float | None:
        lookups = self.hits + self.misses
        return self.hits / lookups if lookups else None


@dataclass(frozen=True)
class ServerStatus:
    version: str
    engines: tuple[EngineReport, ...]
    cache: CacheReport | None
    """None when the phrase cache is off."""
    satellites: tuple[SatelliteReport, ...]
    """The profiles first (in configuration order), then the other keys with history."""
    activity: Activity


def server_status(
    *,
    backends: Iterable[Backend],
    states: Mapping[str, EngineStatus],
    health: HealthBoard,
    satellites: tuple[SatelliteReport, ...],
    activity: Activity,
) -> ServerStatus:
    backends = tuple(backends)
    engines = tuple(
        EngineReport(
            name=backend.engine.name,
            state=states[backend.engine.name].state.value,
            device=backend.engine.device,
            load_seconds=backend.load_seconds,
            workers=backend.engine.concurrency,
            circuit=health[backend.engine.name].state.value,
            queued_segments=backend.scheduler.pending,
            voices=len(backend.engine.voices()),
        )
        for backend in backends
    )
    # The engines share one phrase cache
    cache = next((c for backend in backends if (c := backend.scheduler.cache) is not None), None)
    return ServerStatus(
        version=__version__,
        engines=engines,
        cache=(
            CacheReport(cache.hits, cache.misses, cache.size_bytes, cache.max_bytes)
            if cache is not None
            else None
        ),
        satellites=satellites,
        activity=activity,
    )
