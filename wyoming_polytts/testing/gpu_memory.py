"""The most GPU memory a process holds while something runs, as nvidia-smi reports it.

For benchmarks of a server in another process: its allocator's own figures are out of
reach, and nvidia-smi's count (the CUDA context included) is what the GPU really gives it.
"""

from __future__ import annotations

import subprocess
import threading

SAMPLE_SECONDS = 0.2


class GpuMemory:
    """The most GPU memory a process held, as nvidia-smi reports it, sampled in a thread."""

    def __init__(self, pid: int) -> None:
        self._pid = pid
        self.peak_mb: float | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> GpuMemory:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._done.set()
        self._thread.join()

    def _sample(self) -> None:
        query = ["nvidia-smi", "--query-compute-apps=pid,used_memory", "--format=csv,noheader"]
        while True:
            listing = subprocess.run(query, capture_output=True, text=True, timeout=10).stdout
            for line in listing.splitlines():
                pid, _, used = line.partition(",")
                if pid.strip() == str(self._pid):
                    megabytes = float(used.split()[0])
                    self.peak_mb = max(self.peak_mb or 0.0, megabytes)
            if self._done.wait(SAMPLE_SECONDS):
                return
