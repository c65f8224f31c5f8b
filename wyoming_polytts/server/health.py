"""Whether the server can serve, as one event: the health check asks, not just Describe.

Describe proves the event loop answers; this also tells when the engines cannot work
(dead workers, every reply slot taken for too long), which Info has no field for.
"""

from __future__ import annotations

from wyoming.event import Event

HEALTH_EVENT = "polytts-health"
"""Ours, not the protocol's: other clients never send it, and ignore it if they see it."""


def health_event(problems: list[str]) -> Event:
    return Event(type=HEALTH_EVENT, data={"healthy": not problems, "problems": problems})


def problems_of(event: Event) -> list[str] | None:
    """The problems a health answer reports (empty: healthy); None if it is not one."""
    if event.type != HEALTH_EVENT or not isinstance(event.data, dict):
        return None
    problems = event.data.get("problems")
    if not isinstance(problems, list) or not all(isinstance(p, str) for p in problems):
        return None
    return problems
