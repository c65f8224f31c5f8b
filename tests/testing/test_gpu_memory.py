"""The GPU memory sampler, against a stand-in nvidia-smi (no GPU here)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wyoming_polytts.testing.gpu_memory import GpuMemory
from wyoming_polytts.testing.waiting import wait_for


async def test_the_peak_of_that_process_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stand-in reports 900 MiB for another process, and 300, 700, then 500 for ours."""
    readings = tmp_path / "readings"
    readings.write_text("300\n700\n500\n")
    fake = tmp_path / "nvidia-smi"
    fake.write_text(
        "#!/bin/sh\n"
        f'used=$(head -n 1 "{readings}")\n'
        f'[ "$(wc -l < "{readings}")" -gt 1 ] && sed -i 1d "{readings}"\n'
        'echo "4321, 900 MiB"\n'
        'echo "1234, $used MiB"\n'
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    with GpuMemory(1234) as memory:
        await wait_for(lambda: readings.read_text() == "500\n")  # 300 and 700 were read
    assert memory.peak_mb == 700


def test_a_process_nvidia_smi_does_not_list_has_no_figure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "nvidia-smi"
    fake.write_text('#!/bin/sh\necho "4321, 900 MiB"\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    with GpuMemory(1234) as memory:
        pass
    assert memory.peak_mb is None
