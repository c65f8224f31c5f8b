"""The server's C heap: with the threshold fixed, a large block freed does not make later
blocks of its size come from the heap (glibc's default raises the threshold to it)."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

# In a child: mallopt changes the whole process's heap. Prints how many blocks are mapped on
# their own (mallinfo2's hblks) more while a 1 MiB block is held after another was freed.
PROBE = """
import ctypes, sys
from wyoming_polytts.server.heap import tune_heap
class Info(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
libc.mallinfo2.restype = Info
if sys.argv[1] == "tuned":
    assert tune_heap()
libc.free(libc.malloc(1 << 20))
before = libc.mallinfo2().hblks
held = libc.malloc(1 << 20)
print(libc.mallinfo2().hblks - before)
libc.free(held)
"""


def mapped_blocks(mode: str) -> int:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, timeout=60, check=True
    )
    return int(result.stdout)


@pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only"
)
def test_a_tuned_heap_maps_large_blocks_on_their_own_after_one_was_freed() -> None:
    assert mapped_blocks("default") == 0  # glibc's dynamic threshold rose to 1 MiB
    assert mapped_blocks("tuned") == 1
