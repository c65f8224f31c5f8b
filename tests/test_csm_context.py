"""Per-conversation CSM history and fitting it into the model's window."""

from __future__ import annotations

import threading

import numpy as np

from wyoming_polytts.engines.csm_context import ConversationHistory, Turn, fit_context


def turn(text_tokens: int, frames: int) -> Turn:
    return Turn(tuple(range(text_tokens)), np.zeros((frames, 4), dtype=np.int16))


def test_a_turn_counts_text_frames_and_the_end_of_audio_frame() -> None:
    assert turn(5, 10).tokens == 16


def test_a_turn_travels_as_numeric_arrays() -> None:
    original = Turn((5, 300_000), np.arange(8, dtype=np.int16).reshape(2, 4))
    blob = original.blob()
    assert {name: array.dtype.kind for name, array in blob.items()} == {
        "text_ids": "i",
        "codes": "i",
    }
    copy = Turn.from_blob(blob)
    assert copy.text_ids == original.text_ids
    assert np.array_equal(copy.codes, original.codes)


def test_history_keeps_the_latest_turns_per_conversation() -> None:
    history = ConversationHistory(max_turns=2, max_conversations=10)
    turns = [turn(1, n) for n in range(3)]
    for item in turns:
        history.add("kitchen", item)
    history.add("office", turns[0])
    assert history.turns("kitchen") == tuple(turns[1:])
    assert history.turns("office") == (turns[0],)
    assert history.turns("garage") == ()


def test_history_forgets_the_least_recently_used_conversation() -> None:
    history = ConversationHistory(max_turns=2, max_conversations=2)
    history.add("a", turn(1, 1))
    history.add("b", turn(1, 1))
    history.turns("a")  # a is now more recent than b
    history.add("c", turn(1, 1))
    assert len(history) == 2
    assert history.turns("b") == ()
    assert history.turns("a") != ()


def test_no_history_is_kept_with_zero_turns() -> None:
    history = ConversationHistory(max_turns=0, max_conversations=2)
    history.add("a", turn(1, 1))
    assert history.turns("a") == ()
    assert len(history) == 0


def test_history_is_safe_across_threads() -> None:
    history = ConversationHistory(max_turns=5, max_conversations=3)

    def work(worker: int) -> None:
        for n in range(300):
            history.add(f"key{(worker + n) % 7}", turn(1, n))
            history.turns(f"key{n % 7}")

    threads = [threading.Thread(target=work, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(history) == 3
    assert all(len(history.turns(f"key{n}")) <= 5 for n in range(7))


def test_fit_keeps_the_newest_turns_that_fit_in_order() -> None:
    old, middle, new = turn(2, 7), turn(2, 17), turn(2, 27)  # 10, 20 and 30 tokens
    assert fit_context((), (old, middle, new), 60) == [old, middle, new]
    assert fit_context((), (old, middle, new), 59) == [middle, new]
    assert fit_context((), (old, middle, new), 30) == [new]
    assert fit_context((), (old, middle, new), 29) == []


def test_fit_never_skips_a_turn_to_reach_an_older_one() -> None:
    old, big, new = turn(2, 2), turn(2, 97), turn(2, 2)  # 5, 100 and 5 tokens
    assert fit_context((), (old, big, new), 20) == [new]


def test_fit_puts_a_reference_first_while_it_fits() -> None:
    reference, old, new = turn(2, 17), turn(2, 7), turn(2, 7)  # 20, 10 and 10 tokens
    assert fit_context((reference,), (old, new), 35) == [reference, new]
    assert fit_context((reference,), (old, new), 19) == [new]
    assert fit_context((reference,), (), 0) == []
