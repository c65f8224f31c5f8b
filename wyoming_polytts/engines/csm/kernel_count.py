"""Counting the kernels a frame launches: what sets a GPU frame's pace once each kernel costs
a few microseconds, even replayed from a CUDA graph.

On CUDA the profiler's CUDA kernels are counted. On the CPU the same work is counted as the
innermost aten operations that do work: an operation counts unless it only describes memory
(a view, a reshape, an allocation, a type query, a `to` that returns its input) or an
operation it calls counts. Counting only leaves (operations that call no other) would miss
the ones that allocate their output first: `flip`, `where`, SDPA's kernel.
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from typing import Any

import torch
from torch.profiler import ProfilerActivity, profile

NO_WORK = frozenset(
    f"aten::{name}"
    for name in (
        "alias",
        "as_strided",
        "detach",
        "result_type",
        "resolve_conj",
        "resolve_neg",
        "to",
        "empty",
        "empty_like",
        "empty_strided",
        "expand",
        "flatten",
        "lift_fresh",
        "narrow",
        "new_empty",
        "numpy_T",
        "permute",
        "reshape",
        "resize_",
        "select",
        "split",
        "split_with_sizes",
        "slice",
        "squeeze",
        "t",
        "transpose",
        "unflatten",
        "unbind",
        "unsqueeze",
        "view",
        "view_as_real",
        "_reshape_alias",
        "_unsafe_view",
    )
)
"""Operations that launch no kernel on a GPU by themselves (a `to` that converts calls
`copy_`, which counts)."""


def kernels(work: Callable[[], object], device: torch.device) -> collections.Counter[str]:
    """What one run of `work` launches, by name (run it once before, to warm up)."""
    cuda = device.type == "cuda"
    activities = [ProfilerActivity.CPU, *([ProfilerActivity.CUDA] if cuda else [])]
    with profile(activities=activities) as profiler:
        work()
        if cuda:
            torch.cuda.synchronize()
    counts: collections.Counter[str] = collections.Counter()
    events = profiler.events()
    if cuda:
        counts.update(e.name for e in events if e.device_type == torch.autograd.DeviceType.CUDA)
        return counts
    working: dict[int, bool] = {}

    def works(event: Any) -> bool:
        """Whether `event` or an operation below it does work; counts the innermost."""
        if event.id not in working:
            below = [works(child) for child in event.cpu_children]  # all: each counts once
            innermost = not any(below) and event.name.startswith("aten::")
            if innermost and event.name not in NO_WORK:
                counts[event.name] += 1
            working[event.id] = any(below) or (innermost and event.name not in NO_WORK)
        return working[event.id]

    for event in events:
        works(event)
    return counts
