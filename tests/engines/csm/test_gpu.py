"""What the next lent CUDA GPU checks: the frame step replayed from CUDA graphs against the
eager step, sampling under graphs, the runtime's driver thread with graphs on and off, no
host synchronisation inside a step, CSM-1B's shapes in bfloat16, the frame loop and the Mimi
decoding each on a stream of its own, and a frame's one read to the host from a pinned
buffer. Skipped without CUDA; the CPU tests cover the same step eagerly (and compiled), the
decoding thread and the one read."""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np
import pytest
import torch
from transformers import CsmConfig, CsmForConditionalGeneration

from tests.engines.csm.test_batcher import codes
from tests.engines.csm.test_decoding import chunked, decoded_in_place, random_frames
from tests.engines.csm.test_frames import (
    GREEDY,
    admitted,
    choose,
    histogram,
    looped,
    prompt,
    total_variation,
)
from wyoming_polytts.engines.csm.batcher import FrameBatcher, buckets
from wyoming_polytts.engines.csm.frames import FrameModel
from wyoming_polytts.engines.csm.graphs import FrameGraphs, capture
from wyoming_polytts.engines.csm.host_read import FrameReader
from wyoming_polytts.engines.csm.mimi_stream import MimiStreamDecoder
from wyoming_polytts.engines.csm.runtime import CsmRuntime
from wyoming_polytts.engines.csm.sampler import Sampler, Sampling
from wyoming_polytts.testing.csm_tiny import CODEBOOK_SIZE, SETTINGS, build_tiny_csm

pytestmark = pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a CUDA GPU; torch sees none here"
)

SCHEDULE = (1, 1, 2, 2, 3, 4, 4, 5, 8, 8, 7, 4, 2, 1, 1)
"""Replies in the batch, frame by frame: joins and leaves through buckets 1, 2, 4 and 8."""


def on_gpu(seed: int, text_tokens: int) -> torch.Tensor:
    """A prompt of the tiny model (the same weights on the CPU and on the GPU)."""
    return prompt(build_tiny_csm()[0], seed, text_tokens).cuda()


def scripted(model: Any, graphs: bool) -> list[list[list[int]]]:
    """Greedy codes of every frame of SCHEDULE; each join reads its own prompt."""
    frames = FrameModel(model, slots=8, max_top_k=1)
    step = FrameGraphs(frames.step, buckets(8)).step if graphs else frames.step
    made, count, joins = [], 0, 0
    for wanted in SCHEDULE:
        for row in range(wanted, count):
            frames.release(row)
        for row in range(count, wanted):
            joins += 1
            admitted(frames, row, on_gpu(joins, 3 + joins), GREEDY)
        count = wanted
        with torch.no_grad():
            step(next(size for size in buckets(8) if size >= count))
        made.append(frames.codes[:count].tolist())
    return made


def test_graphs_replay_the_eager_step_over_joins_and_leaves() -> None:
    model = build_tiny_csm()[0].cuda()
    assert scripted(model, graphs=True) == scripted(model, graphs=False)


def test_sampling_under_a_graph_draws_anew_on_every_replay() -> None:
    """50,000 rows of one logit vector per replay: each replay's histogram meets the bound
    of the CPU's distribution test, and two replays differ."""
    draws, temperature, top_k = 50_000, 0.05, 10
    model = build_tiny_csm()[0]
    eos = model.config.codebook_eos_token_id
    sampler = Sampler(CODEBOOK_SIZE, CODEBOOK_SIZE, eos, CODEBOOK_SIZE, torch.device("cuda"))
    with torch.no_grad():
        hidden = model.backbone_model(inputs_embeds=prompt(model, 5, 9)).last_hidden_state
        logits = model.lm_head(hidden[:, -1]).float().cuda().expand(draws, -1).contiguous()
    out = torch.zeros(draws, dtype=torch.long, device="cuda")
    graph = capture(lambda: out.copy_(choose(sampler, logits, temperature, top_k)))
    exact = torch.softmax(logits[0].double() / temperature, dim=-1)
    exact = torch.where(exact >= exact.topk(top_k).values[-1], exact, 0)
    exact /= exact.sum()
    replays = []
    for _ in range(2):
        graph.replay()
        replays.append(out.clone())
        assert total_variation(histogram(out, CODEBOOK_SIZE), exact) < (top_k / draws) ** 0.5
    assert not torch.equal(*replays)


@pytest.mark.parametrize("graphs", [False, True])
def test_the_runtime_makes_the_same_frames_with_graphs_on_and_off(graphs: bool) -> None:
    model, processor = build_tiny_csm()
    settings = dataclasses.replace(SETTINGS, device="cuda", cuda_graphs=graphs, temperature=0)
    runtime = CsmRuntime(model.cuda(), processor, settings)
    reference = FrameModel(build_tiny_csm()[0].cuda(), slots=1, max_top_k=CODEBOOK_SIZE)
    try:
        text_ids = runtime.text_ids(0, "Hello there.")
        frames, _ended = runtime.submit((), text_ids, 12, lambda: False).take(12)
        embeds = runtime.embed((), text_ids)
        admitted(reference, 0, embeds, Sampling(0.0, CODEBOOK_SIZE))
        expected = []
        for _ in range(len(frames)):
            reference.step(1)
            expected.append(reference.codes[0].tolist())
        assert [frame.tolist() for frame in frames] == expected
    finally:
        runtime.close()


def test_a_step_never_waits_for_the_host() -> None:
    model = build_tiny_csm()[0].cuda()
    frames = FrameModel(model, slots=2, max_top_k=CODEBOOK_SIZE)
    admitted(frames, 0, on_gpu(1, 5), Sampling(0.9, CODEBOOK_SIZE))
    frames.step(2)  # lazy initialisation outside the check
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        frames.step(2)
    finally:
        torch.cuda.set_sync_debug_mode("default")


def test_csm_1b_shapes_in_bfloat16_replay_two_frames_per_bucket() -> None:
    with torch.device("cuda"):
        model = CsmForConditionalGeneration(CsmConfig()).to(torch.bfloat16).eval()
    frames = FrameModel(model, slots=8, max_top_k=50)
    graphs = FrameGraphs(frames.step, buckets(8))
    for row in range(8):
        embeds = torch.randn(1, 20 + row, model.config.hidden_size, device="cuda")
        admitted(frames, row, embeds.to(torch.bfloat16), Sampling(0.9, 50))
    for size in buckets(8):
        for _ in range(2):
            graphs.step(size)
        codes = frames.codes[:size]
        assert int(codes.min()) >= 0
        assert int(codes.max()) < model.config.vocab_size
        assert bool(torch.isfinite(frames.hidden[:size]).all())


def test_the_frame_loop_steps_on_its_own_stream_and_makes_the_eager_codes() -> None:
    """The prompts are made on the test's stream and read on the loop's: the codes are those
    of the same step run on the default stream."""
    model = build_tiny_csm()[0].cuda()
    frames = FrameModel(model, slots=2, max_top_k=CODEBOOK_SIZE)
    streams = []
    step = frames.step

    def watched(batch: int) -> None:
        streams.append(torch.cuda.current_stream())
        step(batch)

    frames.step = watched  # type: ignore[method-assign]
    batcher = FrameBatcher(frames, cuda_graphs=False)
    try:
        made = [codes(batcher.submit(on_gpu(seed, 5 + seed), 6, GREEDY)) for seed in (1, 2)]
    finally:
        batcher.close()
    assert streams and torch.cuda.default_stream() not in streams
    reference = FrameModel(build_tiny_csm()[0].cuda(), slots=1, max_top_k=CODEBOOK_SIZE)
    assert made == [looped(reference, on_gpu(seed, 5 + seed), 6) for seed in (1, 2)]


def test_decoding_on_its_own_stream_gives_the_audio_of_the_default_stream(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model, processor = build_tiny_csm()
    runtime = CsmRuntime(model.cuda(), processor, dataclasses.replace(SETTINGS, device="cuda"))
    streams = []
    decode = MimiStreamDecoder.decode

    def watched(self: MimiStreamDecoder, codes: torch.Tensor) -> torch.Tensor:
        streams.append(torch.cuda.current_stream())
        return decode(self, codes)

    monkeypatch.setattr(MimiStreamDecoder, "decode", watched)
    try:
        frames = random_frames(1)
        decoder = runtime.new_decoder()
        threaded = [runtime.decode(decoder, part) for part in chunked(frames)]
        on_the_thread = streams.copy()
        streams.clear()
        expected = decoded_in_place(runtime, frames)
    finally:
        runtime.close()
    assert torch.cuda.default_stream() not in on_the_thread
    assert streams == [torch.cuda.default_stream()] * len(expected)
    assert all(map(np.array_equal, threaded, expected))


def test_a_frame_reaches_the_host_in_one_wait_from_a_pinned_buffer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = build_tiny_csm()[0].cuda()
    frames = FrameModel(model, slots=2, max_top_k=CODEBOOK_SIZE)
    for row in range(2):
        admitted(frames, row, on_gpu(row, 5), Sampling(0.9, CODEBOOK_SIZE))
    reader = FrameReader(frames.output)
    assert reader.host.is_pinned()
    frames.step(2)
    reader.read(2)  # lazy initialisation outside the count
    waits = []
    synchronize = torch.cuda.Event.synchronize

    def counted(self: torch.cuda.Event) -> None:
        waits.append(self)
        synchronize(self)

    monkeypatch.setattr(torch.cuda.Event, "synchronize", counted)
    torch.cuda.synchronize()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.cuda.set_sync_debug_mode("warn")
        try:
            for _ in range(3):
                frames.step(2)
                read_codes, _finished = reader.read(2)
        finally:
            torch.cuda.set_sync_debug_mode("default")
    assert len(waits) == 3
    # the event's wait, if the debug mode counts it at all; nothing else waits for the device
    assert len([w for w in caught if "synchroniz" in str(w.message)]) <= len(waits)
    assert torch.equal(read_codes, frames.codes[:2].cpu())
