"""The history on disk: saved without pickle, read back after a restart, never fatal."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.satellites.test_history import reply, store, texts
from wyoming_polytts.satellites.history import HistoryStore
from wyoming_polytts.satellites.history_file import HistoryFile
from wyoming_polytts.satellites.settings import ContextSettings


def test_history_survives_a_restart_without_pickle(tmp_path: Path) -> None:
    history, clock = store()
    handle = history.open("kitchen", conversation_id="c1", user_text="Lights on?")
    handle.remember("csm", {"codes": np.arange(6, dtype=np.int32).reshape(2, 3)})
    handle.remember("csm", {"codes": np.ones((1, 3), dtype=np.int32)})
    handle.commit("Done.")
    reply(history, "office", "Hi.")
    path = tmp_path / "context.npz"
    HistoryFile(history, path, delay=0).save()
    with np.load(path, allow_pickle=False) as npz:
        assert all(npz[name].dtype != object for name in npz.files)

    restored = HistoryStore(ContextSettings(), clock)
    HistoryFile(restored, path, delay=0).load()
    (turn,) = restored.turns("kitchen")
    assert (turn.user_text, turn.assistant_text) == ("Lights on?", "Done.")
    blobs = restored.open("kitchen", conversation_id="c1").history("csm")
    assert [blob["codes"].shape for blob in blobs] == [(2, 3), (1, 3)]
    np.testing.assert_array_equal(blobs[0]["codes"], np.arange(6).reshape(2, 3))
    assert texts(restored, "office") == ["Hi."]


def test_a_broken_or_missing_file_starts_empty(tmp_path: Path) -> None:
    history, _ = store()
    HistoryFile(history, tmp_path / "missing.npz", delay=0).load()
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a zip file")
    HistoryFile(history, broken, delay=0).load()
    assert history.keys() == ()
