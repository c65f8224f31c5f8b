"""The question a satellite replies to, from Home Assistant's pipeline runs.

Home Assistant offers no subscription to other clients' pipeline runs; it keeps the latest
runs of each pipeline for its debug view (`assist_pipeline/pipeline_debug/*`, which needs
an administrator's token).

Which run a reply belongs to (`in_exchange`): the satellite's own run (its device or entity
in the run's `intent-start`) of its current exchange, the one that began when the satellite
left idle. Home Assistant stamps each event of a run before it writes the satellite state
the event causes (`stt-start` -> `listening`), and creates the run earlier still, before a
wake word is even heard; so the run's exchange began at its `stt-start` (its creation when
it has none), at most `EXCHANGE_LEAD` before the satellite left idle. A run that ended
before the satellite left idle is an earlier exchange's (an announcement that follows must
not take its question); one that ended since is this reply's (a quick run ends before its
reply is read). Every time compared is Home Assistant's own, so this server's clock never
enters; when the moment the satellite left idle is unknown, only a run in progress counts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from .tracker import RunFacts, parse_time, run_facts

Call = Callable[[dict[str, Any]], Awaitable[Any]]
"""Sends a websocket command and returns its result."""

EXCHANGE_LEAD = timedelta(seconds=5)
"""How long before the satellite left idle its run's exchange may have begun (Home
Assistant stamps an event, then writes the state it causes; a busy one takes a while)."""


async def find_run(
    call: Call, entity_id: str, *, since: datetime | None, runs_to_check: int
) -> RunFacts | None:
    """The facts of the satellite's run of the exchange that began at `since` (when it left
    idle, Home Assistant's time), among the newest `runs_to_check` runs."""
    entry = await call({"type": "config/entity_registry/get", "entity_id": entity_id})
    device_id = entry.get("device_id") if isinstance(entry, Mapping) else None
    listing = await call({"type": "assist_pipeline/pipeline/list"})
    runs: list[tuple[datetime, str, str]] = []
    for pipeline in listing.get("pipelines", ()):
        debug = await call(
            {"type": "assist_pipeline/pipeline_debug/list", "pipeline_id": pipeline["id"]}
        )
        for run in debug.get("pipeline_runs", ()):
            created = parse_time(run.get("timestamp"))
            if created is not None:
                runs.append((created, pipeline["id"], run["pipeline_run_id"]))
    for created, pipeline_id, run_id in sorted(runs, reverse=True)[:runs_to_check]:
        run = await call(
            {
                "type": "assist_pipeline/pipeline_debug/get",
                "pipeline_id": pipeline_id,
                "pipeline_run_id": run_id,
            }
        )
        events = run.get("events", ())
        if not in_exchange(events, created, since):
            continue
        facts = run_facts(events, device_id, entity_id)
        if facts is not None:
            return facts
    return None


def in_exchange(events: Iterable[object], created: datetime, since: datetime | None) -> bool:
    """Whether a run (its events, its creation) is of the exchange that began at `since`."""
    by_type: dict[str, Mapping[str, Any]] = {}
    for event in events:
        if isinstance(event, Mapping):
            by_type.setdefault(str(event.get("type")), event)
    end = by_type.get("run-end")
    if since is None:
        return end is None
    began = parse_time(by_type.get("stt-start", {}).get("timestamp")) or created
    if began < since - EXCHANGE_LEAD:
        return False
    ended = parse_time(end.get("timestamp")) if end is not None else None
    return end is None or (ended is not None and ended >= since)
