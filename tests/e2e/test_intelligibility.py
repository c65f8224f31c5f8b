"""Streamed LLM replies, spoken by the real server, understood by a real speech recognizer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from wyoming_polytts.testing import asr
from wyoming_polytts.testing.client import stream_reply
from wyoming_polytts.testing.launcher import ServerProcess
from wyoming_polytts.text.english import normalize_english

pytestmark = pytest.mark.e2e

CORPUS = yaml.safe_load((Path(__file__).parents[1] / "text" / "corpus.yaml").read_text("utf-8"))
REPLIES = [
    "**Done.** The living room is now at 21.5 °C.",
    "Your tasks for today:\n\n1. Water the plants\n2. Take out the trash\n3. Call mom",
    "You walked 8,432 steps today. 🎉 Great job!",
    "Check the [integration docs](https://www.home-assistant.io/integrations/wyoming/) for details.",
    "Your next appointment is on Nov. 28 at 2:15 p.m. with Dr. Patel.",
]
MAX_WORD_ERROR_RATE = 0.2


@pytest.fixture(name="recognizer", scope="module")
def recognizer_fixture() -> Iterator[Any]:
    yield asr.load_model()


def expected_speech(text: str) -> str:
    (entry,) = [entry for entry in CORPUS if entry["text"] == text]
    return " ".join(entry["spoken"])


@pytest.mark.parametrize("text", REPLIES)
async def test_streamed_reply_is_understood(
    kokoro_server: ServerProcess, recognizer: Any, text: str
) -> None:
    reply = await stream_reply(kokoro_server.host, kokoro_server.port, text, fragment_chars=7)
    assert reply.error is None and reply.rate is not None
    heard = asr.transcribe(recognizer, bytes(reply.audio), reply.rate)
    # The recognizer writes numbers as digits: say them the same way before comparing
    error_rate = asr.word_error_rate(expected_speech(text), normalize_english(heard))
    assert error_rate <= MAX_WORD_ERROR_RATE, (heard, error_rate)
    for literal in ("asterisk", "star", "bracket", "https", "emoji"):
        assert literal not in heard.lower()
