"""GET /api/speak?voice=...&text=...: a reply like any Wyoming reply, returned as one WAV file.

It takes the same path (text pipeline, router, scheduler, fallback), counts as a reply,
is refused when the engine is busy, and is cancelled when the browser goes away. It
speaks for a context key of its own, so no satellite's conversation hears it.
"""

from __future__ import annotations

import asyncio
import io
import logging
import wave

from aiohttp import web
from wyoming.tts import SynthesizeVoice

from ..engines.base import SAMPLE_RATE, Audio
from ..reply.service import TtsService
from ..reply.session import ReplyFailed
from ..server.audio_stream import CHANNELS, SAMPLE_WIDTH, to_pcm16
from .guard import error_response

_LOGGER = logging.getLogger(__name__)

PREVIEW_KEY = "web-preview"
"""The context key (history) of previews."""


class WavSink:
    """An AudioSink that keeps a reply's audio for one WAV file."""

    def __init__(self) -> None:
        self._pcm = bytearray()

    async def write(self, audio: Audio) -> None:
        self._pcm.extend(to_pcm16(audio))

    async def close(self) -> None:
        """Nothing to flush: the file is made at the end."""

    def wav(self) -> bytes:
        file = io.BytesIO()
        with wave.open(file, "wb") as wav:
            wav.setnchannels(CHANNELS)
            wav.setsampwidth(SAMPLE_WIDTH)
            wav.setframerate(SAMPLE_RATE)
            wav.writeframes(self._pcm)
        return file.getvalue()


async def speak(service: TtsService, request: web.Request) -> web.Response:
    text = request.query.get("text", "")
    voice = request.query.get("voice") or None
    quality = request.query.get("quality") or None
    limit = service.config.server.max_text_chars
    if not text.strip():
        return _refuse(service, "protocol", "the text to speak is empty")
    if len(text) > limit:
        return _refuse(
            service, "text-too-long", f"text is {len(text)} characters long; the limit is {limit}"
        )
    context = {"satellite_id": PREVIEW_KEY, "quality": quality}
    sink = WavSink()
    try:
        reply = service.open_reply(
            SynthesizeVoice(name=voice) if voice else None, context, sink, text_length=len(text)
        )
    except ReplyFailed as err:
        return _refuse(service, err.code, str(err))
    _LOGGER.debug("Preview of %s characters with %s", len(text), voice)
    try:
        reply.add_text(text)
        reply.end_text()
        await reply.wait()
    except ReplyFailed as err:  # the reply's record counted it
        return error_response(err.code, str(err))
    except asyncio.CancelledError:  # the browser went away
        await reply.cancel()
        raise
    return web.Response(body=sink.wav(), content_type="audio/wav", headers=NO_STORE)


NO_STORE = {"Cache-Control": "no-store"}


def _refuse(service: TtsService, code: str, message: str) -> web.Response:
    service.stats.refused(code)
    return error_response(code, message)
