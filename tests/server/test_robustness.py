"""A careless or hostile client cannot wedge the server: every request gets an answer and
every reply gives back its slot, whatever the client does."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator

import pytest
from wyoming.event import Event, async_read_event, async_write_event

from wyoming_polytts.config import Config
from wyoming_polytts.reply.settings import ReplySettings
from wyoming_polytts.server.settings import ServerSettings
from wyoming_polytts.testing.client import request_without_reading, synthesize_reply
from wyoming_polytts.testing.fake_engine import loaded_fake
from wyoming_polytts.testing.in_process import RunningServer
from wyoming_polytts.testing.waiting import wait_for

Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


@contextlib.asynccontextmanager
async def connected(server: RunningServer) -> AsyncIterator[Connection]:
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        yield reader, writer
    finally:
        writer.close()


async def send(connection: Connection, kind: str, data: dict | None = None) -> None:
    await async_write_event(Event(type=kind, data=data or {}), connection[1])


async def answer(connection: Connection, timeout: float = 10.0) -> Event | None:
    """The next event the server sends that is not audio (None: it closed the connection)."""
    async with asyncio.timeout(timeout):
        while (event := await async_read_event(connection[0])) is not None:
            if not event.type.startswith("audio"):
                return event
    return None


async def audio_seconds(connection: Connection, timeout: float = 10.0) -> float:
    """Seconds of audio in the reply that comes, read to its audio-stop."""
    seconds = 0.0
    async with asyncio.timeout(timeout):
        while (event := await async_read_event(connection[0])) is not None:
            if event.type == "audio-chunk" and event.payload:
                seconds += len(event.payload) / 48000
            if event.type in ("audio-stop", "error"):
                break
    return seconds


def slots_held(server: RunningServer) -> int:
    return sum(backend.scheduler.replies for backend in server.service.backends.values())


def config(max_replies: int = 16, read_ahead: float = 30.0, **server: object) -> Config:
    return Config(
        server=ServerSettings(**server),  # type: ignore[arg-type]
        replies=ReplySettings(max_per_engine=max_replies, read_ahead=read_ahead),
    )


@pytest.mark.parametrize(
    ("kind", "data", "field"),
    [
        ("synthesize", {}, "'text'"),
        ("synthesize", {"text": None}, "'text'"),
        ("synthesize", {"text": 42}, "'text'"),
        ("synthesize", {"text": ["Hello."]}, "'text'"),
        ("synthesize", {"text": "Hi.", "voice": "af_heart"}, "'voice'"),
        ("synthesize", {"text": "Hi.", "voice": ["af_heart"]}, "'voice'"),
        ("synthesize", {"text": "Hi.", "voice": {"name": ["af_heart"]}}, "'voice.name'"),
        ("synthesize", {"text": "Hi.", "context": ["kitchen"]}, "'context'"),
        ("synthesize", {"text": "Hi.", "context": {"satellite_id": 7}}, "'context.satellite_id'"),
        ("synthesize", {"text": "Hi.", "context": {"device_id": "x" * 500}}, "'context.device_id'"),
        ("synthesize-start", {"voice": "af_heart"}, "'voice'"),
        ("synthesize-start", {"context": "kitchen"}, "'context'"),
    ],
)
async def test_a_wrong_field_type_is_a_bad_request_and_the_connection_goes_on(
    serve, kind: str, data: dict, field: str
) -> None:
    async with serve([loaded_fake()], config(max_replies=1)) as server:
        async with connected(server) as connection:
            await send(connection, kind, data)
            error = await answer(connection)
            assert error is not None and error.type == "error"
            assert error.data["code"] == "bad-request" and field in error.data["text"]
            # The frame was well formed: the same connection still gets a reply
            if kind == "synthesize-start":  # after the rest of the refused stream
                await send(connection, "synthesize-chunk", {"text": "Dropped."})
                await send(connection, "synthesize", {"text": "Dropped."})
                await send(connection, "describe")
                assert (await answer(connection)).type == "info"  # type: ignore[union-attr]
                await send(connection, "synthesize-stop")
                assert await answer(connection) is None  # closed: Home Assistant waits for it
                return
            await send(connection, "synthesize", {"text": "Still here."})
            assert await audio_seconds(connection) > 0
        await wait_for(lambda: slots_held(server) == 0)
        reply = await synthesize_reply(server.host, server.port, "And a new client.")
        assert reply.error is None and reply.audio


async def test_a_chunk_of_the_wrong_type_ends_the_stream_with_an_error(serve) -> None:
    async with serve([loaded_fake()], config(max_replies=1)) as server:
        async with connected(server) as connection:
            await send(connection, "synthesize-start")
            await send(connection, "synthesize-chunk", {"text": 3})
            error = await answer(connection)
            assert error is not None and error.data["code"] == "bad-request"
            assert "'text'" in error.data["text"]
            assert await answer(connection) is None  # Home Assistant needs the close mid-stream
        await wait_for(lambda: slots_held(server) == 0)


async def test_deeply_nested_json_closes_only_that_connection(serve, caplog) -> None:
    caplog.set_level(logging.WARNING)
    async with serve([loaded_fake()]) as server:
        reader, writer = await asyncio.open_connection(server.host, server.port)
        writer.write(b'{"type": "synthesize", "data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n")
        await writer.drain()
        assert await reader.read() == b""  # closed
        writer.close()
        assert "nested too deeply" in caplog.text
        reply = await synthesize_reply(server.host, server.port, "Others go on.")
        assert reply.error is None and reply.audio


async def test_two_one_shots_then_a_close_leave_no_slot_taken(serve) -> None:
    """The second reply is cancelled before it runs: its slot is still given back."""
    engine = loaded_fake()
    async with serve([engine], config(max_replies=2)) as server:
        for _ in range(2):
            async with connected(server) as connection:
                await send(connection, "synthesize", {"text": "One. " * 20})
                await send(connection, "synthesize", {"text": "Two. " * 20})
        await wait_for(lambda: slots_held(server) == 0)
        reply = await synthesize_reply(server.host, server.port, "Not busy.")
        assert reply.error is None and reply.audio


async def test_connections_over_the_cap_get_busy_and_are_closed(serve) -> None:
    async with serve([loaded_fake()], config(max_connections=2)) as server:
        async with connected(server) as first, connected(server) as second:
            await send(first, "describe")
            await send(second, "describe")
            assert (await answer(first)).type == "info"  # type: ignore[union-attr]
            assert (await answer(second)).type == "info"  # type: ignore[union-attr]
            async with connected(server) as third:
                refused = await answer(third)
                assert refused is not None and refused.data["code"] == "busy"
                assert await answer(third) is None
        await wait_for(lambda: server.listener.connections == 0)
        assert (await synthesize_reply(server.host, server.port, "Room again.")).audio


async def test_an_open_stream_that_goes_quiet_times_out_and_frees_its_slot(serve) -> None:
    async with serve([loaded_fake()], config(max_replies=1, idle_timeout=1.0)) as server:
        async with connected(server) as connection:
            await send(connection, "synthesize-start")
            await send(connection, "synthesize-chunk", {"text": "Hello th"})
            error = await answer(connection)
            assert error is not None and error.data["code"] == "timeout"
            assert await answer(connection) is None
        await wait_for(lambda: slots_held(server) == 0)
        assert (await synthesize_reply(server.host, server.port, "Next.")).audio


async def test_an_idle_connection_is_closed_after_the_idle_limit(serve) -> None:
    async with serve([loaded_fake()], config(idle_timeout=1.0)) as server:
        async with connected(server) as connection:
            error = await answer(connection)
            assert error is not None and error.data["code"] == "timeout"
        await wait_for(lambda: server.listener.connections == 0)


async def test_a_frame_that_stalls_half_way_is_dropped(serve, caplog) -> None:
    caplog.set_level(logging.WARNING)
    async with serve([loaded_fake()], config(frame_timeout=0.5)) as server:
        async with connected(server) as (reader, writer):
            writer.write(b'{"type": "synthesize", "data_length": 100}\n{"text":')
            await writer.drain()
            assert await reader.read() == b""
        assert "longer than 0.5 s" in caplog.text


async def test_a_client_that_stops_reading_loses_its_reply_not_its_slot(serve) -> None:
    engine = loaded_fake()
    settings = config(max_replies=1, write_timeout=1.0, read_ahead=3600.0)
    async with serve([engine], settings) as server:
        # Minutes of audio, which no socket buffer holds: the server's writes stall
        text = "This sentence is spoken to nobody at all. " * 400
        writer = await request_without_reading(server.host, server.port, text)
        await wait_for(lambda: slots_held(server) == 0, timeout=60)
        writer.close()
        assert len(engine.requests) < text.count(".")  # the rest was never synthesized
        assert (await synthesize_reply(server.host, server.port, "Free again.")).audio


async def test_anything_unexpected_is_an_internal_error_not_a_traceback_to_the_client(
    serve, monkeypatch
) -> None:
    engine = loaded_fake()
    async with serve([engine]) as server:
        monkeypatch.setattr(
            server.service.voices,
            "listed_voices",
            lambda: (_ for _ in ()).throw(RuntimeError("bug")),
        )
        async with connected(server) as connection:
            await send(connection, "describe")
            error = await answer(connection)
        assert error is not None and error.data == {
            "text": "internal error; see the server's log",
            "code": "internal",
        }


async def test_reply_text_never_reaches_the_log_above_debug(serve, caplog) -> None:
    caplog.set_level(logging.INFO)
    secret = "my-secret-diary-words"
    engine = loaded_fake(fail_on=secret)
    async with serve([engine]) as server:
        reply = await synthesize_reply(server.host, server.port, f"Please read {secret} now.")
    assert reply.error is not None and secret not in json.dumps(reply.error.event().data)
    assert all(secret not in record.getMessage() for record in caplog.records)
    assert all(
        record.exc_info is None or secret not in str(record.exc_info[1])
        for record in caplog.records
        if record.levelno > logging.DEBUG
    )
