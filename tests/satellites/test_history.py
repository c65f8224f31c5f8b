"""The history store: bounded per-satellite history, expiry, new conversations."""

from __future__ import annotations

import numpy as np
import pytest

from wyoming_polytts.satellites.history import HistoryStore
from wyoming_polytts.satellites.settings import ContextSettings


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def store(**settings: object) -> tuple[HistoryStore, Clock]:
    clock = Clock()
    return HistoryStore(ContextSettings(**settings), clock), clock  # type: ignore[arg-type]


def reply(history: HistoryStore, key: str, text: str, **kwargs: object) -> None:
    history.open(key, **kwargs).commit(text)  # type: ignore[arg-type]


def texts(history: HistoryStore, key: str) -> list[str]:
    return [turn.assistant_text for turn in history.turns(key)]


def test_turns_are_kept_per_key_and_bounded() -> None:
    history, _ = store(max_turns=2)
    for n in range(3):
        reply(history, "kitchen", f"kitchen {n}")
    reply(history, "office", "office 0")
    assert texts(history, "kitchen") == ["kitchen 1", "kitchen 2"]
    assert texts(history, "office") == ["office 0"]


def test_user_text_is_part_of_the_turn() -> None:
    history, _ = store()
    reply(history, "kitchen", "It is 21 degrees.", user_text="How warm is it?")
    (turn,) = history.turns("kitchen")
    assert (turn.user_text, turn.assistant_text) == ("How warm is it?", "It is 21 degrees.")


def test_engine_data_is_read_back_by_the_next_reply() -> None:
    history, _ = store()
    first = history.open("kitchen")
    codes = np.arange(12, dtype=np.int16).reshape(4, 3)
    first.remember("csm", {"codes": codes, "text_ids": [1, 2, 3]})
    # Within the reply the engine already sees its own earlier segments
    assert len(first.history("csm")) == 1
    first.commit("Hello.")
    second = history.open("kitchen")
    (blob,) = second.history("csm")
    np.testing.assert_array_equal(blob["codes"], codes)
    assert second.history("kokoro") == ()
    assert [t.assistant_text for t in second.earlier] == ["Hello."]


def test_engine_data_must_be_numeric() -> None:
    history, _ = store()
    with pytest.raises(TypeError, match="numeric"):
        history.open("kitchen").remember("csm", {"state": np.array([object()])})


def test_bytes_bound_drops_the_oldest_turns() -> None:
    history, _ = store(max_bytes=1000)
    for n in range(3):
        handle = history.open("kitchen")
        handle.remember("csm", {"codes": np.zeros(100, dtype=np.int16)})  # 200 bytes each
        handle.commit(f"reply {n}")
    assert len(history.turns("kitchen")) == 3
    handle = history.open("kitchen")
    handle.remember("csm", {"codes": np.zeros(200, dtype=np.int16)})  # 1024 bytes in all
    handle.commit("big")
    assert texts(history, "kitchen") == ["reply 1", "reply 2", "big"]
    assert sum(turn.nbytes for turn in history.turns("kitchen")) <= 1000


def test_idle_time_starts_a_new_conversation() -> None:
    history, clock = store(idle_timeout=300)
    reply(history, "kitchen", "first")
    clock.now += 299
    assert texts(history, "kitchen") == ["first"]
    reply(history, "kitchen", "second")
    clock.now += 301
    assert texts(history, "kitchen") == []
    assert history.open("kitchen").earlier == ()


def test_a_new_conversation_id_clears_the_history() -> None:
    history, _ = store()
    reply(history, "kitchen", "one", conversation_id="c1")
    reply(history, "kitchen", "two", conversation_id="c1")
    reply(history, "kitchen", "three")  # no id: same conversation
    assert texts(history, "kitchen") == ["one", "two", "three"]
    handle = history.open("kitchen", conversation_id="c2")
    assert handle.earlier == ()
    handle.commit("four")
    assert texts(history, "kitchen") == ["four"]


def test_least_recently_used_keys_are_forgotten() -> None:
    history, _ = store(max_keys=2)
    for key in ("kitchen", "office", "kitchen", "bedroom"):
        reply(history, key, key)
    assert set(history.keys()) == {"kitchen", "bedroom"}


def test_zero_turns_keeps_nothing() -> None:
    history, _ = store(max_turns=0)
    reply(history, "kitchen", "gone")
    assert history.turns("kitchen") == ()


def test_commit_notifies_the_listener() -> None:
    commits: list[int] = []
    history = HistoryStore(ContextSettings(), on_commit=lambda: commits.append(1))
    reply(history, "kitchen", "Hello.")
    assert commits == [1]
