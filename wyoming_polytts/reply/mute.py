"""A server none of whose engines can speak is not healthy: it says why and stops.

Every request on it would get `engine-unavailable`; serving on while the health check says
`healthy` would hide that from Docker and the Supervisor. An engine still loading (a model
download, a remote that has not answered yet) may still speak, so only a settled failure of
every engine counts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection

from .backend import Backend


class NoEngineCanSpeak(Exception):
    """Every engine failed to load, or none is enabled; the message says why."""


def mute_problem(backends: Collection[Backend]) -> str | None:
    """Why no engine can speak (each engine's failure), or None while one can or may."""
    if not backends:
        return "no engine can speak: none is enabled (kokoro.enabled, csm or remotes)"
    if not all(backend.failed for backend in backends):
        return None
    return "no engine can speak: " + "; ".join(
        f"{backend.engine.name}: {backend.error}" for backend in backends
    )


async def until_mute(backends: Collection[Backend]) -> str:
    """Why no engine can speak, once every engine has failed to load (never once one loaded)."""
    await asyncio.gather(*(backend.wait_ready() for backend in backends), return_exceptions=True)
    problem = mute_problem(backends)
    if problem is None:  # an engine speaks
        await asyncio.Event().wait()
    assert problem is not None
    return problem


async def until_stopped(stopping: asyncio.Event, backends: Collection[Backend]) -> str | None:
    """Wait until `stopping` is set (None) or every engine has failed (why none can speak)."""
    stopped = asyncio.ensure_future(stopping.wait())
    mute = asyncio.ensure_future(until_mute(backends))
    try:
        done, _ = await asyncio.wait({stopped, mute}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
        mute.cancel()
    return None if stopped in done else mute.result()
