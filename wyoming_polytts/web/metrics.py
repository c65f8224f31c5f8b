"""Prometheus metrics at /metrics: every scrape reads the service's status once.

Names follow Prometheus conventions: `polytts_` prefix, base units (`_seconds`, `_bytes`),
counters end in `_total`; label values are engine names, outcomes and error codes only.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from ..reply.activity import EngineTotals, Histogram
from ..reply.circuit import CircuitState
from ..reply.planner import EngineState
from ..reply.service import TtsService
from ..reply.status import ServerStatus

ENGINE_STATES = tuple(state.value for state in EngineState if state is not EngineState.ABSENT)
CIRCUIT_STATES = tuple(state.value for state in CircuitState)


def metrics_registry(service: TtsService) -> CollectorRegistry:
    """The service's metrics with the process's (memory, CPU, open files) and Python's."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StatusCollector(service))
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry


class StatusCollector(Collector):
    def __init__(self, service: TtsService) -> None:
        self._service = service

    def collect(self) -> Iterator[Metric]:
        status = self._service.status()
        yield from _server(status)
        yield from _engines(status)
        yield from _activity(status)
        yield from _cache(status)


def _server(status: ServerStatus) -> Iterator[Metric]:
    info = InfoMetricFamily("polytts_build", "The running version.")
    info.add_metric([], {"version": status.version})
    yield info
    activity = status.activity
    yield GaugeMetricFamily(
        "polytts_open_connections", "Wyoming connections open.", value=activity.connections
    )
    yield CounterMetricFamily(
        "polytts_connections", "Wyoming connections accepted.", value=activity.connections_total
    )
    yield GaugeMetricFamily(
        "polytts_satellites",
        "Satellites (context keys) with a conversation history.",
        value=sum(1 for satellite in status.satellites if satellite.turns),
    )
    errors = CounterMetricFamily(
        "polytts_errors", "Error events sent, by code (busy, unknown-voice, ...).", labels=["code"]
    )
    for code, count in sorted(activity.errors.items()):
        errors.add_metric([code], count)
    yield errors


def _engines(status: ServerStatus) -> Iterator[Metric]:
    state = GaugeMetricFamily(
        "polytts_engine_state", "1 for the engine's current state.", labels=["engine", "state"]
    )
    circuit = GaugeMetricFamily(
        "polytts_circuit_state",
        "1 for the current state of the engine's circuit breaker.",
        labels=["engine", "state"],
    )
    load = GaugeMetricFamily(
        "polytts_engine_load_seconds", "How long the engine took to load.", labels=["engine"]
    )
    workers = GaugeMetricFamily(
        "polytts_engine_workers", "Segments the engine synthesizes at once.", labels=["engine"]
    )
    queued = GaugeMetricFamily(
        "polytts_queued_segments", "Segments waiting for a worker.", labels=["engine"]
    )
    for engine in status.engines:
        for name in ENGINE_STATES:
            state.add_metric([engine.name, name], float(engine.state == name))
        for name in CIRCUIT_STATES:
            circuit.add_metric([engine.name, name], float(engine.circuit == name))
        if engine.load_seconds is not None:
            load.add_metric([engine.name], engine.load_seconds)
        workers.add_metric([engine.name], engine.workers)
        queued.add_metric([engine.name], engine.queued_segments)
    yield from (state, circuit, load, workers, queued)


def _activity(status: ServerStatus) -> Iterator[Metric]:
    activity = status.activity
    totals = {engine.name: EngineTotals() for engine in status.engines}
    totals.update(activity.engines)
    in_progress = GaugeMetricFamily(
        "polytts_replies_in_progress", "Replies being spoken.", labels=["engine"]
    )
    for engine in totals:
        in_progress.add_metric([engine], activity.replies_in_progress(engine))
    replies = CounterMetricFamily(
        "polytts_replies",
        "Replies that ended, by the engine that ended them and outcome (ok, cancelled, a code).",
        labels=["engine", "outcome"],
    )
    fallbacks = CounterMetricFamily(
        "polytts_fallbacks",
        "Replies that moved from an engine to another mid-reply.",
        labels=["engine", "to"],
    )
    first_audio = HistogramMetricFamily(
        "polytts_first_audio_seconds",
        "Seconds from a reply's start to its first audio.",
        labels=["engine"],
    )
    synthesis = CounterMetricFamily(
        "polytts_synthesis_seconds", "Engine time spent on spoken segments.", labels=["engine"]
    )
    audio = CounterMetricFamily(
        "polytts_audio_seconds", "Audio sent, pauses included.", labels=["engine"]
    )
    underruns = CounterMetricFamily(
        "polytts_underruns",
        "Audio that came later than a player started at the first audio needed it.",
        labels=["engine"],
    )
    for engine, total in sorted(totals.items()):
        for outcome, count in sorted(total.replies.items()):
            replies.add_metric([engine, outcome], count)
        for target, count in sorted(total.fallbacks.items()):
            fallbacks.add_metric([engine, target], count)
        first_audio.add_metric(
            [engine], _cumulative(total.first_audio), sum_value=total.first_audio.total
        )
        synthesis.add_metric([engine], total.synthesis_seconds)
        audio.add_metric([engine], total.audio_seconds)
        underruns.add_metric([engine], total.underruns)
    yield from (in_progress, replies, fallbacks, first_audio, synthesis, audio, underruns)


def _cumulative(histogram: Histogram) -> list[tuple[str, float]]:
    bounds = [*map(str, histogram.bounds), "+Inf"]
    running = 0
    buckets: list[tuple[str, float]] = []
    for bound, count in zip(bounds, histogram.counts, strict=True):
        running += count
        buckets.append((bound, running))
    return buckets


def _cache(status: ServerStatus) -> Iterator[Metric]:
    cache = status.cache
    if cache is None:
        return
    yield CounterMetricFamily("polytts_cache_hits", "Phrase cache hits.", value=cache.hits)
    yield CounterMetricFamily("polytts_cache_misses", "Phrase cache misses.", value=cache.misses)
    yield GaugeMetricFamily(
        "polytts_cache_bytes", "Audio held by the cache.", value=cache.size_bytes
    )
    yield GaugeMetricFamily(
        "polytts_cache_max_bytes", "The phrase cache's size limit.", value=cache.max_bytes
    )
