"""The history on disk: one .npz file (arrays plus a JSON index; no pickle), saved soon
after replies end and at shutdown, so a restart keeps voices steady.

A save writes a partial file, flushes it and its folder to disk, then renames it: a power
cut leaves the old file or the new one. A file that cannot be read is moved aside
(`context.npz.corrupt-<time>`) and start-up goes on with no history; a full or read-only
disk costs a warning, never the server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..storage import durable_replace
from .history import HistoryStore, SatelliteHistory
from .history_format import decode, encode

_LOGGER = logging.getLogger(__name__)


DAMAGED = (OSError, EOFError, zipfile.BadZipFile, zlib.error, NotImplementedError, ValueError)
"""What reading a damaged file raises: truncated, not a zip, a bad deflate stream, an unknown
compression, not .npy members or not the format (MalformedHistory is a ValueError)."""


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
            histories = decode(arrays, self._store.new_history)
        except FileNotFoundError:
            return
        except DAMAGED as err:
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
        arrays = encode(histories)
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
