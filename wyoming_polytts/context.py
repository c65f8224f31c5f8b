"""Per-satellite conversation history: the last turns of each context key.

A turn is the user's words (when known), the reply's text and what each engine keeps to
sound continuous (e.g. CSM's audio codes): an opaque blob of numeric arrays the engine
reads back on the next turn. History is bounded in turns and bytes, expires after a
quiet spell, restarts when the conversation id changes, and may be saved to the data
dir as one .npz file (arrays plus a JSON index; no pickle), so a restart keeps voices steady.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from .routing_settings import ContextSettings

_LOGGER = logging.getLogger(__name__)

Blob = Mapping[str, NDArray[np.generic]]
"""An engine's data for one segment or turn: named numeric arrays."""

_FORMAT = 1
_INDEX = "index.json"


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
class _Conversation:
    turns: deque[Turn]
    conversation_id: str | None = None
    last_active: float = 0.0


class ContextStore:
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
        self._keys: OrderedDict[str, _Conversation] = OrderedDict()
        self._lock = threading.Lock()
        self._file_lock = threading.Lock()  # a save at shutdown may meet one in the background

    def open(
        self, key: str, *, conversation_id: str | None = None, user_text: str | None = None
    ) -> ConversationContext:
        """Start a reply for `key`; a quiet spell or a new conversation id forgets the past."""
        with self._lock:
            conversation = self._current(key)
            if conversation_id and conversation_id != conversation.conversation_id:
                if conversation.conversation_id is not None and conversation.turns:
                    _LOGGER.debug("New conversation %s for %s", conversation_id, key)
                    conversation.turns.clear()
                conversation.conversation_id = conversation_id
            conversation.last_active = self._clock()
            earlier = tuple(conversation.turns)
        return ConversationContext(self, key, earlier, user_text)

    def turns(self, key: str) -> tuple[Turn, ...]:
        """The history of `key` (empty once expired), oldest first."""
        with self._lock:
            conversation = self._keys.get(key)
            if conversation is None or self._expired(conversation):
                return ()
            return tuple(conversation.turns)

    def keys(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(self._keys)

    def _current(self, key: str) -> _Conversation:
        conversation = self._keys.get(key)
        if conversation is None or self._expired(conversation):
            if conversation is not None:
                _LOGGER.debug(
                    "Conversation of %s expired after %.0f s", key, self._idle(conversation)
                )
            conversation = _Conversation(deque(maxlen=self._settings.max_turns or None))
            self._keys[key] = conversation
        self._keys.move_to_end(key)
        while len(self._keys) > self._settings.max_keys:
            self._keys.popitem(last=False)
        return conversation

    def _idle(self, conversation: _Conversation) -> float:
        return self._clock() - conversation.last_active

    def _expired(self, conversation: _Conversation) -> bool:
        return self._idle(conversation) > self._settings.idle_timeout

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
            conversation = self._current(key)
            conversation.turns.append(turn)
            conversation.last_active = self._clock()
            while conversation.turns and sum(t.nbytes for t in conversation.turns) > (
                self._settings.max_bytes
            ):
                conversation.turns.popleft()
        if self._on_commit is not None:
            self._on_commit()

    def save(self, path: Path) -> None:
        """Write all history to `path` (.npz) atomically."""
        arrays: dict[str, NDArray[np.generic]] = {}
        index: dict[str, object] = {"format": _FORMAT, "keys": {}}
        with self._lock:
            for key, conversation in self._keys.items():
                if self._expired(conversation):
                    continue
                index["keys"][key] = {  # type: ignore[index]
                    "conversation_id": conversation.conversation_id,
                    "last_active": conversation.last_active,
                    "turns": [_turn_index(turn, arrays) for turn in conversation.turns],
                }
        arrays[_INDEX] = np.frombuffer(json.dumps(index).encode(), dtype=np.uint8)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        with self._file_lock:
            with partial.open("wb") as file:
                np.savez(file, **arrays)  # type: ignore[arg-type]
            os.replace(partial, path)

    def load(self, path: Path) -> None:
        """Read history written by `save`; a missing or broken file starts empty."""
        try:
            with np.load(path, allow_pickle=False) as npz:
                arrays = {name: npz[name] for name in npz.files}
            index = json.loads(arrays.pop(_INDEX).tobytes())
            conversations = {
                key: _Conversation(
                    deque(
                        (_turn_from_index(turn, arrays) for turn in entry["turns"]),
                        maxlen=self._settings.max_turns or None,
                    ),
                    entry["conversation_id"],
                    float(entry["last_active"]),
                )
                for key, entry in index["keys"].items()
            }
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError) as err:
            _LOGGER.warning("Ignoring saved conversation history %s: %s", path, err)
            return
        with self._lock:
            self._keys = OrderedDict(conversations)
        _LOGGER.info("Loaded conversation history of %s satellite(s)", len(conversations))


def _turn_index(turn: Turn, arrays: dict[str, NDArray[np.generic]]) -> dict[str, object]:
    data: dict[str, list[dict[str, str]]] = {}
    for engine, blobs in turn.engine_data.items():
        for blob in blobs:
            names = {}
            for name, array in blob.items():
                names[name] = stored = f"a{len(arrays)}"
                arrays[stored] = array
            data.setdefault(engine, []).append(names)
    return {
        "user_text": turn.user_text,
        "assistant_text": turn.assistant_text,
        "at": turn.at,
        "engine_data": data,
    }


def _turn_from_index(entry: dict[str, object], arrays: Mapping[str, NDArray[np.generic]]) -> Turn:
    data = entry["engine_data"]
    assert isinstance(data, dict)
    return Turn(
        user_text=entry["user_text"],  # type: ignore[arg-type]
        assistant_text=str(entry["assistant_text"]),
        engine_data={
            engine: tuple({name: arrays[stored] for name, stored in blob.items()} for blob in blobs)
            for engine, blobs in data.items()
        },
        at=float(entry["at"]),  # type: ignore[arg-type]
    )


class ConversationContext:
    """One reply's view of its satellite's history; engines read it and add their data."""

    def __init__(
        self, store: ContextStore, key: str, earlier: tuple[Turn, ...], user_text: str | None
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
