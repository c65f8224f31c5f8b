"""OpenAI's own client on the speech API, for tests: whole and streamed speech."""

from __future__ import annotations

import openai


def speech_client(base_url: str, api_key: str = "none") -> openai.AsyncOpenAI:
    """A client that tries once (an error is the answer under test)."""
    return openai.AsyncOpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=120)


async def streamed_speech(
    client: openai.AsyncOpenAI, text: str, voice: str, format_name: str
) -> tuple[bytes, str]:
    """The audio and Content-Type of `with_streaming_response` asking for `stream_format`
    audio (the client has no argument for it yet)."""
    async with client.audio.speech.with_streaming_response.create(
        model="tts-1",
        voice=voice,
        input=text,
        response_format=format_name,  # type: ignore[arg-type]
        extra_body={"stream_format": "audio"},
    ) as response:
        return await response.read(), response.headers["Content-Type"]
