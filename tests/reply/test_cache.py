"""The phrase cache is bounded in bytes and evicts the least recently used phrase."""

from __future__ import annotations

import numpy as np

from wyoming_polytts.reply.cache import PhraseCache


def audio(samples: int) -> np.ndarray:
    return np.ones(samples, dtype=np.float32)  # 4 bytes a sample


def test_evicts_least_recently_used_within_the_byte_limit() -> None:
    cache = PhraseCache(max_bytes=4 * 250)
    cache.put("a", audio(100))
    cache.put("b", audio(100))
    assert cache.get("a") is not None  # a is now the most recent
    cache.put("c", audio(100))
    assert cache.get("b") is None
    assert cache.get("a") is not None and cache.get("c") is not None
    assert cache.size_bytes == 4 * 200
    assert (cache.hits, cache.misses) == (3, 1)


def test_replacing_a_key_and_oversized_audio() -> None:
    cache = PhraseCache(max_bytes=400)
    cache.put("a", audio(50))
    cache.put("a", audio(80))
    assert cache.size_bytes == 320
    cache.put("huge", audio(1000))
    assert cache.get("huge") is None
    assert cache.size_bytes == 320


def test_cached_audio_cannot_be_changed_by_the_caller() -> None:
    cache = PhraseCache(max_bytes=4000)
    original = audio(10)
    cache.put("a", original)
    original[:] = 0
    stored = cache.get("a")
    assert stored is not None and stored.sum() == 10
    assert not stored.flags.writeable
