"""The body of POST /v1/audio/speech, checked: OpenAI's fields, this server's meaning.

`model` picks the quality mode, `speed` is clamped to what the engines speak (OpenAI allows
0.25 to 4.0), `instructions` is accepted and ignored (no engine here takes them), and
`stream_format: "audio"` streams the encoded audio (Server-Sent Events are not offered).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..reply.settings import SPEEDS
from ..satellites.settings import QUALITIES
from .encoding import FORMATS, AudioFormat

MODELS = {
    "tts-1": "fast",
    "tts-1-hd": "conversational",
    "gpt-4o-mini-tts": "auto",
    **{quality: quality for quality in QUALITIES},
}
"""OpenAI's speech models (and this server's quality modes) -> quality mode."""
DATED_MODEL = "gpt-4o-mini-tts-"
"""gpt-4o-mini-tts-2025-12-15 and the like are gpt-4o-mini-tts."""
OPENAI_SPEEDS = (0.25, 4.0)
DEFAULT_FORMAT = "mp3"
STREAMED = "audio"


class BadSpeechRequest(Exception):
    """A request OpenAI's API would refuse too: a 400 naming the field (`param`)."""

    def __init__(self, message: str, param: str | None, code: str = "protocol") -> None:
        super().__init__(message)
        self.param = param
        self.code = code
        """The Wyoming error code it counts as."""


@dataclass(frozen=True)
class SpeechRequest:
    text: str
    voice: str
    quality: str
    format_name: str
    speed: float | None
    """Clamped to SPEEDS; None: the voice's own speed."""
    asked_speed: float | None
    streamed: bool

    @property
    def audio_format(self) -> AudioFormat:
        return FORMATS[self.format_name]


def parse_speech(body: bytes) -> SpeechRequest:
    """The request of a JSON body; raises BadSpeechRequest."""
    try:
        fields = json.loads(body)
    except (ValueError, RecursionError) as err:  # also bytes not UTF-8, nesting too deep
        raise BadSpeechRequest("the body is not valid JSON", None) from err
    if not isinstance(fields, dict):
        raise BadSpeechRequest("the body must be a JSON object", None)
    text = _text(fields, "input")
    if not text.strip():
        raise BadSpeechRequest("input is empty", "input")
    model = _text(fields, "model")
    quality = MODELS.get(DATED_MODEL[:-1] if model.startswith(DATED_MODEL) else model)
    if quality is None:
        raise BadSpeechRequest(
            f"model {model!r} does not exist; use one of {', '.join(MODELS)}", "model"
        )
    format_name = fields.get("response_format", DEFAULT_FORMAT)
    if not isinstance(format_name, str) or format_name not in FORMATS:
        raise BadSpeechRequest(
            f"response_format must be one of {', '.join(FORMATS)}", "response_format"
        )
    stream_format = fields.get("stream_format")
    if stream_format not in (None, STREAMED):
        raise BadSpeechRequest(
            f'stream_format must be "{STREAMED}" (Server-Sent Events are not offered)',
            "stream_format",
        )
    if not isinstance(fields.get("instructions", ""), str):
        raise BadSpeechRequest("instructions must be a string", "instructions")
    asked_speed = _speed(fields.get("speed"))
    low, high = SPEEDS
    return SpeechRequest(
        text=text,
        voice=_voice(fields.get("voice")),
        quality=quality,
        format_name=format_name,
        speed=None if asked_speed is None else min(high, max(low, asked_speed)),
        asked_speed=asked_speed,
        streamed=stream_format == STREAMED,
    )


def _text(fields: dict[str, Any], name: str) -> str:
    value = fields.get(name)
    if not isinstance(value, str):
        raise BadSpeechRequest(f"{name} is required (a string)", name)
    return value


def _voice(value: object) -> str:
    """A voice's name, or OpenAI's custom voice object {"id": name}."""
    if isinstance(value, dict):
        value = value.get("id")
    if not isinstance(value, str) or not value:
        raise BadSpeechRequest('voice is required (a name, or {"id": name})', "voice")
    return value


def _speed(value: object) -> float | None:
    low, high = OPENAI_SPEEDS
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise BadSpeechRequest(f"speed must be a number from {low} to {high}", "speed")
    return float(value)
