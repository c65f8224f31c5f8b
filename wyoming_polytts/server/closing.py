"""Close a connection so that the client reads what it was sent last.

Closing a socket with bytes it has not read (a streaming client's next chunks, sent before
it read our `busy`) makes the kernel send a reset, which can discard the error still in the
client's buffer. So the server ends its side first and reads what keeps coming, within
limits, until the client closes too.
"""

from __future__ import annotations

import asyncio
import contextlib

LINGER_SECONDS = 1.0
LINGER_BYTES = 1 << 16


async def close_after_reading(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """End our side, discard what the client still sends (at most LINGER_BYTES, for at most
    LINGER_SECONDS), then close."""
    with contextlib.suppress(OSError, RuntimeError):  # gone already, or no half-close
        if not writer.is_closing() and writer.can_write_eof():
            writer.write_eof()
    with contextlib.suppress(OSError, TimeoutError):
        async with asyncio.timeout(LINGER_SECONDS):
            discarded = 0
            while discarded < LINGER_BYTES and (data := await reader.read(4096)):
                discarded += len(data)
    writer.close()
