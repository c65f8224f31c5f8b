"""GET /api/speak?voice=...&text=...: a reply like any Wyoming reply, returned as a WAV file.

`format=ssml` reads the text as SSML (as Wyoming's `text_format` does), `quality` asks for a
quality mode.

It is spoken as audio_response says (a reply like any other, cancelled when the browser
goes away), for a context key of its own, so no satellite's conversation hears it.

By default the file comes whole, once the reply is spoken; with `stream=1` it starts at the
first audio (as a Wyoming reply does) and its header leaves the length open (0xFFFFFFFF),
as streamed WAV does. Errors before any audio are JSON with the Wyoming error's code.
"""

from __future__ import annotations

import logging
import struct

from aiohttp import web

from ..engines.base import SAMPLE_RATE
from ..reply.service import TtsService
from ..satellites.settings import QUALITIES
from ..server.audio_stream import CHANNELS, SAMPLE_WIDTH
from ..server.settings import ServerSettings
from ..text import SSML
from .audio_response import AudioResponse, speak_into
from .guard import error_response

_LOGGER = logging.getLogger(__name__)

PREVIEW_KEY = "web-preview"
"""The context key (history) of previews."""
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


class WavEncoder:
    """16-bit PCM WAV: streamed, the header leaves the length open; whole, it gives it."""

    content_type = "audio/wav"

    def __init__(self, *, streamed: bool) -> None:
        self._streamed = streamed
        self._header_sent = False
        self._pcm = bytearray()

    def encode(self, pcm16: bytes) -> bytes:
        if not self._streamed:
            self._pcm.extend(pcm16)
            return b""
        return self._header() + pcm16

    def finish(self) -> bytes:
        return self._header() if self._streamed else wav_header(len(self._pcm)) + self._pcm

    def close(self) -> None:
        """Nothing to release."""

    def _header(self) -> bytes:
        if self._header_sent:
            return b""
        self._header_sent = True
        return wav_header(None)


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
    sink = AudioResponse(
        request,
        WavEncoder(streamed=streamed),
        streamed=streamed,
        write_timeout=server.write_timeout,
    )
    _LOGGER.debug("Preview of %s characters with %s", len(text), voice)
    return await speak_into(
        service,
        sink,
        text,
        voice=voice,
        context=context,
        error=error_response,
        text_format=text_format,
    )


def _refuse(service: TtsService, code: str, message: str) -> web.Response:
    service.recorder.refused(code)
    return error_response(code, message)
