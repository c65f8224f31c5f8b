"""The history on disk: saved without pickle, read back after a restart, never fatal."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

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


def saved(tmp_path: Path) -> Path:
    history, _ = store()
    reply(history, "kitchen", "Lights are on.")
    path = tmp_path / "context.npz"
    HistoryFile(history, path, delay=0).save()
    return path


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: b"", id="empty (EOFError)"),
        pytest.param(lambda data: data[: len(data) // 2], id="truncated (BadZipFile)"),
        pytest.param(lambda data: b"not a zip file", id="garbage"),
    ],
)
def test_a_damaged_file_is_moved_aside_and_start_up_goes_on(
    tmp_path: Path, damage: Callable[[bytes], bytes], caplog: pytest.LogCaptureFixture
) -> None:
    path = saved(tmp_path)
    path.write_bytes(damage(path.read_bytes()))
    history, _ = store()
    HistoryFile(history, path, delay=0).load()
    assert history.keys() == ()
    (aside,) = tmp_path.glob("context.npz.corrupt-*")
    assert not path.exists()
    assert "is damaged" in caplog.text and aside.name in caplog.text
    # The next save starts a good file again
    reply(history, "office", "Fresh start.")
    HistoryFile(history, path, delay=0).save()
    restored, _ = store()
    HistoryFile(restored, path, delay=0).load()
    assert texts(restored, "office") == ["Fresh start."]


def test_a_missing_file_starts_empty_quietly(tmp_path: Path, caplog) -> None:
    history, _ = store()
    HistoryFile(history, tmp_path / "missing.npz", delay=0).load()
    assert history.keys() == () and caplog.text == ""


@pytest.mark.parametrize(
    "failure",
    [OSError(28, "No space left on device"), OSError(30, "Read-only file system")],
    ids=["disk full", "read-only"],
)
def test_a_save_that_cannot_be_written_is_a_warning_and_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog, failure: OSError
) -> None:
    path = saved(tmp_path)
    before = path.read_bytes()
    history, _ = store()
    reply(history, "kitchen", "This one is lost.")

    def no_room(*_args: object, **_kwargs: object) -> None:
        raise failure

    monkeypatch.setattr(np, "savez", no_room)
    HistoryFile(history, path, delay=0).save()  # no exception
    assert "Cannot save the conversation history" in caplog.text
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["context.npz"]  # no .partial left
