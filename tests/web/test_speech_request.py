"""The speech request's checks: whatever the body, a request or a 400 (never another error)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from wyoming_polytts.web.speech_request import BadSpeechRequest, parse_speech

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)
FIELDS = st.fixed_dictionaries(
    {},
    optional={
        name: JSON | st.sampled_from(values)
        for name, values in {
            "model": ["tts-1", "tts-1-hd", "gpt-4o-mini-tts-2025-12-15", "auto"],
            "input": ["Hello.", "", "<speak>Hi.</speak>"],
            "voice": ["nova", "af_heart"],
            "response_format": ["mp3", "opus", "pcm"],
            "speed": [0.25, 1, 4.0, 4.01],
            "stream_format": ["audio", "sse"],
            "instructions": ["Cheerful."],
        }.items()
    },
)


@settings(deadline=None)  # the shared CPU may stall an example
@given(FIELDS)
def test_any_body_is_a_request_or_a_bad_request(fields: dict[str, object]) -> None:
    try:
        speech = parse_speech(json.dumps(fields).encode())
    except BadSpeechRequest as err:
        assert err.param is None or err.param in fields or err.param in ("input", "model", "voice")
        return
    assert speech.text.strip() and speech.voice
    assert speech.speed is None or 0.5 <= speech.speed <= 2.0
