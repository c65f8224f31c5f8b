"""Audio files of the OpenAI speech API back to PCM, for tests: FFmpeg's decoders through
PyAV (not the encoders that made them), WAV through the standard library."""

from __future__ import annotations

import io
import wave

import av
import numpy as np

from ..engines.base import SAMPLE_RATE


def decode(data: bytes, format_name: str) -> tuple[bytes, int]:
    """16-bit mono PCM and its rate of a file in `response_format` `format_name`."""
    if format_name == "pcm":  # headerless: the API's rate and width
        return data, SAMPLE_RATE
    if format_name == "wav":
        with wave.open(io.BytesIO(data)) as file:
            return file.readframes(file.getnframes()), file.getframerate()
    with av.open(io.BytesIO(data), mode="r") as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="s16", layout="mono", rate=stream.rate)
        chunks = [
            out.to_ndarray().tobytes()
            for frame in container.decode(stream)
            for out in resampler.resample(frame)
        ]
        return b"".join(chunks), stream.rate


def seconds(pcm16: bytes, rate: int) -> float:
    return len(pcm16) / 2 / rate


def loudness(pcm16: bytes) -> float:
    """RMS of the samples, 0 to 1: silence or noise from a bad decode shows here."""
    samples = np.frombuffer(pcm16, dtype="<i2").astype(np.float32) / 32768
    return float(np.sqrt(np.mean(samples**2))) if len(samples) else 0.0
