"""A bounded, thread-safe LRU cache of synthesized phrases ("Turned on the kitchen lights.")."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Hashable

import numpy as np

from ..engines.base import Audio

_LOGGER = logging.getLogger(__name__)


class PhraseCache:
    """Keeps the most recently used audio up to `max_bytes`; counts hits and misses."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, Audio] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> Audio | None:
        with self._lock:
            audio = self._entries.get(key)
            if audio is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
        _LOGGER.debug("Phrase cache hit (%s hits, %s misses): %r", self.hits, self.misses, key)
        return audio

    def put(self, key: Hashable, audio: Audio) -> None:
        if audio.nbytes > self.max_bytes:
            return
        audio = np.array(audio, dtype=np.float32)  # a private copy, frozen against later edits
        audio.flags.writeable = False
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self._bytes -= previous.nbytes
            self._entries[key] = audio
            self._bytes += audio.nbytes
            while self._bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= evicted.nbytes

    @property
    def size_bytes(self) -> int:
        with self._lock:
            return self._bytes
