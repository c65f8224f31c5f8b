"""A client that talks to a Wyoming TTS server the way Home Assistant does.

Used by the end-to-end tests and the benchmark: it streams text in small fragments
(synthesize-start, chunks cut mid-word, the full `synthesize` copy, synthesize-stop) or
sends one `synthesize`, and records when each audio chunk arrived.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from wyoming import tts
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.error import Error
from wyoming.event import Event, async_write_event

from ..server.healthcheck import describe

__all__ = [
    "Reply",
    "describe",
    "fragments",
    "request_without_reading",
    "stalls",
    "stream_reply",
    "synthesize_reply",
]


INSIDE_SENTENCE_QUIET = 0.1
"""Seconds of silence that mark a pause between clauses or sentences (the server's clause
pause is 0.15 s, a phrase's inside a sentence 0.05 s)."""


@dataclass
class Reply:
    """What came back for one request."""

    events: list[Event] = field(default_factory=list)
    audio: bytearray = field(default_factory=bytearray)
    chunk_times: list[float] = field(default_factory=list)
    """Seconds from the first text sent to each audio-chunk's arrival."""
    chunk_seconds: list[float] = field(default_factory=list)
    """Audio duration of each chunk."""
    rate: int | None = None
    error: Error | None = None
    total_seconds: float = 0.0

    @property
    def types(self) -> list[str]:
        return [event.type for event in self.events]

    @property
    def audio_seconds(self) -> float:
        return sum(self.chunk_seconds)

    @property
    def first_audio(self) -> float | None:
        return self.chunk_times[0] if self.chunk_times else None

    def underruns(self) -> int:
        """Chunks that arrived after a player started at the first chunk would have needed them."""
        return len(self.stalls())

    def silence(self) -> float:
        """Seconds such a player stood silent waiting for audio, after the first chunk."""
        return sum(self.stalls())

    def stalls(self) -> list[float]:
        """Each wait of a player that starts at the first chunk (see `stalls`)."""
        return stalls(self.chunk_times, self.chunk_seconds)

    def stalls_inside_sentences(self, quiet: float = INSIDE_SENTENCE_QUIET) -> int:
        """Stalls not at a pause: the audio neither ends nor goes on with `quiet` seconds of
        digital silence there (the server's clause and sentence pauses are longer; whether a
        server sends a pause before the wait or after it)."""
        samples = memoryview(bytes(self.audio)).cast("h")
        rate = self.rate or 1
        span = round(quiet * rate)
        inside = 0
        for index, _wait in stall_positions(self.chunk_times, self.chunk_seconds):
            at = round(sum(self.chunk_seconds[:index]) * rate)
            before, after = samples[max(0, at - span) : at], samples[at : at + span]
            if not any(len(part) == span and not any(part) for part in (before, after)):
                inside += 1
        return inside


def stalls(chunk_times: Sequence[float], chunk_seconds: Sequence[float]) -> list[float]:
    """Of chunks arriving at `chunk_times` (seconds) with `chunk_seconds` of audio each: each
    wait of a player that starts at the first chunk, plays chunks back to back and, when the
    next one is not there yet, waits for it and goes on from there."""
    return [wait for _index, wait in stall_positions(chunk_times, chunk_seconds)]


def stall_positions(
    chunk_times: Sequence[float], chunk_seconds: Sequence[float]
) -> list[tuple[int, float]]:
    """Each such wait, with the index of the chunk it waited for."""
    waits: list[tuple[int, float]] = []
    if not chunk_times:
        return waits
    start = chunk_times[0]
    played = 0.0
    for index, (arrived, seconds) in enumerate(zip(chunk_times, chunk_seconds, strict=True)):
        if arrived > start + played + 1e-3:
            waits.append((index, arrived - (start + played)))
            start = arrived - played  # the player waited; it resumes from here
        played += seconds
    return waits


def fragments(text: str, size: int) -> list[str]:
    """Cut text every `size` characters, mid-word, as an LLM stream arrives."""
    return [text[i : i + size] for i in range(0, len(text), size)]


async def stream_reply(
    host: str,
    port: int,
    text: str,
    *,
    voice: str | None = None,
    fragment_chars: int = 7,
    fragment_delay: float = 0.0,
    context: dict | None = None,
    text_format: str | None = None,
    timeout: float = 300.0,
) -> Reply:
    """Stream `text` as Home Assistant does and collect the reply until synthesize-stopped."""
    synth_voice = tts.SynthesizeVoice(name=voice) if voice else None
    start = tts.SynthesizeStart(voice=synth_voice, context=context, text_format=text_format)

    async def send(client: AsyncTcpClient) -> None:
        await client.write_event(start.event())
        for index, piece in enumerate(fragments(text, fragment_chars)):
            if index and fragment_delay:
                await asyncio.sleep(fragment_delay)  # the next fragment is still being written
            await client.write_event(tts.SynthesizeChunk(text=piece).event())
        copy = tts.Synthesize(text=text, voice=synth_voice, text_format=text_format)
        await client.write_event(copy.event())
        await client.write_event(tts.SynthesizeStop().event())

    return await _exchange(host, port, send, tts.SynthesizeStopped.is_type, timeout)


async def synthesize_reply(
    host: str,
    port: int,
    text: str,
    *,
    voice: str | None = None,
    text_format: str | None = None,
    timeout: float = 300.0,
) -> Reply:
    """One `synthesize` request, read until audio-stop (Home Assistant's non-streaming path)."""
    synthesize = tts.Synthesize(
        text=text,
        voice=tts.SynthesizeVoice(name=voice) if voice else None,
        text_format=text_format,
    )

    async def send(client: AsyncTcpClient) -> None:
        await client.write_event(synthesize.event())

    return await _exchange(host, port, send, AudioStop.is_type, timeout)


async def _exchange(
    host: str,
    port: int,
    send: Callable[[AsyncTcpClient], Awaitable[None]],
    is_last: Callable[[str], bool],
    timeout: float,
) -> Reply:
    """Send while reading the reply (a slow writer must not hold up the audio's arrival)."""
    async with AsyncTcpClient(host, port) as client:
        started = time.monotonic()
        reader = asyncio.create_task(_collect(client, started, is_last, timeout))
        await send(client)
        return await reader


async def _collect(
    client: AsyncTcpClient, started: float, is_last: Callable[[str], bool], timeout: float
) -> Reply:
    reply = Reply()
    async with asyncio.timeout(timeout):
        while True:
            event = await client.read_event()
            if event is None:
                break
            reply.events.append(event)
            if AudioStart.is_type(event.type) and reply.rate is None:
                reply.rate = AudioStart.from_event(event).rate
            elif AudioChunk.is_type(event.type):
                chunk = AudioChunk.from_event(event)
                reply.audio.extend(chunk.audio)
                reply.chunk_times.append(time.monotonic() - started)
                reply.chunk_seconds.append(
                    len(chunk.audio) / (chunk.rate * chunk.width * chunk.channels)
                )
            elif Error.is_type(event.type):
                reply.error = Error.from_event(event)
                break
            if is_last(event.type):
                break
    reply.total_seconds = time.monotonic() - started
    return reply


async def request_without_reading(host: str, port: int, text: str) -> asyncio.StreamWriter:
    """Ask for `text` spoken, then never read: a client whose small receive buffer fills up
    and stalls the server's writes. Close the writer that comes back."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, port))
    _reader, writer = await asyncio.open_connection(sock=sock)
    await async_write_event(tts.Synthesize(text=text).event(), writer)
    return writer
