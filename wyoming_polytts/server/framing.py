"""Read Wyoming events with limits on every part of a frame.

`wyoming.event.async_read_event` bounds nothing and returns None for a broken header,
so a client could make the server buffer without end or silently drop it. This reader
says why a frame is refused.
"""

from __future__ import annotations

import asyncio
import json

from wyoming.event import Event


class FrameError(Exception):
    """A frame that cannot be read; the connection must be closed."""


async def read_event(reader: asyncio.StreamReader, max_bytes: int) -> Event | None:
    """The next event, None at end of stream, FrameError for a broken or oversized frame."""
    line = await _read_line(reader, max_bytes)
    if not line:
        return None
    try:
        header = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise FrameError(f"header is not valid JSON: {err}") from err
    if not isinstance(header, dict) or not isinstance(header.get("type"), str):
        raise FrameError("header must be a JSON object with a string 'type'")
    data = header.get("data") or {}
    if not isinstance(data, dict):
        raise FrameError("'data' must be a JSON object")
    data_length = _length(header, "data_length", max_bytes)
    if data_length:
        block = await _read_exactly(reader, data_length)
        try:
            extra = json.loads(block)
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise FrameError(f"data block is not valid JSON: {err}") from err
        if not isinstance(extra, dict):
            raise FrameError("data block must be a JSON object")
        data = {**data, **extra}
    payload_length = _length(header, "payload_length", max_bytes)
    payload = await _read_exactly(reader, payload_length) if payload_length else None
    return Event(type=header["type"], data=data, payload=payload)


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
    while True:
        try:
            line += await reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as err:
            if err.partial or line:
                raise FrameError("connection closed in the middle of a header") from err
            return b""
        except asyncio.LimitOverrunError as err:
            # The stream's own buffer limit is smaller than ours: take what it holds and go on
            line += await reader.readexactly(err.consumed)
        else:
            if len(line) > max_bytes + 1:
                raise FrameError(f"header line is over the limit of {max_bytes} bytes")
            return bytes(line)
        if len(line) > max_bytes:
            raise FrameError(f"header line is over the limit of {max_bytes} bytes")


async def _read_exactly(reader: asyncio.StreamReader, length: int) -> bytes:
    try:
        return await reader.readexactly(length)
    except asyncio.IncompleteReadError as err:
        raise FrameError(
            f"connection closed after {len(err.partial)} of {length} announced bytes"
        ) from err
