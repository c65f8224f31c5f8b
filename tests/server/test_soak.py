"""Hundreds of requests, normal ones mixed with every way a client can go wrong: afterwards no
slot is held, no connection is left, memory is flat and a normal reply still gets audio."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import logging
import tracemalloc
from collections import Counter
from collections.abc import Awaitable, Callable

from wyoming.event import Event, async_read_event, async_write_event

from wyoming_polytts.config import Config
from wyoming_polytts.reply.settings import ReplySettings
from wyoming_polytts.server.settings import ServerSettings
from wyoming_polytts.testing.client import (
    request_without_reading,
    stream_reply,
    synthesize_reply,
)
from wyoming_polytts.testing.fake_engine import loaded_fake
from wyoming_polytts.testing.in_process import RunningServer
from wyoming_polytts.testing.waiting import wait_for

REQUESTS = 320
AT_ONCE = 8
SETTINGS = ServerSettings(
    max_connections=12,
    idle_timeout=0.3,
    frame_timeout=0.3,
    write_timeout=0.5,
    max_text_chars=2000,
)


async def _open(server: RunningServer) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection(server.host, server.port)


async def _events(reader: asyncio.StreamReader) -> list[str]:
    kinds = []
    with contextlib.suppress(ConnectionError, TimeoutError):
        async with asyncio.timeout(10):
            while (event := await async_read_event(reader)) is not None:
                kinds.append(event.type)
    return kinds


async def normal_stream(server: RunningServer) -> str:
    reply = await stream_reply(server.host, server.port, "Sure! The kitchen light is on now.")
    return "ok" if reply.audio and reply.error is None else f"error {reply.error}"


async def normal_one_shot(server: RunningServer) -> str:
    reply = await synthesize_reply(server.host, server.port, "The door is locked.")
    return "ok" if reply.audio and reply.error is None else f"error {reply.error}"


async def engine_failure(server: RunningServer) -> str:
    reply = await synthesize_reply(server.host, server.port, "Please explode now.")
    return reply.error.code if reply.error else "no error"


async def bad_types(server: RunningServer) -> str:
    reader, writer = await _open(server)
    await async_write_event(Event(type="synthesize", data={"text": ["list"]}), writer)
    writer.write_eof()
    kinds = await _events(reader)
    writer.close()
    return "error" if "error" in kinds else f"got {kinds}"


async def gone_mid_stream(server: RunningServer) -> str:
    _reader, writer = await _open(server)
    await async_write_event(Event(type="synthesize-start"), writer)
    await async_write_event(Event(type="synthesize-chunk", data={"text": "Half a sen"}), writer)
    writer.close()
    return "closed"


async def two_then_close(server: RunningServer) -> str:
    _reader, writer = await _open(server)
    for text in ("First one. " * 5, "Second one. " * 5):
        await async_write_event(Event(type="synthesize", data={"text": text}), writer)
    writer.close()
    return "closed"


async def quiet_stream(server: RunningServer) -> str:
    reader, writer = await _open(server)
    await async_write_event(Event(type="synthesize-start"), writer)
    kinds = await _events(reader)
    writer.close()
    return "timeout" if "error" in kinds else f"got {kinds}"


async def half_frame(server: RunningServer) -> str:
    reader, writer = await _open(server)
    writer.write(b'{"type": "synthesize", "data_length": 50}\n{"te')
    await writer.drain()
    kinds = await _events(reader)
    writer.close()
    return "dropped" if kinds == [] else f"got {kinds}"


async def not_reading(server: RunningServer) -> str:
    text = "Nobody takes this audio. " * 60
    writer = await request_without_reading(server.host, server.port, text)
    await asyncio.sleep(1.0)  # longer than the write timeout
    writer.close()
    return "abandoned"


async def too_long(server: RunningServer) -> str:
    reply = await synthesize_reply(server.host, server.port, "word " * 500)
    return reply.error.code if reply.error else "no error"


async def unknown_voice(server: RunningServer) -> str:
    reply = await synthesize_reply(server.host, server.port, "Hi.", voice="no_such_voice")
    return reply.error.code if reply.error else "no error"


SCENARIOS: list[Callable[[RunningServer], Awaitable[str]]] = [
    normal_stream,
    normal_one_shot,
    engine_failure,
    bad_types,
    gone_mid_stream,
    two_then_close,
    quiet_stream,
    half_frame,
    not_reading,
    too_long,
    unknown_voice,
]


async def run(server: RunningServer, count: int) -> Counter[str]:
    outcomes: Counter[str] = Counter()
    limit = asyncio.Semaphore(AT_ONCE)
    scenarios = itertools.cycle(SCENARIOS)

    async def one(scenario: Callable[[RunningServer], Awaitable[str]]) -> None:
        async with limit:
            try:
                outcome = await scenario(server)
            except (ConnectionError, TimeoutError) as err:
                outcome = type(err).__name__  # refused while the server is full: allowed
            outcomes[f"{scenario.__name__}: {outcome}"] += 1

    # A task group, not gather: a finished gather stays referenced from the loop for a while,
    # keeping every task of the run, which would count as the server's memory
    async with asyncio.TaskGroup() as group:
        for _ in range(count):
            group.create_task(one(next(scenarios)))
    return outcomes


def _memory() -> int:
    """Bytes Python holds now, after a collection."""
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def held(server: RunningServer) -> int:
    return sum(backend.scheduler.replies for backend in server.service.backends.values())


async def test_soak(serve, caplog) -> None:
    caplog.set_level(logging.CRITICAL)  # the log of hundreds of refusals is not the server's
    engine = loaded_fake(fail_on="explode")
    tracemalloc.start()
    try:
        async with serve(
            [engine], Config(server=SETTINGS, replies=ReplySettings(max_per_engine=6))
        ) as server:
            await run(server, 2 * len(SCENARIOS))  # warm-up: caches, code paths, allocator
            await wait_for(lambda: held(server) == 0 and server.listener.connections == 0, 30)
            engine.requests.clear()  # the fake's own record of requests is not the server's
            before = _memory()
            outcomes = await run(server, REQUESTS)
            await wait_for(lambda: held(server) == 0 and server.listener.connections == 0, 30)
            engine.requests.clear()
            after = _memory()
            final = await stream_reply(server.host, server.port, "Still speaking after all that.")
    finally:
        tracemalloc.stop()
    print(f"\nsoak: {REQUESTS} requests; memory {before / 1e6:.1f} -> {after / 1e6:.1f} MB")
    for outcome, count in sorted(outcomes.items()):
        print(f"  {count:4}  {outcome}")
    assert final.error is None and final.audio
    assert after - before < 500_000  # no slot, reply or connection is kept: memory is flat
    normal = [key for key in outcomes if key.startswith(("normal_stream", "normal_one"))]
    assert any(key.endswith(": ok") for key in normal)
    # Every failure path was exercised and answered as it should
    assert outcomes["engine_failure: synthesis-failed"] > 0
    assert outcomes["too_long: text-too-long"] > 0
    assert outcomes["unknown_voice: unknown-voice"] > 0
    assert outcomes["quiet_stream: timeout"] > 0
    assert outcomes["half_frame: dropped"] > 0
    assert outcomes["bad_types: error"] > 0
