"""Per-satellite conversation history: the last turns of each context key.

A turn is the user's words (when known), the reply's text and what each engine keeps to
sound continuous (e.g. CSM's audio codes): an opaque blob of numeric arrays the engine
reads back on the next turn, through the `HistoryView` a reply opens (the `Conversation`
engines read and write). History is bounded
in turns and bytes, expires after a quiet spell and restarts when the conversation id
changes; `history_file` saves it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from ..engines.base import Blob
from .settings import ContextSettings

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class Turn:
    user_text: str | None
    assistant_text: str
    engine_data: Mapping[str, tuple[Blob, ...]] = field(default_factory=dict)
    at: float = 0.0
    """Wall-clock time of the reply's end."""

    @property
    def nbytes(self) -> int:
        arrays = sum(
            a.nbytes for blobs in self.engine_data.values() for b in blobs for a in b.values()
        )
        return arrays + len(self.assistant_text.encode()) + len((self.user_text or "").encode())


@dataclass
class SatelliteHistory:
    """One context key's turns and the conversation they belong to."""

    turns: deque[Turn]
    conversation_id: str | None = None
    last_active: float = 0.0


class HistoryStore:
    """The history of every context key; thread-safe (engines read it in worker threads)."""

    def __init__(
        self,
        settings: ContextSettings,
        clock: Callable[[], float] = time.time,
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        """`on_commit` is called after each new turn (to save the history soon)."""
        self._settings = settings
        self._clock = clock
        self._on_commit = on_commit
        self._keys: OrderedDict[str, SatelliteHistory] = OrderedDict()
        self._lock = threading.Lock()

    def open(
        self, key: str, *, conversation_id: str | None = None, user_text: str | None = None
    ) -> HistoryView:
        """Start a reply for `key`; a quiet spell or a new conversation id forgets the past."""
        with self._lock:
            history = self._current(key)
            if conversation_id and conversation_id != history.conversation_id:
                if history.conversation_id is not None and history.turns:
                    _LOGGER.debug("New conversation %s for %s", conversation_id, key)
                    history.turns.clear()
                history.conversation_id = conversation_id
            history.last_active = self._clock()
            earlier = tuple(history.turns)
        return HistoryView(self, key, earlier, user_text)

    def turns(self, key: str) -> tuple[Turn, ...]:
        """The history of `key` (empty once expired), oldest first."""
        with self._lock:
            history = self._keys.get(key)
            if history is None or self._expired(history):
                return ()
            return tuple(history.turns)

    def keys(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(self._keys)

    def new_history(self) -> SatelliteHistory:
        return SatelliteHistory(deque(maxlen=self._settings.max_turns or None))

    def _current(self, key: str) -> SatelliteHistory:
        history = self._keys.get(key)
        if history is None or self._expired(history):
            if history is not None:
                _LOGGER.debug("Conversation of %s expired after %.0f s", key, self._idle(history))
            history = self._keys[key] = self.new_history()
        self._keys.move_to_end(key)
        while len(self._keys) > self._settings.max_keys:
            self._keys.popitem(last=False)
        return history

    def _idle(self, history: SatelliteHistory) -> float:
        return self._clock() - history.last_active

    def _expired(self, history: SatelliteHistory) -> bool:
        return self._idle(history) > self._settings.idle_timeout

    def commit(
        self,
        key: str,
        user_text: str | None,
        assistant_text: str,
        engine_data: Mapping[str, tuple[Blob, ...]],
    ) -> None:
        """Add a spoken reply to `key`'s history; the oldest turns make room."""
        if self._settings.max_turns == 0:
            return
        with self._lock:
            turn = Turn(user_text, assistant_text, engine_data, at=self._clock())
            history = self._current(key)
            history.turns.append(turn)
            history.last_active = self._clock()
            while history.turns and sum(t.nbytes for t in history.turns) > (
                self._settings.max_bytes
            ):
                history.turns.popleft()
        if self._on_commit is not None:
            self._on_commit()

    def live(self) -> dict[str, SatelliteHistory]:
        """A copy of the histories that have not expired, least recently used first."""
        with self._lock:
            return {
                key: SatelliteHistory(
                    deque(history.turns), history.conversation_id, history.last_active
                )
                for key, history in self._keys.items()
                if not self._expired(history)
            }

    def restore(self, histories: Mapping[str, SatelliteHistory]) -> None:
        """Replace all history (read back from a file)."""
        with self._lock:
            self._keys = OrderedDict(histories)


class HistoryView:
    """One reply's view of its satellite's history: the `Conversation` engines read and add
    their data to, and the reply commits once spoken."""

    def __init__(
        self, store: HistoryStore, key: str, earlier: tuple[Turn, ...], user_text: str | None
    ) -> None:
        self.key = key
        self.earlier = earlier
        """The turns before this reply, oldest first."""
        self.user_text = user_text
        self._store = store
        self._data: dict[str, list[Blob]] = {}
        self._lock = threading.Lock()

    def history(self, engine: str) -> tuple[Blob, ...]:
        """`engine`'s blobs of the earlier turns and of this reply so far, oldest first."""
        with self._lock:
            current = tuple(self._data.get(engine, ()))
        return (
            *(blob for turn in self.earlier for blob in turn.engine_data.get(engine, ())),
            *current,
        )

    def remember(self, engine: str, blob: Mapping[str, object]) -> None:
        """Keep `engine`'s data for this reply (numeric arrays only, so it saves without pickle)."""
        arrays = {name: np.asarray(value) for name, value in blob.items()}
        for name, array in arrays.items():
            if array.dtype.kind not in "biuf":
                raise TypeError(f"context data {name!r} must be numeric, not {array.dtype}")
        with self._lock:
            self._data.setdefault(engine, []).append(arrays)

    def commit(self, assistant_text: str) -> None:
        """The reply was spoken: it becomes a turn of the history."""
        with self._lock:
            data = {engine: tuple(blobs) for engine, blobs in self._data.items()}
        self._store.commit(self.key, self.user_text, assistant_text, data)
