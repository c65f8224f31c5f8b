"""Connections that say nothing cannot lock out clients that speak, and every client the
server turns away reads `busy` before the close (never a reset)."""

from __future__ import annotations

import asyncio
import logging

from wyoming.event import async_read_event

from tests.server.test_robustness import config, send
from wyoming_polytts.testing.client import Reply, stream_reply, synthesize_reply
from wyoming_polytts.testing.fake_engine import loaded_fake
from wyoming_polytts.testing.waiting import wait_for

Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def fate(connection: Connection, wait: float) -> str:
    """What a silent client sees: "busy" then the close, "open" (nothing within `wait` s),
    or what went wrong (another event, a close without a word, a reset)."""
    try:
        async with asyncio.timeout(wait):
            event = await async_read_event(connection[0])
            if event is None:
                return "closed without a word"
            if event.type != "error" or event.data.get("code") != "busy":
                return f"unexpected {event.type} {event.data}"
            rest = await connection[0].read()
            return "busy" if rest == b"" else f"more after busy: {rest[:40]!r}"
    except TimeoutError:
        return "open"
    except ConnectionError as err:
        return f"reset ({err})"


async def test_200_silent_connections_give_their_places_to_8_replies(serve) -> None:
    """The default cap of 64, 200 clients that connect and say nothing (as a port scanner or a
    broken client), then 8 clients that speak at once, as Home Assistant does."""
    async with serve([loaded_fake(concurrency=8)], config(quiet_after=0.5)) as server:
        silent = await asyncio.gather(
            *(asyncio.open_connection(server.host, server.port) for _ in range(200))
        )
        await wait_for(lambda: server.listener.connections == 64)
        await asyncio.sleep(0.6)  # every open one is quiet for longer than quiet_after now
        replies: list[Reply] = await asyncio.gather(
            *(stream_reply(server.host, server.port, f"Reply {n}. " * 3) for n in range(4)),
            *(synthesize_reply(server.host, server.port, f"Answer {n}.") for n in range(4)),
        )
        assert [reply.error for reply in replies] == [None] * 8
        assert all(reply.audio_seconds > 0 for reply in replies)
        fates = await asyncio.gather(*(fate(connection, 0.5) for connection in silent))
        for _, writer in silent:
            writer.close()
    # 136 turned away at once, 8 closed to make room for the replies, 56 still waiting
    assert {outcome: fates.count(outcome) for outcome in set(fates)} == {"busy": 144, "open": 56}


async def test_a_quiet_client_keeps_its_place_while_it_is_not_needed(serve) -> None:
    async with serve([loaded_fake()], config(max_connections=1, quiet_after=0.5)) as server:
        quiet = await asyncio.open_connection(server.host, server.port)
        await asyncio.sleep(0.6)
        assert await fate(quiet, 0.2) == "open"  # no one else wanted in
        reply = await synthesize_reply(server.host, server.port, "My turn.")
        assert reply.error is None and reply.audio
        assert await fate(quiet, 1.0) == "busy"
        quiet[1].close()


async def test_a_client_with_a_reply_in_progress_keeps_its_place(serve) -> None:
    """An open stream is busy, not quiet: the newcomer is the one refused."""
    async with serve([loaded_fake()], config(max_connections=1, quiet_after=0.1)) as server:
        streaming = await asyncio.open_connection(server.host, server.port)
        await send(streaming, "synthesize-start")
        await wait_for(lambda: server.listener.connections == 1)
        await asyncio.sleep(0.3)
        reply = await synthesize_reply(server.host, server.port, "Let me in.")
        assert reply.error is not None and reply.error.code == "busy"
        assert await fate(streaming, 0.2) == "open"
        streaming[1].close()


async def test_refused_streaming_clients_read_busy_before_the_close(serve) -> None:
    """Clients that stream their whole request before reading (their chunks are still
    unread when the server closes) read the error, never a reset."""
    engine = loaded_fake()
    async with serve([engine], config(max_connections=2, quiet_after=60.0)) as server:
        held = [await asyncio.open_connection(server.host, server.port) for _ in range(2)]
        for connection in held:
            await send(connection, "synthesize-start")
        await wait_for(lambda: server.listener.connections == 2)

        async def refused() -> str:
            try:
                reply = await stream_reply(
                    server.host, server.port, "A long request. " * 200, fragment_chars=20
                )
            except ConnectionError as err:
                return f"reset ({err})"
            return reply.error.code if reply.error else "served"

        outcomes = await asyncio.gather(*(refused() for _ in range(16)))
        for _, writer in held:
            writer.close()
    assert outcomes == ["busy"] * 16


async def test_a_refused_stream_is_closed_at_its_stop_and_its_chunks_are_not_errors(
    serve, caplog
) -> None:
    """A start refused (here every reply slot is taken): Home Assistant ignores an error in
    a stream and waits for a close, which comes at its synthesize-stop; its chunks and its
    full-text copy get no error of their own."""
    caplog.set_level(logging.WARNING)
    engine = loaded_fake()
    engine.gate.clear()  # the first reply holds the only slot
    async with serve([engine], config(max_replies=1)) as server:
        first = asyncio.create_task(synthesize_reply(server.host, server.port, "Hold on."))
        await asyncio.to_thread(engine.started.acquire, timeout=10)
        reader, writer = await asyncio.open_connection(server.host, server.port)
        await send((reader, writer), "synthesize-start")
        for _ in range(20):
            await send((reader, writer), "synthesize-chunk", {"text": "Me too. "})
        await send((reader, writer), "synthesize", {"text": "Me too. " * 20})
        await send((reader, writer), "synthesize-stop")
        events = []
        async with asyncio.timeout(10):
            while (event := await async_read_event(reader)) is not None:
                events.append((event.type, event.data.get("code")))
        writer.close()
        engine.gate.set()
        assert (await first).error is None
    assert events == [("error", "busy")]
    assert "without synthesize-start" not in caplog.text
