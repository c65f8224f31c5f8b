"""How Kokoro's onnxruntime sessions take memory: one arena shared by every session, the
model's weights kept out of it, weights not packed a second time.

The choices and their figures are in the README (scripts/arena_ab.py, scripts/soak.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SessionMemory:
    """What onnxruntime may hold for Kokoro's sessions."""

    arena: Mapping[str, int] | None = field(default_factory=dict)
    """OrtArenaCfg's keys for an arena shared through onnxruntime's environment (the ones
    left out keep onnxruntime's defaults); None: each session allocates with malloc."""
    memory_pattern: bool = True
    """Plan one block for a run's tensors per input shape."""
    initializers_in_arena: bool = False
    """The weights in the arena, whose chunks grow by doubling (outside: allocated as they are)."""
    prepacking: bool = True
    """A second, packed copy of weights for faster products."""
    shrink_after_run: bool = True
    """Give the arena's free regions back after every run: it holds only what the run in
    progress needs, not the most the longest segment ever did."""


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
    """A Kokoro session's options: `threads` intra-op threads (0: one per physical core) and
    `memory`'s settings."""
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.enable_mem_pattern = memory.memory_pattern
    if memory.arena is None:
        options.enable_cpu_mem_arena = False
    else:
        options.add_session_config_entry("session.use_env_allocators", "1")
    if not memory.initializers_in_arena:
        options.add_session_config_entry("session.use_device_allocator_for_initializers", "1")
    if not memory.prepacking:
        options.add_session_config_entry("session.disable_prepacking", "1")
    return options


def run_options(onnxruntime: Any, memory: SessionMemory) -> Any:
    """The options of every run: shrink the arena after it, or not."""
    options = onnxruntime.RunOptions()
    if memory.shrink_after_run and memory.arena is not None:
        options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
    return options


class SessionWithRunOptions:
    """An InferenceSession whose runs all take `options` (kokoro-onnx passes none)."""

    def __init__(self, session: Any, options: Any) -> None:
        self._session = session
        self._options = options

    def run(self, output_names: Any, inputs: Any) -> Any:
        return self._session.run(output_names, inputs, self._options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)
