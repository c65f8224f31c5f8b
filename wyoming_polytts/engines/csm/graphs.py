"""The frame step compiled and as CUDA graphs: once per batch size at load, replayed per frame.

A CSM-1B frame is about 2,800 small kernels (one backbone step, 31 depth-decoder steps,
32 samplings; `scripts/bench_csm.py --kernels-only` counts them). Launched one by one from
Python, the launches rather than the GPU set the pace; a graph replays them all with one
launch. The graph records `FrameModel.step` itself, the function the CPU runs eagerly (or
its `torch.compile`d form, with csm.torch_compile), so the tests on the CPU cover what the
graph replays.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch

from .frames import FrameModel

_LOGGER = logging.getLogger(__name__)

WARM_UP_RUNS = 3
"""Eager runs before a capture: lazy initialisation (cuBLAS handles, kernel selection)
must not happen inside the graph."""


def capture(work: Callable[[], object], pool: Any = None) -> torch.cuda.CUDAGraph:
    """`work` (which only touches tensors that outlive the graph) warmed up on a side
    stream, then captured; `pool` shares memory between graphs that never run at once."""
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for _ in range(WARM_UP_RUNS):
            work()
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    # thread_local: other threads (Mimi decoding, prompts' embeddings) go on using the GPU
    with torch.cuda.graph(graph, pool=pool, capture_error_mode="thread_local"):
        work()
    return graph


def compiled_step(frames: FrameModel, sizes: Sequence[int]) -> Callable[[int], None]:
    """`frames.step` through `torch.compile` (the whole frame as one graph, shapes static),
    compiled for each batch size in `sizes` now, at load, while no reply holds a slot: a
    compilation takes seconds to minutes, which no reply may wait for."""
    started = time.perf_counter()
    step: Callable[[int], None] = torch.compile(frames.step, fullgraph=True, dynamic=False)
    for size in sizes:
        step(size)
    _LOGGER.info(
        "Compiled the CSM frame step for batches of %s in %.1f s",
        ", ".join(map(str, sizes)),
        time.perf_counter() - started,
    )
    return step


class FrameGraphs:
    """One graph of `step(size)` per batch size in `sizes`; build it at load, while no reply
    holds a slot (the warm-up runs step every slot)."""

    def __init__(self, step: Callable[[int], None], sizes: Sequence[int]) -> None:
        started = time.perf_counter()
        pool = torch.cuda.graph_pool_handle()
        # Largest first: the shared pool then already holds what the smaller ones need
        self._graphs = {
            size: capture(functools.partial(step, size), pool)
            for size in sorted(sizes, reverse=True)
        }
        _LOGGER.info(
            "Captured the CSM frame step for batches of %s in %.1f s",
            ", ".join(map(str, sorted(sizes))),
            time.perf_counter() - started,
        )

    def step(self, batch: int) -> None:
        """What `FrameModel.step(batch)` does, from the graph."""
        self._graphs[batch].replay()
