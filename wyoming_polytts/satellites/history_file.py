"""The history on disk: one .npz file (arrays plus a JSON index; no pickle), saved soon
after replies end and at shutdown, so a restart keeps voices steady.

A save writes a partial file, flushes it and its folder to disk, then renames it: a power
cut leaves the old file or the new one. A file that cannot be read is moved aside
(`context.npz.corrupt-<time>`) and start-up goes on with no history; a full or read-only
disk costs a warning, never the server."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import threading
import time
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..storage import durable_replace
from .history import HistoryStore, SatelliteHistory, Turn

_LOGGER = logging.getLogger(__name__)

_FORMAT = 1
_INDEX = "index.json"


class HistoryFile:
    """Loads a HistoryStore from `path` and saves it there."""

    def __init__(self, store: HistoryStore, path: Path, delay: float) -> None:
        self._store = store
        self.path = path
        self._delay = delay
        self._lock = threading.Lock()  # a save at shutdown may meet one in the background
        self._timer: asyncio.TimerHandle | None = None
        self._saving: asyncio.Future[None] | None = None

    def load(self) -> None:
        """Read the saved history; a missing or broken file starts empty."""
        try:
            with np.load(self.path, allow_pickle=False) as npz:
                arrays = {name: npz[name] for name in npz.files}
            index = json.loads(arrays.pop(_INDEX).tobytes())
            histories = {}
            for key, entry in index["keys"].items():
                history = self._store.new_history()
                history.turns.extend(_turn_from_index(turn, arrays) for turn in entry["turns"])
                history.conversation_id = entry["conversation_id"]
                history.last_active = float(entry["last_active"])
                histories[key] = history
        except FileNotFoundError:
            return
        except (OSError, EOFError, zipfile.BadZipFile, ValueError, KeyError, TypeError) as err:
            self._move_aside(err)
            return
        self._store.restore(histories)
        _LOGGER.info("Loaded conversation history of %s satellite(s)", len(histories))

    def _move_aside(self, err: Exception) -> None:
        aside = self.path.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            os.replace(self.path, aside)
        except OSError as move_err:
            _LOGGER.warning(
                "Saved conversation history %s is damaged (%s) and cannot be moved aside (%s); "
                "starting without it",
                self.path,
                err,
                move_err,
            )
            return
        _LOGGER.warning(
            "Saved conversation history %s is damaged (%s); moved it to %s and started without it",
            self.path,
            err,
            aside.name,
        )

    def save_soon(self) -> None:
        """Save after the delay, off the event loop (several replies, one write)."""
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._delay, self._save_off_loop)

    def _save_off_loop(self) -> None:
        self._timer = None
        self._saving = asyncio.ensure_future(asyncio.to_thread(self.save))

    def close(self) -> None:
        """Save now (at shutdown), whatever is pending."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.save()

    def save(self) -> None:
        """Write all live history atomically; a failure is a warning, never a crash."""
        try:
            self._write(self._store.live())
        except OSError as err:
            _LOGGER.warning("Cannot save the conversation history: %s", err)

    def _write(self, histories: Mapping[str, SatelliteHistory]) -> None:
        arrays: dict[str, NDArray[np.generic]] = {}
        index: dict[str, object] = {
            "format": _FORMAT,
            "keys": {
                key: {
                    "conversation_id": history.conversation_id,
                    "last_active": history.last_active,
                    "turns": [_turn_index(turn, arrays) for turn in history.turns],
                }
                for key, history in histories.items()
            },
        }
        arrays[_INDEX] = np.frombuffer(json.dumps(index).encode(), dtype=np.uint8)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".partial")
        with self._lock:
            try:
                with partial.open("wb") as file:
                    np.savez(file, **arrays)  # type: ignore[arg-type]
                durable_replace(partial, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    partial.unlink()
                raise


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
