"""OpenAI's speech API on the web port: POST /v1/audio/speech, GET /v1/models and
GET /v1/audio/voices, for Open WebUI, the `openai` package and other OpenAI TTS clients.

A speech request is a reply like a Wyoming one (text pipeline, SSML when the input opens
with <speak>, router, scheduler, phrase cache, fallback), spoken for a context key of its
own, or for a satellite profile's when the voice names one (its conversation goes on).
Errors are OpenAI's error object, with the status of the Wyoming error code.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp import web

from ..reply.service import TtsService
from ..server.settings import ServerSettings
from ..text import SSML
from ..text.ssml import opens_as_ssml
from .audio_response import NO_STORE, AudioResponse, speak_into
from .encoding import AvEncoder
from .guard import ERROR_STATUS
from .openai_errors import openai_error
from .openai_voices import offered_aliases, voice_for
from .speech_request import MODELS, BadSpeechRequest, SpeechRequest, parse_speech

_LOGGER = logging.getLogger(__name__)

API_KEY = "openai-api"
"""The context key (history) of speech requests that name no satellite profile."""
OWNER = "wyoming-polytts"


@dataclass(frozen=True)
class OpenAiApi:
    service: TtsService
    server: ServerSettings
    """Its text limit and write timeout."""

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/audio/speech", self.speech)
        app.router.add_get("/v1/models", self.models)
        app.router.add_get("/v1/audio/voices", self.voices)

    async def speech(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._refuse(BadSpeechRequest("the body is too large", "input"), 413)
        try:
            speech = parse_speech(body)
            if too_long := self.server.text_too_long(len(speech.text)):
                raise BadSpeechRequest(too_long, "input", "text-too-long")
        except BadSpeechRequest as err:
            return self._refuse(err, 400)
        voices = self.service.voices
        voice = voice_for(speech.voice, voices.profiles, voices.find_voice)
        context = {
            "satellite_id": voice if voice in voices.profiles else API_KEY,
            "quality": speech.quality,
        }
        sink = AudioResponse(
            request,
            AvEncoder(speech.audio_format, streamed=speech.streamed),
            streamed=speech.streamed,
            write_timeout=self.server.write_timeout,
            headers=_speed_headers(speech),
        )
        _LOGGER.debug(
            "Speech of %s characters with %s as %s", len(speech.text), voice, speech.format_name
        )
        return await speak_into(
            self.service,
            sink,
            speech.text,
            voice=voice,
            context=context,
            error=_wyoming_error,
            text_format=SSML if opens_as_ssml(speech.text.lstrip()) else None,
            speed=speech.speed,
        )

    async def models(self, request: web.Request) -> web.Response:
        data = [
            {"id": model, "object": "model", "created": 0, "owned_by": OWNER} for model in MODELS
        ]
        return web.json_response({"object": "list", "data": data}, headers=NO_STORE)

    async def voices(self, request: web.Request) -> web.Response:
        """The voices' names (as Kokoro-FastAPI lists them), and OpenAI's names that work."""
        names = [voice.name for voice in self.service.voices.listed_voices()]
        body = {"voices": names, "openai_voices": offered_aliases(names)}
        return web.json_response(body, headers=NO_STORE)

    def _refuse(self, err: BadSpeechRequest, status: int) -> web.Response:
        self.service.recorder.refused(err.code)
        return openai_error(status, str(err), param=err.param, code=err.code)


def _wyoming_error(code: str, message: str) -> web.Response:
    headers = {"Retry-After": "1"} if code == "busy" else None
    param = "voice" if code in ("unknown-voice", "bad-voice") else None
    return openai_error(
        ERROR_STATUS.get(code, 500), message, param=param, code=code, headers=headers
    )


def _speed_headers(speech: SpeechRequest) -> dict[str, str]:
    """X-Speed: the speed spoken at; X-Speed-Requested where it was clamped to it."""
    if speech.speed is None:
        return {}
    headers = {"X-Speed": f"{speech.speed:g}"}
    if speech.speed != speech.asked_speed:
        headers["X-Speed-Requested"] = f"{speech.asked_speed:g}"
    return headers
