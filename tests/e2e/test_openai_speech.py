"""OpenAI's speech API of the real server, through the official `openai` client: every
format, whole and streamed, decoded by FFmpeg's decoders and understood by Whisper."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
import yaml

from wyoming_polytts.testing import asr
from wyoming_polytts.testing.decoding import decode
from wyoming_polytts.testing.launcher import ServerProcess, free_port, start_server
from wyoming_polytts.testing.openai_client import speech_client, streamed_speech
from wyoming_polytts.web.encoding import FORMATS

pytestmark = pytest.mark.e2e

API_KEY = "e2e-key"
TEXTS = ("The garage door is closed.", "Turn on the porch light.", "It will rain at noon.")
"""Short: two replies per format; every format speaks each text, heard after its own decode."""


@pytest.fixture(name="api", scope="module")
def api_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The server with its web port and a key: the API's base URL."""
    folder = tmp_path_factory.mktemp("openai-api")
    web = f"127.0.0.1:{free_port()}"
    config = folder / "config.yaml"
    config.write_text(yaml.safe_dump({"web": {"listen": web, "api_key": API_KEY}}))
    server: ServerProcess = start_server(folder, "--config", str(config))
    try:
        yield f"http://{web}/v1"
    finally:
        server.stop()
    assert API_KEY not in Path(server.log).read_text(encoding="utf-8")


@pytest.fixture(name="recognizer", scope="module")
def recognizer_fixture() -> Iterator[Any]:
    yield asr.load_model()


@pytest.mark.parametrize(("index", "format_name"), list(enumerate(FORMATS)))
async def test_every_format_is_heard_whole_and_streamed(
    api: str, recognizer: Any, index: int, format_name: str
) -> None:
    client = speech_client(api, API_KEY)
    whole_text, streamed_text = TEXTS[index % 3], TEXTS[(index + 1) % 3]
    whole = await client.audio.speech.create(
        model="tts-1", voice="nova", input=whole_text, response_format=format_name
    )
    streamed, content_type = await streamed_speech(client, streamed_text, "af_heart", format_name)
    assert content_type == FORMATS[format_name].content_type
    for text, data in ((whole_text, whole.content), (streamed_text, streamed)):
        pcm, rate = decode(data, format_name)
        heard = asr.transcribe(recognizer, pcm, rate)
        assert asr.word_error_rate(text, heard) == 0.0, (format_name, heard)


async def test_a_wrong_key_is_refused(api: str) -> None:
    with pytest.raises(openai.AuthenticationError):
        await speech_client(api, "wrong").audio.speech.create(
            model="tts-1", voice="nova", input="Hello."
        )
