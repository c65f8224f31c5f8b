"""Kokoro's sessions share one arena that grows by what a run asks for, and plan no memory
pattern per input length: read back from onnxruntime's own objects."""

from __future__ import annotations

import onnxruntime
import pytest

from wyoming_polytts.engines.kokoro.memory import SessionMemory, arena_config, session_options

SAME_AS_REQUESTED = 1
"""onnxruntime's ArenaExtendStrategy::kSameAsRequested."""


def test_the_default_arena_grows_by_what_is_requested() -> None:
    config = arena_config(onnxruntime, SessionMemory())
    assert config.arena_extend_strategy == SAME_AS_REQUESTED
    # The rest stay onnxruntime's: no limit, its initial chunk and dead-bytes threshold
    assert (config.max_mem, config.initial_chunk_size_bytes, config.max_dead_bytes_per_chunk) == (
        0,
        -1,
        -1,
    )


@pytest.mark.parametrize("threads", [0, 2])
def test_sessions_use_the_shared_arena_without_a_memory_pattern(threads: int) -> None:
    options = session_options(onnxruntime, threads, SessionMemory())
    assert options.get_session_config_entry("session.use_env_allocators") == "1"
    assert options.enable_cpu_mem_arena
    assert not options.enable_mem_pattern
    assert (options.intra_op_num_threads, options.inter_op_num_threads) == (threads, 1)


def test_without_an_arena_sessions_allocate_on_their_own() -> None:
    options = session_options(onnxruntime, 1, SessionMemory(arena=None, memory_pattern=True))
    assert not options.enable_cpu_mem_arena
    assert options.enable_mem_pattern
    with pytest.raises(RuntimeError, match="does not have configuration"):
        options.get_session_config_entry("session.use_env_allocators")
