"""How Kokoro's onnxruntime sessions take memory: one arena shared by every session, grown by
what a run asks for, and no memory pattern per input length.

Today's figures are in the README (scripts/arena_ab.py and scripts/soak.py): with onnxruntime's
defaults the arena grew by doubling toward the largest request it had seen and, with a pattern
planned for each new input length, kept climbing over hundreds of different replies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SessionMemory:
    """An arena shared through onnxruntime's environment (None: each session allocates with
    malloc) and whether sessions plan a memory pattern for each input shape they see."""

    arena: Mapping[str, int] | None = field(
        default_factory=lambda: {"arena_extend_strategy": 1}  # kSameAsRequested
    )
    """OrtArenaCfg's keys; the ones left out keep onnxruntime's defaults."""
    memory_pattern: bool = False


def register_shared_arena(onnxruntime: Any, memory: SessionMemory) -> None:
    """One memory arena for all sessions instead of one each (measured: 599 -> 453 MB peak
    for two sessions); it lives in onnxruntime's process-wide environment."""
    if memory.arena is None:
        return
    info = onnxruntime.OrtMemoryInfo(
        "Cpu", onnxruntime.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0, onnxruntime.OrtMemType.DEFAULT
    )
    onnxruntime.create_and_register_allocator(info, arena_config(onnxruntime, memory))


def arena_config(onnxruntime: Any, memory: SessionMemory) -> Any:
    """The OrtArenaCfg of `memory`'s arena (whose fields can be read back)."""
    return onnxruntime.OrtArenaCfg(dict(memory.arena or {}))


def session_options(onnxruntime: Any, threads: int, memory: SessionMemory) -> Any:
    """A Kokoro session's options: `threads` intra-op threads (0: one per physical core), the
    shared arena if there is one, a memory pattern or none."""
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.enable_mem_pattern = memory.memory_pattern
    if memory.arena is None:
        options.enable_cpu_mem_arena = False
    else:
        options.add_session_config_entry("session.use_env_allocators", "1")
    return options
