"""Streamed SSML replies, spoken by the real server, heard by a real speech recognizer: no
markup is heard, and aliases and say-as forms are."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from wyoming_polytts.testing import asr
from wyoming_polytts.testing.client import stream_reply
from wyoming_polytts.testing.launcher import ServerProcess
from wyoming_polytts.text import SSML, TextSettings, split_text
from wyoming_polytts.text.english import normalize_english

pytestmark = pytest.mark.e2e

REPLIES = [
    (
        '<speak>Good morning! <break time="500ms"/> Today is '
        '<say-as interpret-as="date" format="mdy">11/23/2026</say-as>.</speak>',
        ["november twenty third"],
    ),
    (
        '<speak>The <sub alias="Home Assistant">HA</sub> server restarted, and this is your '
        '<say-as interpret-as="ordinal">3</say-as> reminder.</speak>',
        ["home assistant", "third reminder"],
    ),
    (
        '<speak><p>Your parcel arrives on <say-as interpret-as="date" format="md">12/24</say-as>'
        '.</p><p><prosody rate="slow">Have a nice day.</prosody></p></speak>',
        ["december twenty fourth", "nice day"],
    ),
    (
        '<?xml version="1.0"?><speak xmlns="http://www.w3.org/2001/10/synthesis">'
        '<s>Dinner is ready.</s><s>Hello from the kitchen, <voice name="bf_emma">and hello '
        "from London</voice>.</s></speak>",
        ["dinner is ready", "london"],
    ),
    (
        '<speak>Alert! <prosody rate="fast" volume="x-loud">Water leak detected</prosody> '
        'under the <emphasis>kitchen sink</emphasis>. <break time="300ms"/> The main valve '
        "is now closed.</speak>",
        ["water leak detected", "main valve"],
    ),
]
MAX_WORD_ERROR_RATE = 0.2
MARKUP_WORDS = {
    "speak", "break", "prosody", "interpret", "alias", "sub", "emphasis", "xml", "voice",
    "rate", "volume", "ms", "version", "http", "www", "w3", "org", "synthesis", "format", "mdy",
}  # fmt: skip


@pytest.fixture(name="recognizer", scope="module")
def recognizer_fixture() -> Iterator[Any]:
    yield asr.load_model()


@pytest.mark.parametrize(("ssml", "heard_phrases"), REPLIES, ids=[r[1][0] for r in REPLIES])
async def test_streamed_ssml_is_understood(
    kokoro_server: ServerProcess, recognizer: Any, ssml: str, heard_phrases: list[str]
) -> None:
    reply = await stream_reply(
        kokoro_server.host, kokoro_server.port, ssml, fragment_chars=7, text_format=SSML
    )
    assert reply.error is None and reply.rate is not None
    heard = normalize_english(asr.transcribe(recognizer, bytes(reply.audio), reply.rate))
    expected = " ".join(segment.text for segment in split_text(ssml, TextSettings(), "en-US", SSML))
    error_rate = asr.word_error_rate(expected, heard)
    print(f"WER {error_rate:.2f}: {heard!r}")
    assert error_rate <= MAX_WORD_ERROR_RATE, (heard, error_rate)
    words = asr.words(heard)
    assert not MARKUP_WORDS & set(words), heard
    for phrase in heard_phrases:
        assert phrase in " ".join(words), (phrase, heard)
