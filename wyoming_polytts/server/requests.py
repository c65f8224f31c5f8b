"""What a client's synthesize events ask for, checked field by field.

`wyoming.tts.Synthesize.from_event` trusts the types it is sent: a number as `text` or a
string as `voice` raises deep inside, with a traceback and no answer. These readers say
which field is wrong, so the client gets a `bad-request` error it can act on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from wyoming.event import Event

from ..satellites.front_door import KEY_FIELDS


class BadRequest(ValueError):
    """A field of a well-formed event has the wrong type or size; the message names it."""


@dataclass(frozen=True)
class SpeakRequest:
    """synthesize or synthesize-start: the voice, the client's context and (one-shot) the text."""

    voice: str | None
    context: Mapping[str, object] | None
    text: str | None = None
    text_format: str | None = None
    """"ssml" when the text is SSML (Wyoming 1.8+); None for plain or markdown text."""


def speak_request(event: Event, *, with_text: bool, max_id_chars: int) -> SpeakRequest:
    data = event.data or {}
    return SpeakRequest(
        voice=_voice_name(data.get("voice")),
        context=_context(data.get("context"), max_id_chars),
        text=_text(data, "text") if with_text else None,
        text_format=_optional_text(data, "text_format"),
    )


def chunk_text(event: Event) -> str:
    return _text(event.data or {}, "text")


def _text(data: Mapping[str, object], field: str) -> str:
    value = data.get(field)
    if not isinstance(value, str):
        raise BadRequest(f"field '{field}' must be a string, got {_kind(value)}")
    return value


def _optional_text(data: Mapping[str, object], field: str) -> str | None:
    return None if data.get(field) is None else _text(data, field)


def _voice_name(voice: object) -> str | None:
    if voice is None:
        return None
    if not isinstance(voice, Mapping):
        raise BadRequest(f"field 'voice' must be an object with a 'name', got {_kind(voice)}")
    name = voice.get("name")
    if name is not None and not isinstance(name, str):
        raise BadRequest(f"field 'voice.name' must be a string, got {_kind(name)}")
    return name or None


def _context(context: object, max_id_chars: int) -> Mapping[str, object] | None:
    if context is None:
        return None
    if not isinstance(context, Mapping):
        raise BadRequest(f"field 'context' must be an object, got {_kind(context)}")
    # Fields that may become history keys: strings of bounded length
    for field in KEY_FIELDS:
        value = context.get(field)
        if value is not None and not isinstance(value, str):
            raise BadRequest(f"field 'context.{field}' must be a string, got {_kind(value)}")
        if isinstance(value, str) and len(value) > max_id_chars:
            raise BadRequest(
                f"field 'context.{field}' is {len(value)} characters long; "
                f"the limit is {max_id_chars}"
            )
    return context


def _kind(value: object) -> str:
    """What a JSON value is, in the words of JSON (never the value: it may be large)."""
    if value is None:
        return "null"
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string"}
    names |= {list: "a list", dict: "an object"}
    return names.get(type(value), type(value).__name__)
