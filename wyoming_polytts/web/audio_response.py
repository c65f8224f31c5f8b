"""One reply spoken into an HTTP response: whole once spoken, or streamed from the first audio.

Shared by the preview and the OpenAI speech API. The reply takes the same path as a Wyoming
reply (text pipeline, router, scheduler, fallback) and is cancelled when the client goes
away. Errors before any audio are the caller's error response; a streamed reply that fails
later ends short, and one whose client takes no audio for `write_timeout` seconds is
cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from ..engines.base import SAMPLE_RATE, Audio
from ..reply.errors import ReplyFailed
from ..reply.service import TtsService
from ..server.audio_stream import to_pcm16
from .encoding import Encoder

_LOGGER = logging.getLogger(__name__)

NO_STORE = {"Cache-Control": "no-store"}
STREAMED_SLICE_BYTES = SAMPLE_RATE // 10 * 2
"""Streamed audio is encoded and sent 100 ms (of 16-bit samples) at a time: the first bytes
wait for the encoding of 100 ms, not of a whole segment."""
ErrorResponse = Callable[[str, str], web.Response]
"""The response to a Wyoming error code and its message."""


class AudioResponse:
    """The reply's audio sink: encodes it, and sends it as it comes when streamed."""

    def __init__(
        self,
        request: web.Request,
        encoder: Encoder,
        *,
        streamed: bool,
        write_timeout: float,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self._request = request
        self._encoder = encoder
        self._streamed = streamed
        self._write_timeout = write_timeout
        self._headers = {"Content-Type": encoder.content_type, **NO_STORE, **(headers or {})}
        self._response = web.StreamResponse(headers=self._headers)

    @property
    def started(self) -> bool:
        """Whether the response has begun (an error can no longer be its answer)."""
        return self._response.prepared

    async def write(self, audio: Audio) -> None:
        pcm = to_pcm16(audio)
        if not self._streamed:
            await asyncio.to_thread(self._encoder.encode, pcm)
            return
        for start in range(0, len(pcm), STREAMED_SLICE_BYTES):
            piece = pcm[start : start + STREAMED_SLICE_BYTES]
            data = await asyncio.to_thread(self._encoder.encode, piece)
            await self._start()
            await self._send(data)

    async def close(self) -> None:
        """Nothing to do: `finish` ends the file, also one whose reply was cut short."""

    async def finish(self) -> web.StreamResponse:
        """The response, complete (what the client could take of it)."""
        rest = await asyncio.to_thread(self._encoder.finish)
        if not self._streamed:
            return web.Response(body=rest, headers=self._headers)
        with contextlib.suppress(ConnectionError):  # the client is gone
            await self._start()
            await self._send(rest)
            await self._response.write_eof()
        return self._response

    def release(self) -> None:
        """Free the encoder, on every path (finished or not)."""
        self._encoder.close()

    async def _start(self) -> None:
        if not self._response.prepared:
            await self._response.prepare(self._request)

    async def _send(self, data: bytes) -> None:
        """Raises ConnectionError when the client is gone or stops taking the audio."""
        if not data:
            return
        try:
            async with asyncio.timeout(self._write_timeout):
                await self._response.write(data)
        except TimeoutError as err:
            if self._request.transport is not None:
                self._request.transport.close()  # nothing more will be sent
            raise ConnectionError(f"no audio taken for {self._write_timeout} s") from err


async def speak_into(
    service: TtsService,
    sink: AudioResponse,
    text: str,
    *,
    voice: str | None,
    context: Mapping[str, Any],
    error: ErrorResponse,
    text_format: str | None = None,
    speed: float | None = None,
) -> web.StreamResponse:
    """Speak `text` into `sink`; the response, or `error`'s when the reply fails before
    any audio was sent."""
    try:
        try:
            reply = service.open_reply(
                voice, context, sink, text_length=len(text), text_format=text_format, speed=speed
            )
        except ReplyFailed as err:
            service.recorder.refused(err.code)
            return error(err.code, str(err))
        try:
            reply.add_text(text)
            reply.end_text()
            await reply.wait()
        except ReplyFailed as err:  # the reply's record counted it
            if not sink.started:
                return error(err.code, str(err))
            _LOGGER.warning("A streamed reply on the web port ends short: %s", err)
        except asyncio.CancelledError:  # the client went away
            await reply.cancel()
            raise
        except ConnectionError:  # the client went away during a streamed reply
            await reply.cancel()
        return await sink.finish()
    finally:
        sink.release()
