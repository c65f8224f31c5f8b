"""The phrase cache holds 16-bit PCM, is bounded in bytes and evicts the least recently used
phrase; a reply from it sends the very bytes the engine's reply sent."""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterator

import numpy as np

from wyoming_polytts.engines.base import Audio, SynthesisRequest
from wyoming_polytts.reply.audio import from_pcm16_samples, to_pcm16_samples
from wyoming_polytts.reply.cache import PhraseCache
from wyoming_polytts.testing.client import synthesize_reply
from wyoming_polytts.testing.fake_engine import FakeEngine


def pcm(samples: int) -> np.ndarray:
    return np.ones(samples, dtype="<i2")  # 2 bytes a sample


def test_evicts_least_recently_used_within_the_byte_limit() -> None:
    cache = PhraseCache(max_bytes=2 * 250)
    cache.put("a", pcm(100))
    cache.put("b", pcm(100))
    assert cache.get("a") is not None  # a is now the most recent
    cache.put("c", pcm(100))
    assert cache.get("b") is None
    assert cache.get("a") is not None and cache.get("c") is not None
    assert cache.size_bytes == 2 * 200
    assert (cache.hits, cache.misses) == (3, 1)


def test_counts_the_bytes_it_holds() -> None:
    cache = PhraseCache(max_bytes=1000)
    cache.put("a", pcm(50))
    cache.put("a", pcm(80))  # replaces, never adds
    assert cache.size_bytes == 160
    cache.put("b", pcm(420))
    assert cache.size_bytes == 1000  # exactly full is within the limit
    cache.put("c", pcm(1))  # evicts "a" (160 bytes), the least recent
    assert cache.size_bytes == 842
    assert cache.get("a") is None
    cache.put("huge", pcm(501))  # larger than the whole cache: not kept, nothing evicted
    assert cache.get("huge") is None
    assert cache.size_bytes == 842


def test_float_audio_is_stored_as_16_bit_pcm() -> None:
    cache = PhraseCache(max_bytes=1000)
    cache.put("a", to_pcm16_samples(np.full(100, 0.5, dtype=np.float32)))
    stored = cache.get("a")
    assert stored is not None and stored.dtype == np.dtype("<i2")
    assert cache.size_bytes == 200  # half of what float32 took


def test_cached_audio_cannot_be_changed_by_the_caller() -> None:
    cache = PhraseCache(max_bytes=4000)
    original = pcm(10)
    cache.put("a", original)
    original[:] = 0
    stored = cache.get("a")
    assert stored is not None and stored.sum() == 10
    assert not stored.flags.writeable


def test_every_16_bit_sample_survives_the_way_to_float_and_back() -> None:
    every = np.arange(-32767, 32768, dtype="<i2")
    np.testing.assert_array_equal(to_pcm16_samples(from_pcm16_samples(every)), every)


def test_float_audio_rounds_to_the_nearest_sample_and_clips() -> None:
    audio = np.array([0.0, 1.0, -1.0, 1.5, -7.0, 0.4 / 32767, 0.6 / 32767], dtype=np.float32)
    assert to_pcm16_samples(audio).tolist() == [0, 32767, -32767, 32767, -32767, 0, 1]


class NoiseEngine(FakeEngine):
    """Loud noise, clipped in places, the same for the same text: no sample is on the grid."""

    def synthesize(self, request: SynthesisRequest, cancel: threading.Event) -> Iterator[Audio]:
        self.requests.append(request)
        rng = np.random.default_rng(zlib.crc32(request.text.encode()))
        yield rng.uniform(-1.2, 1.2, 12_000).astype(np.float32)


TEXT = "Turned on the kitchen lights. The oven is at two hundred degrees."


async def test_a_reply_from_the_cache_sends_the_bytes_of_the_engines_reply(serve) -> None:
    engine = NoiseEngine()
    engine.loaded.set()
    async with serve([engine], cache_mb=1) as server:
        synthesized = await synthesize_reply(server.host, server.port, TEXT)
        cached = await synthesize_reply(server.host, server.port, TEXT)
        cache = server.parts.backends["kokoro"].scheduler.cache
        assert cache is not None and cache.hits == 2  # both sentences
    uncached_engine = NoiseEngine()
    uncached_engine.loaded.set()
    async with serve([uncached_engine]) as server:
        uncached = await synthesize_reply(server.host, server.port, TEXT)
    assert len(engine.requests) == 2 and len(uncached_engine.requests) == 2
    assert len(synthesized.audio) > 40_000
    assert bytes(cached.audio) == bytes(synthesized.audio) == bytes(uncached.audio)
