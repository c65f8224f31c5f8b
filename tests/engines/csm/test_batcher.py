"""The continuous-batching driver: replies share frame steps, join and leave between frames."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import torch

from tests.engines.csm.test_frames import GREEDY, admitted, prompt
from wyoming_polytts.engines.csm.batcher import FrameBatcher, buckets
from wyoming_polytts.engines.csm.frames import FrameModel
from wyoming_polytts.engines.csm.graphs import FrameGraphs
from wyoming_polytts.engines.csm.reply_frames import Ending, Reply
from wyoming_polytts.engines.csm.sampler import Sampling
from wyoming_polytts.testing.csm_tiny import CODEBOOK_SIZE, WINDOW, build_tiny_csm

FRAMES = 12


class Watch:
    """Records the (batch, tokens) of every backbone call (a prompt, or a frame step) and can
    hold the driver at its first call (`called` is set then) until `release` is set."""

    def __init__(self, frames: FrameModel, hold: bool = False) -> None:
        self.shapes: list[tuple[int, int]] = []
        self.called = threading.Event()
        self.release = threading.Event()
        if not hold:
            self.release.set()
        self.fail = False
        run = frames.backbone.run

        def watched(inputs: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
            self._seen(inputs)
            return run(inputs, *args, **kwargs)

        frames.backbone.run = watched  # type: ignore[method-assign]

    def _seen(self, inputs: torch.Tensor) -> None:
        self.shapes.append((int(inputs.shape[0]), int(inputs.shape[1])))
        self.called.set()
        self.release.wait(timeout=30)
        if self.fail and inputs.shape[1] == 1:
            raise RuntimeError("step failed (simulated)")

    @property
    def steps(self) -> list[int]:
        return [batch for batch, tokens in self.shapes if tokens == 1]


@pytest.fixture(name="model")
def model_fixture() -> Any:
    return build_tiny_csm()[0]


@pytest.fixture(name="frames")
def frames_fixture(model: Any) -> FrameModel:
    return FrameModel(model, slots=4, max_top_k=CODEBOOK_SIZE)


@pytest.fixture(name="batcher")
def batcher_fixture(frames: FrameModel) -> Iterator[FrameBatcher]:
    batcher = FrameBatcher(frames, cuda_graphs=False)
    yield batcher
    batcher.close()


def codes(reply: Reply) -> list[list[int]]:
    frames, ended = reply.take(WINDOW)
    assert ended
    return [frame.tolist() for frame in frames]


def alone(batcher: FrameBatcher, embeds: list[torch.Tensor]) -> list[list[list[int]]]:
    """Each prompt's greedy codes with no other reply in the batch."""
    return [codes(batcher.submit(prompt, FRAMES, GREEDY)) for prompt in embeds]


def prompts(model: Any, count: int) -> list[torch.Tensor]:
    return [prompt(model, seed, text_tokens=4 + 7 * seed) for seed in range(count)]


def test_batches_are_rounded_up_to_buckets() -> None:
    assert buckets(8) == (1, 2, 4, 8)
    assert buckets(5) == (1, 2, 4, 5)
    assert buckets(2) == (1, 2)
    assert buckets(1) == (1,)


def test_a_batch_of_three_gives_each_reply_the_codes_it_gets_alone(
    model: Any, frames: FrameModel, batcher: FrameBatcher
) -> None:
    embeds = prompts(model, 3)
    expected = alone(batcher, embeds)
    watch = Watch(frames, hold=True)
    replies = [batcher.submit(embeds[0], FRAMES, GREEDY)]
    watch.called.wait(timeout=30)  # the first prompt is being read: the others join later
    replies += [batcher.submit(prompt, FRAMES, GREEDY) for prompt in embeds[1:]]
    watch.release.set()
    assert [codes(reply) for reply in replies] == expected
    assert [reply.ending for reply in replies] == [Ending.LIMIT] * 3
    # the two that waited are read in one call, the shorter padded
    assert [shape for shape in watch.shapes if shape[1] > 1] == [(1, 4), (2, 18)]
    # the first reply's first frame alone; three replies in the batch of four; two left
    assert watch.steps == [1] + [4] * (FRAMES - 1) + [2]


def test_a_reply_joining_mid_batch_leaves_the_others_codes_unchanged(
    model: Any, batcher: FrameBatcher
) -> None:
    embeds = prompts(model, 3)
    expected = alone(batcher, embeds)
    first, second = (batcher.submit(prompt, FRAMES, GREEDY) for prompt in embeds[:2])
    early, _ended = first.take(3)
    third = batcher.submit(embeds[2], FRAMES, GREEDY)
    rest = codes(first)
    assert [frame.tolist() for frame in early] + rest == expected[0]
    assert codes(second) == expected[1]
    assert codes(third) == expected[2]


def test_replies_cancelled_mid_batch_leave_the_others_codes_unchanged(
    model: Any, batcher: FrameBatcher
) -> None:
    embeds = prompts(model, 3)
    expected = alone(batcher, embeds)
    stop = threading.Event()
    kept, cancelled = (batcher.submit(prompt, FRAMES, GREEDY) for prompt in embeds[:2])
    stopped = batcher.submit(embeds[2], FRAMES, GREEDY, should_stop=stop.is_set)
    cancelled.take(3)
    cancelled.cancel()
    stopped.take(2)
    stop.set()
    assert len(codes(cancelled)) < FRAMES - 3
    assert len(codes(stopped)) < FRAMES - 2
    assert (cancelled.ending, stopped.ending) == (Ending.CANCELLED, Ending.CANCELLED)
    assert codes(kept) == expected[0]


def test_end_of_audio_ends_one_reply_while_another_runs_to_its_limit(model: Any) -> None:
    """All-zero heads: greedy picks code 0 everywhere, CSM's end of audio; sampling over all
    64 codes almost never does."""
    with torch.no_grad():
        model.lm_head.weight.zero_()
        model.depth_decoder.codebooks_head.weight.zero_()
    frames = FrameModel(model, slots=2, max_top_k=CODEBOOK_SIZE)
    batcher = FrameBatcher(frames, cuda_graphs=False)
    watch = Watch(frames, hold=True)
    running = batcher.submit(prompt(model, 2, 5), 7, Sampling(1.0, CODEBOOK_SIZE))
    watch.called.wait(timeout=30)
    ending = batcher.submit(prompt(model, 1, 5), FRAMES, GREEDY)
    watch.release.set()
    assert codes(ending) == []
    assert len(codes(running)) == 7
    assert (ending.ending, running.ending) == (Ending.END_OF_AUDIO, Ending.LIMIT)
    assert watch.steps == [1, 2, 1, 1, 1, 1, 1]  # the ended reply left after its one frame
    batcher.close()


def test_a_failing_step_fails_its_replies_and_the_loop_goes_on(
    model: Any, frames: FrameModel, batcher: FrameBatcher
) -> None:
    watch = Watch(frames)
    watch.fail = True
    reply = batcher.submit(prompt(model, 1, 5), FRAMES, GREEDY)
    with pytest.raises(RuntimeError, match="simulated"):
        reply.take(1)
    watch.fail = False
    assert len(codes(batcher.submit(prompt(model, 1, 5), FRAMES, GREEDY))) == FRAMES


def test_what_does_not_fit_is_refused() -> None:
    window = 24
    model = build_tiny_csm(window=window)[0]
    batcher = FrameBatcher(FrameModel(model, slots=1, max_top_k=8), cuda_graphs=False)
    embeds = prompt(model, 1, 6)
    with pytest.raises(ValueError, match="window"):
        batcher.submit(embeds, window - 5, GREEDY)
    with pytest.raises(ValueError, match="top_k"):
        batcher.submit(embeds, FRAMES, Sampling(0.9, 9))
    assert len(codes(batcher.submit(embeds, window - 6, Sampling(0.9, 8)))) == window - 6
    batcher.close()


def one_slot_taken(model: Any) -> tuple[FrameBatcher, Watch, Reply, Reply]:
    """A batcher of one slot; its reply held at its prompt, another waiting for the slot."""
    frames = FrameModel(model, slots=1, max_top_k=1)
    batcher = FrameBatcher(frames, cuda_graphs=False)
    watch = Watch(frames, hold=True)
    running = batcher.submit(prompt(model, 1, 5), FRAMES, GREEDY)
    watch.called.wait(timeout=30)
    return batcher, watch, running, batcher.submit(prompt(model, 2, 5), FRAMES, GREEDY)


def test_closing_ends_every_reply(model: Any) -> None:
    batcher, watch, running, waiting = one_slot_taken(model)
    closing = threading.Thread(target=batcher.close)
    closing.start()
    watch.release.set()
    closing.join()
    assert len(codes(running)) < FRAMES
    assert codes(waiting) == []
    assert (running.ending, waiting.ending) == (Ending.CANCELLED, Ending.CANCELLED)
    with pytest.raises(RuntimeError, match="closed"):
        batcher.submit(prompt(model, 1, 5), FRAMES, GREEDY)


def test_a_consumer_waiting_for_a_slot_stops_waiting_when_told(model: Any) -> None:
    batcher, watch, running, waiting = one_slot_taken(model)
    assert waiting.take(1, stop=lambda: True) == ([], False)
    waiting.cancel()
    watch.release.set()
    assert len(codes(running)) == FRAMES
    assert codes(waiting) == []
    assert waiting.ending == Ending.CANCELLED
    batcher.close()


def test_a_reply_that_fills_the_window_leaves_a_slot_the_batch_still_runs() -> None:
    """The fourth reply ends at the window's last position while three others go on in the
    batch of four, its slot idle among them."""
    window = 24
    model = build_tiny_csm(window=window)[0]
    frames = FrameModel(model, slots=4, max_top_k=1)
    batcher = FrameBatcher(frames, cuda_graphs=False)
    watch = Watch(frames, hold=True)
    others = [batcher.submit(prompt(model, 1, 4), 20, GREEDY)]
    watch.called.wait(timeout=30)
    others += [batcher.submit(prompt(model, seed, 4), 19, GREEDY) for seed in (2, 3)]
    filling = batcher.submit(prompt(model, 4, 6), window - 6, GREEDY)
    watch.release.set()
    assert len(codes(filling)) == window - 6
    assert [len(codes(reply)) for reply in others] == [20, 19, 19]
    assert watch.steps == [1] + [4] * 19  # the last step: three replies and the idle slot
    batcher.close()


def test_a_broken_loop_fails_its_replies_instead_of_leaving_them_waiting(
    model: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    frames = FrameModel(model, slots=2, max_top_k=1)
    batcher = FrameBatcher(frames, cuda_graphs=False)
    watch = Watch(frames, hold=True)
    ending = batcher.submit(prompt(model, 1, 5), 2, GREEDY)
    watch.called.wait(timeout=30)
    running = batcher.submit(prompt(model, 2, 5), FRAMES, GREEDY)

    def broken(_row: int) -> None:
        raise RuntimeError("release failed (simulated)")

    monkeypatch.setattr(frames, "release", broken)
    watch.release.set()
    assert len(codes(ending)) == 2
    with pytest.raises(RuntimeError, match="simulated"):
        codes(running)
    with pytest.raises(RuntimeError, match="closed"):
        batcher.submit(prompt(model, 1, 5), FRAMES, GREEDY)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA graphs need a CUDA GPU")
def test_cuda_graphs_replay_exactly_the_eager_step() -> None:
    cpu_model = build_tiny_csm()[0]
    embeds = [embed.cuda() for embed in prompts(cpu_model, 3)]
    model = build_tiny_csm()[0].cuda()
    made = []
    for graphs in (False, True):
        frames = FrameModel(model, slots=4, max_top_k=1)
        step = FrameGraphs(frames.step, buckets(4)).step if graphs else frames.step
        for row, embed in enumerate(embeds):
            admitted(frames, row, embed, GREEDY)
        made.append([])
        for _ in range(FRAMES):
            step(4)
            made[-1].append(frames.codes[:3].tolist())
    assert made[0] == made[1]


def test_a_long_prompt_is_read_in_chunks_between_the_frames_of_the_others(model: Any) -> None:
    """Prompts over the chunk (16 tokens) are read one chunk between two frames, one such
    prompt at a time; the replies speaking meanwhile keep their frames, all codes as alone."""
    frames = FrameModel(model, slots=4, max_top_k=1)
    batcher = FrameBatcher(frames, cuda_graphs=False, prefill_chunk=16)
    embeds = [prompt(model, 1, 5), prompt(model, 2, 40), prompt(model, 3, 20)]
    expected = alone(batcher, embeds)
    watch = Watch(frames, hold=True)
    running = batcher.submit(embeds[0], FRAMES, GREEDY)
    watch.called.wait(timeout=30)
    joining = [batcher.submit(prompt, FRAMES, GREEDY) for prompt in embeds[1:]]
    watch.release.set()
    assert [codes(reply) for reply in (running, *joining)] == expected
    reads = [shape for shape in watch.shapes if shape[1] > 1]
    assert reads == [(1, 5), (1, 16), (1, 16), (1, 8), (1, 16), (1, 4)]
    # a frame of the running reply between any two chunks
    chunks = [index for index, shape in enumerate(watch.shapes) if shape[1] > 1][1:]
    assert all(later - earlier > 1 for earlier, later in itertools.pairwise(chunks))
    batcher.close()


def test_a_reply_leaving_while_a_long_prompt_is_read_leaves_its_codes_unchanged(
    model: Any,
) -> None:
    """The reply in front ends after 2 frames, mid-read: the prompt's slot moves down."""
    frames = FrameModel(model, slots=4, max_top_k=1)
    batcher = FrameBatcher(frames, cuda_graphs=False, prefill_chunk=8)
    short, long = prompt(model, 1, 5), prompt(model, 2, 60)
    expected = alone(batcher, [long])[0]
    watch = Watch(frames, hold=True)
    leaving = batcher.submit(short, 2, GREEDY)
    watch.called.wait(timeout=30)
    read = batcher.submit(long, FRAMES, GREEDY)
    watch.release.set()
    assert len(codes(leaving)) == 2
    assert codes(read) == expected
    batcher.close()


def test_a_long_prompt_cancelled_while_read_ends_and_frees_its_slot(model: Any) -> None:
    frames = FrameModel(model, slots=1, max_top_k=1)
    batcher = FrameBatcher(frames, cuda_graphs=False, prefill_chunk=8)
    watch = Watch(frames, hold=True)
    stop = threading.Event()
    cancelled = batcher.submit(prompt(model, 2, 60), FRAMES, GREEDY, should_stop=stop.is_set)
    watch.called.wait(timeout=30)
    stop.set()
    watch.release.set()
    assert codes(cancelled) == []
    assert cancelled.ending == Ending.CANCELLED
    assert len([shape for shape in watch.shapes if shape[1] > 1]) == 1
    assert len(codes(batcher.submit(prompt(model, 1, 5), FRAMES, GREEDY))) == FRAMES
    batcher.close()
