"""A server none of whose engines can speak fails its health check and stops, saying why."""

from __future__ import annotations

import asyncio

from tests.server.test_healthcheck import run_healthcheck
from wyoming_polytts.engines.errors import EngineUnavailable
from wyoming_polytts.reply.mute import mute_problem, until_stopped
from wyoming_polytts.testing.fake_engine import FakeEngine, loaded_fake

CAUSE = "cannot fetch the Kokoro model into the download dir: /data is a file, not a folder"


async def test_every_engine_failed_fails_the_health_check_and_stops_serving(serve) -> None:
    engine = loaded_fake(load_error=EngineUnavailable(CAUSE))
    async with serve([engine]) as server:
        problem = f"no engine can speak: kokoro: {CAUSE}"
        assert server.service.problems() == [problem]
        uri = f"tcp://{server.host}:{server.port}"
        status, output = await run_healthcheck("--uri", uri)
        assert (status, output) == (1, f"unhealthy: {uri} cannot serve: {problem}\n")
        async with asyncio.timeout(5):
            assert await until_stopped(asyncio.Event(), server.service.backends.values()) == problem


async def test_one_engine_that_speaks_keeps_the_server_up(serve) -> None:
    failing = loaded_fake(name="csm", load_error=EngineUnavailable("no GPU"))
    async with serve([loaded_fake(), failing]) as server:
        assert server.service.problems() == []
        stopping = asyncio.Event()
        waiting = asyncio.create_task(until_stopped(stopping, server.service.backends.values()))
        await asyncio.sleep(0.2)
        assert not waiting.done()
        stopping.set()
        async with asyncio.timeout(5):
            assert await waiting is None


async def test_an_engine_still_loading_may_yet_speak(serve) -> None:
    failing = loaded_fake(name="csm", load_error=EngineUnavailable("no GPU"))
    loading = FakeEngine()  # a model download in progress
    async with serve([loading, failing], loaded=False) as server:
        await asyncio.sleep(0.2)
        assert server.service.problems() == []
        loading.load_error = EngineUnavailable(CAUSE)
        loading.loaded.set()
        async with asyncio.timeout(5):
            problem = await until_stopped(asyncio.Event(), server.service.backends.values())
        assert problem == f"no engine can speak: kokoro: {CAUSE}; csm: no GPU"


def test_no_engine_at_all() -> None:
    assert mute_problem([]) == (
        "no engine can speak: none is enabled (kokoro.enabled, csm or remotes)"
    )
