"""GET /api/speak?voice=...&text=...: a reply like any Wyoming reply, returned as a WAV file.

`format=ssml` reads the text as SSML (as Wyoming's `text_format` does), `quality` asks for a
quality mode.

It takes the same path (text pipeline, router, scheduler, fallback), counts as a reply,
is refused when the engine is busy, and is cancelled when the browser goes away. It
speaks for a context key of its own, so no satellite's conversation hears it.

By default the file comes whole, once the reply is spoken; with `stream=1` it starts at the
first audio (as a Wyoming reply does) and its header leaves the length open (0xFFFFFFFF),
as streamed WAV does. Errors before any audio are JSON with the Wyoming error's code; a
streamed reply that fails later ends short, and one whose browser takes no audio for
`server.write_timeout` seconds is cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
from typing import Protocol

from aiohttp import web

from ..engines.base import SAMPLE_RATE, Audio
from ..reply.audio import AudioSink
from ..reply.errors import ReplyFailed
from ..reply.service import TtsService
from ..satellites.settings import QUALITIES
from ..server.audio_stream import CHANNELS, SAMPLE_WIDTH, to_pcm16
from ..server.settings import ServerSettings
from ..text import SSML
from .guard import error_response

_LOGGER = logging.getLogger(__name__)

PREVIEW_KEY = "web-preview"
"""The context key (history) of previews."""
NO_STORE = {"Cache-Control": "no-store"}
OPEN_LENGTH = 0xFFFFFFFF
"""The sizes a streamed WAV's header gives: not known yet."""


def wav_header(data_bytes: int | None) -> bytes:
    """The 44-byte header of 16-bit PCM WAV at SAMPLE_RATE; None: a length left open."""
    frame = SAMPLE_WIDTH * CHANNELS
    riff, data = (OPEN_LENGTH, OPEN_LENGTH) if data_bytes is None else (36 + data_bytes, data_bytes)
    fmt = struct.pack(
        "<IHHIIHH", 16, 1, CHANNELS, SAMPLE_RATE, SAMPLE_RATE * frame, frame, 8 * SAMPLE_WIDTH
    )
    return b"RIFF" + struct.pack("<I", riff) + b"WAVEfmt " + fmt + b"data" + struct.pack("<I", data)


class PreviewSink(AudioSink, Protocol):
    @property
    def started(self) -> bool:
        """Whether the response has begun (an error can no longer be its answer)."""

    async def finish(self) -> web.StreamResponse:
        """The response, complete."""


class WavFile:
    """Keeps the reply's audio for one WAV file with its length."""

    started = False

    def __init__(self) -> None:
        self._pcm = bytearray()

    async def write(self, audio: Audio) -> None:
        self._pcm.extend(to_pcm16(audio))

    async def close(self) -> None:
        """Nothing to flush: the file is made at the end."""

    async def finish(self) -> web.StreamResponse:
        body = wav_header(len(self._pcm)) + self._pcm
        return web.Response(body=body, content_type="audio/wav", headers=NO_STORE)


class StreamedWav:
    """Sends the reply's audio as it comes: the header at the first audio, then the samples."""

    def __init__(self, request: web.Request, write_timeout: float) -> None:
        self._request = request
        self._write_timeout = write_timeout
        self._response = web.StreamResponse(headers={"Content-Type": "audio/wav", **NO_STORE})

    @property
    def started(self) -> bool:
        return self._response.prepared

    async def write(self, audio: Audio) -> None:
        await self._start()
        await self._send(to_pcm16(audio))

    async def close(self) -> None:
        await self._start()  # a reply with nothing to say is an empty file

    async def finish(self) -> web.StreamResponse:
        await self._start()
        with contextlib.suppress(ConnectionError):  # the browser is gone
            await self._response.write_eof()
        return self._response

    async def _start(self) -> None:
        if not self._response.prepared:
            await self._response.prepare(self._request)
            await self._send(wav_header(None))

    async def _send(self, data: bytes) -> None:
        """Raises ConnectionError when the browser is gone or stops taking the audio."""
        try:
            async with asyncio.timeout(self._write_timeout):
                await self._response.write(data)
        except TimeoutError as err:
            if self._request.transport is not None:
                self._request.transport.close()  # nothing more will be sent
            raise ConnectionError(f"no audio taken for {self._write_timeout} s") from err


async def speak(
    service: TtsService, server: ServerSettings, request: web.Request
) -> web.StreamResponse:
    text = request.query.get("text", "")
    voice = request.query.get("voice") or None
    quality = request.query.get("quality") or None
    text_format = request.query.get("format") or None
    if not text.strip():
        return _refuse(service, "protocol", "the text to speak is empty")
    if too_long := server.text_too_long(len(text)):
        return _refuse(service, "text-too-long", too_long)
    if quality not in (None, *QUALITIES):
        return _refuse(service, "protocol", f"quality must be one of {', '.join(QUALITIES)}")
    if text_format not in (None, SSML):
        return _refuse(service, "protocol", f"format must be {SSML} (or absent, for plain text)")
    context = {"satellite_id": PREVIEW_KEY, "quality": quality}
    streamed = request.query.get("stream") == "1"
    sink: PreviewSink = StreamedWav(request, server.write_timeout) if streamed else WavFile()
    try:
        reply = service.open_reply(
            voice, context, sink, text_length=len(text), text_format=text_format
        )
    except ReplyFailed as err:
        return _refuse(service, err.code, str(err))
    _LOGGER.debug("Preview of %s characters with %s", len(text), voice)
    try:
        reply.add_text(text)
        reply.end_text()
        await reply.wait()
    except ReplyFailed as err:  # the reply's record counted it
        if not sink.started:
            return error_response(err.code, str(err))
        _LOGGER.warning("A streamed preview ends short: %s", err)
    except asyncio.CancelledError:  # the browser went away
        await reply.cancel()
        raise
    except ConnectionError:  # the browser went away during a streamed reply
        await reply.cancel()
    return await sink.finish()


def _refuse(service: TtsService, code: str, message: str) -> web.Response:
    service.recorder.refused(code)
    return error_response(code, message)
