"""The frame loop's one host read per frame: the codes and end-of-audio flags it made.

`FrameModel` writes both into one device tensor, so a frame reaches the host in one copy:
on CUDA into a pinned buffer, without blocking, then one event waited for; on the CPU a
plain copy (the next step overwrites the device tensor, so the reader keeps a copy).
"""

from __future__ import annotations

import torch


class FrameReader:
    """Reads the first rows of `output` (slots, codebooks + 1): codes, then the end flag."""

    def __init__(self, output: torch.Tensor) -> None:
        self._output = output
        self._cuda = output.device.type == "cuda"
        self.host = torch.empty(output.shape, dtype=output.dtype, pin_memory=self._cuda)
        """Where a read lands: pinned on CUDA, so the copy runs without the host."""
        self._copied = torch.cuda.Event() if self._cuda else None

    def read(self, count: int) -> tuple[torch.Tensor, list[bool]]:
        """The codes (count, codebooks) and end flags of the frame the last step made, for
        rows 0..count-1, on the host: one copy and one wait, on this thread's stream."""
        host = self.host[:count]
        host.copy_(self._output[:count], non_blocking=self._cuda)
        if self._copied is not None:
            self._copied.record()
            self._copied.synchronize()
        # a copy: the next read overwrites the buffer, and the codes go to their replies
        codes = host[:, :-1].clone()
        return codes, host[:, -1].bool().tolist()
