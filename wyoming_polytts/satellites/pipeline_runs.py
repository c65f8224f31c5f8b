"""The question a satellite replies to, from Home Assistant's pipeline runs.

Home Assistant offers no subscription to other clients' pipeline runs; it keeps the latest
runs of each pipeline for its debug view (`assist_pipeline/pipeline_debug/*`, which needs
an administrator's token). The run a reply belongs to started in the satellite's current
exchange and has not ended: an ended run's question was answered already.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from .tracker import RunFacts, parse_time, run_facts

Call = Callable[[dict[str, Any]], Awaitable[Any]]
"""Sends a websocket command and returns its result."""


async def find_run(
    call: Call, entity_id: str, *, since: datetime | None, runs_to_check: int
) -> RunFacts | None:
    """The facts of the satellite's run in progress that started at or after `since`."""
    entry = await call({"type": "config/entity_registry/get", "entity_id": entity_id})
    device_id = entry.get("device_id") if isinstance(entry, Mapping) else None
    listing = await call({"type": "assist_pipeline/pipeline/list"})
    runs: list[tuple[datetime, str, str]] = []
    for pipeline in listing.get("pipelines", ()):
        debug = await call(
            {"type": "assist_pipeline/pipeline_debug/list", "pipeline_id": pipeline["id"]}
        )
        for run in debug.get("pipeline_runs", ()):
            started = parse_time(run.get("timestamp"))
            if started is not None and (since is None or started >= since):
                runs.append((started, pipeline["id"], run["pipeline_run_id"]))
    for _started, pipeline_id, run_id in sorted(runs, reverse=True)[:runs_to_check]:
        run = await call(
            {
                "type": "assist_pipeline/pipeline_debug/get",
                "pipeline_id": pipeline_id,
                "pipeline_run_id": run_id,
            }
        )
        facts = run_facts(run.get("events", ()), device_id, entity_id)
        if facts is not None:
            return facts
    return None
