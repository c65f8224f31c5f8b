"""Kokoro's sessions share one arena (onnxruntime's growth), keep the weights out of it and
shrink it after every run: read back from onnxruntime's own objects."""

from __future__ import annotations

from typing import Any

import onnxruntime
import pytest

from wyoming_polytts.engines.kokoro.memory import (
    SessionMemory,
    SessionWithRunOptions,
    arena_config,
    run_options,
    session_options,
)

SHRINK = "memory.enable_memory_arena_shrinkage"


def entry(options: Any, key: str) -> str | None:
    """A session config entry, None when it is not set."""
    try:
        return str(options.get_session_config_entry(key))
    except RuntimeError:
        return None


def test_the_default_arena_keeps_onnxruntimes_growth() -> None:
    config = arena_config(onnxruntime, SessionMemory())
    assert (
        config.max_mem,
        config.arena_extend_strategy,
        config.initial_chunk_size_bytes,
        config.max_dead_bytes_per_chunk,
    ) == (0, -1, -1, -1)


@pytest.mark.parametrize("threads", [0, 2])
def test_sessions_share_the_arena_and_keep_the_weights_out_of_it(threads: int) -> None:
    options = session_options(onnxruntime, threads, SessionMemory())
    assert entry(options, "session.use_env_allocators") == "1"
    assert entry(options, "session.use_device_allocator_for_initializers") == "1"
    assert entry(options, "session.disable_prepacking") is None
    assert options.enable_cpu_mem_arena and options.enable_mem_pattern
    assert (options.intra_op_num_threads, options.inter_op_num_threads) == (threads, 1)


def test_every_run_shrinks_the_arena() -> None:
    assert run_options(onnxruntime, SessionMemory()).get_run_config_entry(SHRINK) == "cpu:0"


def test_without_an_arena_there_is_nothing_to_share_or_shrink() -> None:
    memory = SessionMemory(arena=None, memory_pattern=False, prepacking=False)
    options = session_options(onnxruntime, 1, memory)
    assert not options.enable_cpu_mem_arena and not options.enable_mem_pattern
    assert entry(options, "session.use_env_allocators") is None
    assert entry(options, "session.disable_prepacking") == "1"
    with pytest.raises(RuntimeError):
        run_options(onnxruntime, memory).get_run_config_entry(SHRINK)


class RecordingSession:
    def __init__(self) -> None:
        self.runs: list[tuple[object, ...]] = []
        self.inputs = ["tokens"]

    def run(self, *args: object) -> str:
        self.runs.append(args)
        return "audio"


def test_the_session_wrapper_hands_every_run_its_options() -> None:
    session = RecordingSession()
    options = run_options(onnxruntime, SessionMemory())
    wrapped = SessionWithRunOptions(session, options)
    assert wrapped.run(None, {"tokens": 1}) == "audio"
    assert session.runs == [(None, {"tokens": 1}, options)]
    assert wrapped.inputs == ["tokens"]  # everything else is the session's
