"""A frame reaches the host in one read: the codes and end flags the two reads gave before."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from tests.engines.csm.test_batcher import FRAMES, Watch, prompts
from tests.engines.csm.test_batcher import codes as reply_codes
from tests.engines.csm.test_frames import GREEDY, admitted, prompt
from wyoming_polytts.engines.csm.batcher import FrameBatcher
from wyoming_polytts.engines.csm.frames import FrameModel
from wyoming_polytts.engines.csm.host_read import FrameReader
from wyoming_polytts.testing.csm_tiny import CODEBOOK_SIZE, build_tiny_csm


def two_reads(frames: FrameModel, count: int) -> tuple[torch.Tensor, list[bool]]:
    """The frame as the loop read it before: the codes, then the end flags."""
    codes = frames.codes[:count].to("cpu", copy=True)
    return codes, [bool(flag) for flag in frames.finished[:count].tolist()]


def test_one_read_gives_what_two_gave_frame_after_frame() -> None:
    model = build_tiny_csm()[0]
    frames = FrameModel(model, slots=4, max_top_k=CODEBOOK_SIZE)
    reader = FrameReader(frames.output)
    for row in range(3):
        admitted(frames, row, prompt(model, seed=row, text_tokens=5 + row), GREEDY)
    earlier: list[tuple[torch.Tensor, torch.Tensor]] = []
    for _ in range(6):
        frames.step(4)
        codes, finished = reader.read(3)
        expected_codes, expected_finished = two_reads(frames, 3)
        assert torch.equal(codes, expected_codes)
        assert finished == expected_finished
        earlier.append((codes, expected_codes))
    # each read is the reader's own copy: later steps and reads leave it as it was
    assert all(torch.equal(kept, expected) for kept, expected in earlier)
    assert len({tuple(codes.flatten().tolist()) for codes, _ in earlier}) > 1


def test_the_frame_loop_reads_the_host_once_per_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    model = build_tiny_csm()[0]
    frames = FrameModel(model, slots=4, max_top_k=CODEBOOK_SIZE)
    reads: list[int] = []
    read = FrameReader.read

    def counted(self: FrameReader, count: int) -> Any:
        reads.append(count)
        return read(self, count)

    monkeypatch.setattr(FrameReader, "read", counted)
    watch = Watch(frames)
    batcher = FrameBatcher(frames, cuda_graphs=False)
    try:
        replies = [batcher.submit(embeds, FRAMES, GREEDY) for embeds in prompts(model, 2)]
        assert [len(reply_codes(reply)) for reply in replies] == [FRAMES, FRAMES]
    finally:
        batcher.close()
    assert len(reads) == len(watch.steps) >= FRAMES
