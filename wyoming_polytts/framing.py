"""Read Wyoming frames with limits on every part, from a client or from a remote server.

`wyoming.event.async_read_event` bounds nothing and returns None for a broken header,
so a peer could make us buffer without end, stall us half-way through a frame or be
silently dropped. These readers say why a frame is refused. A frame is one JSON header
line, then an optional JSON data block and an optional payload, whose lengths the header
announces.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import BinaryIO

from wyoming.event import Event


class FrameError(Exception):
    """A frame that cannot be read; the connection must be closed."""


@dataclass(frozen=True)
class FrameLimits:
    max_bytes: int
    """Largest header line, data block or payload."""
    frame_timeout: float | None = None
    """Seconds a frame may take from its first byte to its last."""


@dataclass(frozen=True)
class _Header:
    type: str
    data: dict[str, object]
    data_length: int
    payload_length: int


async def read_event(
    reader: asyncio.StreamReader, limits: FrameLimits, idle: asyncio.Timeout | None = None
) -> Event | None:
    """The next event, None at end of stream; FrameError for a broken, oversized or stalled
    frame. `idle` (an `asyncio.timeout` context around this call, the caller's) bounds the
    wait for the frame's first byte: it is turned off once that came."""
    first = await reader.read(1)
    if not first:
        return None
    if idle is not None:
        idle.reschedule(None)
    try:
        async with asyncio.timeout(limits.frame_timeout):
            line = first + await _read_line(reader, limits.max_bytes)
            header = parse_header(line, limits.max_bytes)
            data = dict(header.data)
            if header.data_length:
                data.update(parse_data(await _read_exactly(reader, header.data_length)))
            payload_length = header.payload_length
            payload = await _read_exactly(reader, payload_length) if payload_length else None
    except TimeoutError as err:
        raise FrameError(f"a frame took longer than {limits.frame_timeout} s to arrive") from err
    return Event(type=header.type, data=data, payload=payload)


def read_event_sync(reader: BinaryIO, max_bytes: int) -> Event | None:
    """The same for a blocking binary file (a socket's, whose own timeout bounds each read)."""
    line = reader.readline(max_bytes + 1)
    if not line:
        return None
    if not line.endswith(b"\n"):
        if len(line) > max_bytes:
            raise FrameError(f"header line is over the limit of {max_bytes} bytes")
        raise FrameError("connection closed in the middle of a header")
    header = parse_header(line, max_bytes)
    data = dict(header.data)
    if header.data_length:
        data.update(parse_data(_read_exactly_sync(reader, header.data_length)))
    payload_length = header.payload_length
    payload = _read_exactly_sync(reader, payload_length) if payload_length else None
    return Event(type=header.type, data=data, payload=payload)


def parse_header(line: bytes, max_bytes: int) -> _Header:
    header = _json_object(line, "header")
    kind = header.get("type")
    if not isinstance(kind, str):
        raise FrameError("header must be a JSON object with a string 'type'")
    data = header.get("data") or {}
    if not isinstance(data, dict):
        raise FrameError("'data' must be a JSON object")
    return _Header(
        kind,
        data,
        _length(header, "data_length", max_bytes),
        _length(header, "payload_length", max_bytes),
    )


def parse_data(block: bytes) -> dict[str, object]:
    return _json_object(block, "data block")


def _json_object(raw: bytes, what: str) -> dict[str, object]:
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise FrameError(f"{what} is not valid JSON: {err}") from err
    except RecursionError as err:
        raise FrameError(f"{what} is nested too deeply") from err
    if not isinstance(value, dict):
        raise FrameError(f"{what} must be a JSON object")
    return value


def _length(header: dict[str, object], key: str, max_bytes: int) -> int:
    value = header.get(key)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FrameError(f"{key} must be a non-negative integer, got {value!r}")
    if value > max_bytes:
        raise FrameError(f"{key} {value} is over the limit of {max_bytes} bytes")
    return value


async def _read_line(reader: asyncio.StreamReader, max_bytes: int) -> bytes:
    line = bytearray()
    while not line.endswith(b"\n"):
        try:
            line += await reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as err:
            raise FrameError("connection closed in the middle of a header") from err
        except asyncio.LimitOverrunError as err:
            # The stream's own buffer limit is smaller than ours: take what it holds and go on
            line += await reader.readexactly(err.consumed)
        if len(line) > max_bytes:
            raise FrameError(f"header line is over the limit of {max_bytes} bytes")
    return bytes(line)


async def _read_exactly(reader: asyncio.StreamReader, length: int) -> bytes:
    try:
        return await reader.readexactly(length)
    except asyncio.IncompleteReadError as err:
        raise FrameError(
            f"connection closed after {len(err.partial)} of {length} announced bytes"
        ) from err


def _read_exactly_sync(reader: BinaryIO, length: int) -> bytes:
    block = reader.read(length)
    if len(block) != length:
        raise FrameError(f"connection closed after {len(block)} of {length} announced bytes")
    return block
