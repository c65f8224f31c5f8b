"""CUDA streams of CSM's two threads: the frame loop runs on one, Mimi decoding on another,
so neither waits behind the other's kernels. Off CUDA they are no-ops.

A device tensor that one thread makes and another reads crosses streams: the reader's
stream waits for the event recorded after it was made, and the tensor is recorded as used
by the reader's stream, so its memory is not reused while that stream may still read it.
"""

from __future__ import annotations

import contextlib
from typing import Any

import torch


def side_stream(device: torch.device) -> torch.cuda.Stream | None:
    """A stream of its own on a CUDA `device`, starting after the work queued so far on this
    thread's stream (the weights and state it reads were made there); None elsewhere."""
    if device.type != "cuda":
        return None
    stream = torch.cuda.Stream(device)
    stream.wait_stream(torch.cuda.current_stream(device))
    return stream


def on(stream: torch.cuda.Stream | None) -> contextlib.AbstractContextManager[Any]:
    """Run the calling thread's work on `stream` (nothing changes for None)."""
    return contextlib.nullcontext() if stream is None else torch.cuda.stream(stream)


def made(tensor: torch.Tensor) -> torch.cuda.Event | None:
    """On CUDA, an event recorded on this thread's stream after the work that made `tensor`;
    hand it to `received` with the tensor. None elsewhere."""
    if tensor.device.type != "cuda":
        return None
    event = torch.cuda.Event()
    event.record(torch.cuda.current_stream(tensor.device))
    return event


def received(
    tensor: torch.Tensor, event: torch.cuda.Event | None, stream: torch.cuda.Stream | None
) -> None:
    """`stream` is about to read `tensor`, made where `event` was recorded (`made`): it waits
    for it, and the allocator keeps the memory until `stream` is done with it."""
    if event is not None and stream is not None:
        stream.wait_event(event)
        tensor.record_stream(stream)
