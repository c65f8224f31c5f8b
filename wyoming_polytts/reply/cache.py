"""A bounded, thread-safe LRU cache of synthesized phrases ("Turned on the kitchen lights.").

It holds a phrase's audio as it leaves, 16-bit PCM (half of float32), so that a reply from the
cache sends exactly the bytes the engine's reply sent.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Hashable

import numpy as np

from .audio import Pcm16

_LOGGER = logging.getLogger(__name__)


class PhraseCache:
    """Keeps the most recently used audio up to `max_bytes` of PCM; counts hits and misses."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, Pcm16] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> Pcm16 | None:
        with self._lock:
            pcm = self._entries.get(key)
            if pcm is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
        _LOGGER.debug("Phrase cache hit (%s hits, %s misses): %r", self.hits, self.misses, key)
        return pcm

    def put(self, key: Hashable, pcm: Pcm16) -> None:
        if pcm.nbytes > self.max_bytes:
            return
        pcm = np.array(pcm, dtype="<i2")  # a private copy, frozen against later edits
        pcm.flags.writeable = False
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self._bytes -= previous.nbytes
            self._entries[key] = pcm
            self._bytes += pcm.nbytes
            while self._bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= evicted.nbytes

    @property
    def size_bytes(self) -> int:
        with self._lock:
            return self._bytes
