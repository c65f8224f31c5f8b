"""The frame step as CUDA graphs: captured once per batch size at load, replayed per frame.

A CSM-1B frame is about 1,400 small kernels (one backbone step, 31 depth-decoder steps,
32 samplings). Launched one by one from Python, the launches rather than the GPU set the
pace; a graph replays them all with one launch. The graph records `FrameModel.step` itself,
the function the CPU runs eagerly, so the tests on the CPU cover what the graph replays.
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
    with torch.cuda.graph(graph, pool=pool):
        work()
    return graph


class FrameGraphs:
    """One graph of `frames.step(size)` per batch size in `sizes`; build it at load, while
    no reply holds a slot (the warm-up runs step every slot)."""

    def __init__(self, frames: FrameModel, sizes: Sequence[int]) -> None:
        started = time.perf_counter()
        pool = torch.cuda.graph_pool_handle()
        # Largest first: the shared pool then already holds what the smaller ones need
        self._graphs = {
            size: capture(functools.partial(frames.step, size), pool)
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
