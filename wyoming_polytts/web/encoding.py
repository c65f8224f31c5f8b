"""A reply's 16-bit PCM encoded as it comes, by FFmpeg's encoders and muxers (PyAV).

A streamed encoder writes to an output that cannot seek: each muxer then writes what it can
at once (Ogg pages of 20 ms, MP3 and ADTS frames, FLAC frames), and a header it would fix at
the end stays open (FLAC's STREAMINFO without a length, WAV's sizes unset). A whole file
is written to memory that can seek, so its header is complete.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import av
import numpy as np
from av.audio.stream import AudioStream

from ..engines.base import SAMPLE_RATE


@dataclass(frozen=True)
class AudioFormat:
    container: str
    """FFmpeg's muxer."""
    codec: str
    content_type: str
    options: Mapping[str, str] = field(default_factory=dict)
    """The muxer's options."""


FORMATS = {
    "mp3": AudioFormat("mp3", "libmp3lame", "audio/mpeg"),
    # Ogg holds pages for a second by default: 20 ms pages go out with each Opus frame
    "opus": AudioFormat("ogg", "libopus", "audio/ogg", {"page_duration": "20000"}),
    "aac": AudioFormat("adts", "aac", "audio/aac"),
    "flac": AudioFormat("flac", "flac", "audio/flac"),
    "wav": AudioFormat("wav", "pcm_s16le", "audio/wav"),
    "pcm": AudioFormat("s16le", "pcm_s16le", "audio/pcm"),
}
"""OpenAI's `response_format`s: mono at SAMPLE_RATE (Opus decoders play it at 48 kHz)."""


class Encoder(Protocol):
    """Encodes one reply; `encode` and `finish` run off the event loop (they may block)."""

    @property
    def content_type(self) -> str: ...

    def encode(self, pcm16: bytes) -> bytes:
        """Encode more samples; the bytes ready to send (none yet for a whole file)."""

    def finish(self) -> bytes:
        """The rest of the file (all of it for a whole file)."""

    def close(self) -> None:
        """Release the encoder (any time, from any thread; finish does it too)."""


class _Unseekable(io.RawIOBase):
    """Collects what the muxer writes, to be taken as it comes; it cannot seek back."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        taken, self._chunks = b"".join(self._chunks), []
        return taken


class AvEncoder:
    """One reply in `audio_format`; streamed: its bytes as they are made."""

    def __init__(self, audio_format: AudioFormat, *, streamed: bool) -> None:
        self.content_type = audio_format.content_type
        self._streamed = _Unseekable() if streamed else None
        self._whole = io.BytesIO()
        self._lock = threading.Lock()  # a cancelled reply may close while a chunk encodes
        self._container = av.open(
            self._streamed or self._whole,
            mode="w",
            format=audio_format.container,
            options=dict(audio_format.options),
        )
        stream = self._container.add_stream(audio_format.codec, rate=SAMPLE_RATE, layout="mono")
        assert isinstance(stream, AudioStream)  # an audio codec's stream
        self._stream = stream
        self._open = True

    def encode(self, pcm16: bytes) -> bytes:
        samples = np.frombuffer(pcm16, dtype="<i2").reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        with self._lock:
            if self._open:
                self._container.mux(self._stream.encode(frame))
            return self._taken()

    def finish(self) -> bytes:
        with self._lock:
            if self._open:
                self._container.mux(self._stream.encode(None))
                self._close()
            return self._taken() if self._streamed else self._whole.getvalue()

    def close(self) -> None:
        with self._lock:
            if self._open:
                self._close()

    def _close(self) -> None:
        self._open = False
        self._container.close()

    def _taken(self) -> bytes:
        return self._streamed.take() if self._streamed else b""
