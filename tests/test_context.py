"""The context store: bounded per-satellite history, expiry, new conversations, persistence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from wyoming_polytts.context import ContextStore
from wyoming_polytts.routing_settings import ContextSettings


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def store(**settings: object) -> tuple[ContextStore, Clock]:
    clock = Clock()
    return ContextStore(ContextSettings(**settings), clock), clock  # type: ignore[arg-type]


def reply(contexts: ContextStore, key: str, text: str, **kwargs: object) -> None:
    contexts.open(key, **kwargs).commit(text)  # type: ignore[arg-type]


def texts(contexts: ContextStore, key: str) -> list[str]:
    return [turn.assistant_text for turn in contexts.turns(key)]


def test_turns_are_kept_per_key_and_bounded() -> None:
    contexts, _ = store(max_turns=2)
    for n in range(3):
        reply(contexts, "kitchen", f"kitchen {n}")
    reply(contexts, "office", "office 0")
    assert texts(contexts, "kitchen") == ["kitchen 1", "kitchen 2"]
    assert texts(contexts, "office") == ["office 0"]


def test_user_text_is_part_of_the_turn() -> None:
    contexts, _ = store()
    reply(contexts, "kitchen", "It is 21 degrees.", user_text="How warm is it?")
    (turn,) = contexts.turns("kitchen")
    assert (turn.user_text, turn.assistant_text) == ("How warm is it?", "It is 21 degrees.")


def test_engine_data_is_read_back_by_the_next_reply() -> None:
    contexts, _ = store()
    first = contexts.open("kitchen")
    codes = np.arange(12, dtype=np.int16).reshape(4, 3)
    first.remember("csm", {"codes": codes, "text_ids": [1, 2, 3]})
    # Within the reply the engine already sees its own earlier segments
    assert len(first.history("csm")) == 1
    first.commit("Hello.")
    second = contexts.open("kitchen")
    (blob,) = second.history("csm")
    np.testing.assert_array_equal(blob["codes"], codes)
    assert second.history("kokoro") == ()
    assert [t.assistant_text for t in second.earlier] == ["Hello."]


def test_engine_data_must_be_numeric() -> None:
    contexts, _ = store()
    with pytest.raises(TypeError, match="numeric"):
        contexts.open("kitchen").remember("csm", {"state": np.array([object()])})


def test_bytes_bound_drops_the_oldest_turns() -> None:
    contexts, _ = store(max_bytes=1000)
    for n in range(3):
        handle = contexts.open("kitchen")
        handle.remember("csm", {"codes": np.zeros(100, dtype=np.int16)})  # 200 bytes each
        handle.commit(f"reply {n}")
    assert len(contexts.turns("kitchen")) == 3
    handle = contexts.open("kitchen")
    handle.remember("csm", {"codes": np.zeros(200, dtype=np.int16)})  # 1024 bytes in all
    handle.commit("big")
    assert texts(contexts, "kitchen") == ["reply 1", "reply 2", "big"]
    assert sum(turn.nbytes for turn in contexts.turns("kitchen")) <= 1000


def test_idle_time_starts_a_new_conversation() -> None:
    contexts, clock = store(idle_timeout=300)
    reply(contexts, "kitchen", "first")
    clock.now += 299
    assert texts(contexts, "kitchen") == ["first"]
    reply(contexts, "kitchen", "second")
    clock.now += 301
    assert texts(contexts, "kitchen") == []
    assert contexts.open("kitchen").earlier == ()


def test_a_new_conversation_id_clears_the_history() -> None:
    contexts, _ = store()
    reply(contexts, "kitchen", "one", conversation_id="c1")
    reply(contexts, "kitchen", "two", conversation_id="c1")
    reply(contexts, "kitchen", "three")  # no id: same conversation
    assert texts(contexts, "kitchen") == ["one", "two", "three"]
    handle = contexts.open("kitchen", conversation_id="c2")
    assert handle.earlier == ()
    handle.commit("four")
    assert texts(contexts, "kitchen") == ["four"]


def test_least_recently_used_keys_are_forgotten() -> None:
    contexts, _ = store(max_keys=2)
    for key in ("kitchen", "office", "kitchen", "bedroom"):
        reply(contexts, key, key)
    assert set(contexts.keys()) == {"kitchen", "bedroom"}


def test_zero_turns_keeps_nothing() -> None:
    contexts, _ = store(max_turns=0)
    reply(contexts, "kitchen", "gone")
    assert contexts.turns("kitchen") == ()


def test_history_survives_a_restart_without_pickle(tmp_path: Path) -> None:
    contexts, clock = store()
    handle = contexts.open("kitchen", conversation_id="c1", user_text="Lights on?")
    handle.remember("csm", {"codes": np.arange(6, dtype=np.int32).reshape(2, 3)})
    handle.remember("csm", {"codes": np.ones((1, 3), dtype=np.int32)})
    handle.commit("Done.")
    reply(contexts, "office", "Hi.")
    path = tmp_path / "context.npz"
    contexts.save(path)
    with np.load(path, allow_pickle=False) as npz:
        assert all(npz[name].dtype != object for name in npz.files)

    restored = ContextStore(ContextSettings(), clock)
    restored.load(path)
    (turn,) = restored.turns("kitchen")
    assert (turn.user_text, turn.assistant_text) == ("Lights on?", "Done.")
    blobs = restored.open("kitchen", conversation_id="c1").history("csm")
    assert [blob["codes"].shape for blob in blobs] == [(2, 3), (1, 3)]
    np.testing.assert_array_equal(blobs[0]["codes"], np.arange(6).reshape(2, 3))
    assert texts(restored, "office") == ["Hi."]


def test_a_broken_or_missing_file_starts_empty(tmp_path: Path) -> None:
    contexts, _ = store()
    contexts.load(tmp_path / "missing.npz")
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a zip file")
    contexts.load(broken)
    assert contexts.keys() == ()


def test_commit_notifies_the_listener() -> None:
    commits: list[int] = []
    contexts = ContextStore(ContextSettings(), on_commit=lambda: commits.append(1))
    reply(contexts, "kitchen", "Hello.")
    assert commits == [1]
