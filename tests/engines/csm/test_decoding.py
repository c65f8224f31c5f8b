"""The one Mimi decoding thread: replies in turn, every wait bounded, errors to their own
reply, a clean close; and audio bit for bit what each reply's own decoding gave."""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import pytest
import torch

from wyoming_polytts.engines.base import Audio, SynthesisRequest
from wyoming_polytts.engines.csm.decoding import DecodingClosed, DecodingThread
from wyoming_polytts.engines.csm.mimi_stream import MimiStreamDecoder
from wyoming_polytts.engines.csm.runtime import CsmRuntime
from wyoming_polytts.engines.csm.streams import made, on, received, side_stream
from wyoming_polytts.engines.errors import SynthesisCancelled
from wyoming_polytts.testing.csm_tiny import CODEBOOK_SIZE, NUM_CODEBOOKS, tiny_csm_engine

CHUNKS = (2, 3, 3, 1, 3, 5)
"""A reply's chunks, in frames: first audio, later chunks, and a lagging decoder's catch-up."""


class Scripted:
    """A stand-in for Mimi: records which (decoder, chunk) it decoded, in order; holds the
    thread at the first chunk until `release` is set, and fails on decoder "bad"."""

    def __init__(self) -> None:
        self.order: list[tuple[str, int]] = []
        self.started = threading.Event()
        self.release = threading.Event()

    def __call__(self, decoder: str, frames: Sequence[torch.Tensor]) -> Audio:
        self.started.set()
        assert self.release.wait(timeout=30)
        if decoder == "bad":
            raise RuntimeError("decoding failed (simulated)")
        self.order.append((decoder, len(frames)))
        return np.zeros(len(frames), dtype=np.float32)


@pytest.fixture(name="scripted")
def scripted_fixture() -> Iterator[tuple[Scripted, DecodingThread[str]]]:
    decode = Scripted()
    thread = DecodingThread(decode, wait_seconds=5)
    yield decode, thread
    decode.release.set()
    thread.close()


def chunk(frames: int) -> list[torch.Tensor]:
    return [torch.zeros(NUM_CODEBOOKS, dtype=torch.long)] * frames


def test_replies_take_turns_one_chunk_each(scripted: tuple[Scripted, DecodingThread[str]]) -> None:
    """Reply a hands over four chunks at once, b one: b waits for one of a's, not three."""
    decode, thread = scripted
    first = thread.submit("a", chunk(1))
    assert decode.started.wait(timeout=5)  # the thread holds a's first chunk
    later = [thread.submit("a", chunk(frames)) for frames in (2, 3, 4)]
    other = thread.submit("b", chunk(9))
    decode.release.set()
    assert [len(future.result(timeout=5)) for future in (first, *later, other)] == [1, 2, 3, 4, 9]
    assert decode.order == [("a", 1), ("a", 2), ("b", 9), ("a", 3), ("a", 4)]


def test_an_error_reaches_its_own_reply_and_the_others_go_on(
    scripted: tuple[Scripted, DecodingThread[str]],
) -> None:
    decode, thread = scripted
    decode.release.set()
    bad = thread.submit("bad", chunk(1))
    good = thread.submit("good", chunk(2))
    with pytest.raises(RuntimeError, match="simulated"):
        thread.decode("bad", chunk(1))
    with pytest.raises(RuntimeError, match="simulated"):
        bad.result(timeout=5)
    assert len(good.result(timeout=5)) == 2
    assert len(thread.decode("good", chunk(3))) == 3


def test_a_wait_has_a_limit_and_the_dropped_work_is_never_decoded() -> None:
    decode = Scripted()
    thread = DecodingThread(decode, wait_seconds=0.3)
    try:
        thread.submit("a", chunk(1))
        assert decode.started.wait(timeout=5)
        with pytest.raises(TimeoutError, match="Mimi decoding took over"):
            thread.decode("b", chunk(2))  # a is held for up to 30 s
        decode.release.set()
        assert len(thread.decode("c", chunk(3))) == 3
        assert decode.order == [("a", 1), ("c", 3)]
    finally:
        decode.release.set()
        thread.close()


def test_a_cancelled_reply_stops_waiting_and_its_queued_work_is_dropped(
    scripted: tuple[Scripted, DecodingThread[str]],
) -> None:
    decode, thread = scripted
    thread.submit("a", chunk(1))
    assert decode.started.wait(timeout=5)
    cancel = threading.Event()
    threading.Timer(0.2, cancel.set).start()
    with pytest.raises(SynthesisCancelled):
        thread.decode("b", chunk(2), cancel.is_set)
    decode.release.set()
    assert len(thread.decode("a", chunk(3))) == 3
    assert decode.order == [("a", 1), ("a", 3)]


def test_close_fails_the_waiting_replies_and_ends_the_thread() -> None:
    decode = Scripted()
    thread = DecodingThread(decode, wait_seconds=30)
    running = thread.submit("a", chunk(1))
    assert decode.started.wait(timeout=5)
    errors: list[BaseException] = []

    def wait() -> None:
        try:
            thread.decode("b", chunk(2))
        except DecodingClosed as err:
            errors.append(err)

    waiting = threading.Thread(target=wait)
    waiting.start()
    time.sleep(0.2)  # b is queued behind a
    threading.Timer(0.2, decode.release.set).start()  # the chunk in progress ends
    thread.close()
    waiting.join(timeout=5)
    assert not waiting.is_alive()
    assert len(errors) == 1
    assert len(running.result(timeout=1)) == 1
    with pytest.raises(DecodingClosed):
        thread.submit("c", chunk(1))
    assert decode.order == [("a", 1)]


def random_frames(seed: int) -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    codes = torch.randint(0, CODEBOOK_SIZE, (sum(CHUNKS), NUM_CODEBOOKS), generator=generator)
    return list(codes)


def chunked(frames: list[torch.Tensor]) -> list[list[torch.Tensor]]:
    bounds = itertools.accumulate(CHUNKS, initial=0)
    return [frames[a:b] for a, b in itertools.pairwise(bounds)]


def decoded_in_place(runtime: CsmRuntime, frames: list[torch.Tensor]) -> list[Audio]:
    """Each chunk decoded on the calling thread, as every reply's thread did before."""
    decoder = MimiStreamDecoder(runtime.codec)
    audio = []
    with torch.inference_mode():
        for part in chunked(frames):
            codes = torch.stack(part, dim=-1)[None].to(runtime.codec.device)
            audio.append(decoder.decode(codes)[0, 0].cpu().numpy().astype(np.float32, copy=False))
    return audio


def test_the_thread_decodes_bit_for_bit_what_the_reply_did(runtime: CsmRuntime) -> None:
    frames = random_frames(1)
    decoder = runtime.new_decoder()
    threaded = [runtime.decode(decoder, part) for part in chunked(frames)]
    expected = decoded_in_place(runtime, frames)
    assert [len(audio) for audio in threaded] == [frames * 1920 for frames in CHUNKS]
    for ours, theirs in zip(threaded, expected, strict=True):
        assert np.array_equal(ours, theirs)


def test_replies_decoding_at_once_keep_their_own_streams(runtime: CsmRuntime) -> None:
    """Four replies' chunks interleaved on the one thread: each reply's audio is still what
    its own decoding gave alone."""
    streams = {seed: random_frames(seed) for seed in range(4)}
    results: dict[int, list[Audio]] = {}

    def reply(seed: int) -> None:
        decoder = runtime.new_decoder()
        results[seed] = [runtime.decode(decoder, part) for part in chunked(streams[seed])]

    threads = [threading.Thread(target=reply, args=(seed,)) for seed in streams]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == sorted(streams)
    for seed, frames in streams.items():
        expected = decoded_in_place(runtime, frames)
        assert all(map(np.array_equal, results[seed], expected))


def test_streams_are_no_ops_off_cuda() -> None:
    tensor = torch.ones(3)
    assert side_stream(torch.device("cpu")) is None
    assert made(tensor) is None
    received(tensor, None, None)
    assert isinstance(on(None), contextlib.nullcontext)


def test_an_engine_reply_waiting_for_its_decoding_ends_on_cancel_and_on_close(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The decoding thread held at one reply's chunk: that reply, cancelled, stops waiting;
    another, queued behind it, fails when the engine closes. (Neither gets audio, which they
    would only once the hold ends.)"""
    hold = threading.Event()
    hold.set()  # the engine's warm-up decodes
    submitted = threading.Semaphore(0)
    decode_here, submit = CsmRuntime.decode_here, DecodingThread.submit

    def held(self: CsmRuntime, decoder: MimiStreamDecoder, frames: Sequence[torch.Tensor]) -> Audio:
        assert hold.wait(timeout=30)
        return decode_here(self, decoder, frames)

    def counted(self: DecodingThread[Any], decoder: Any, frames: Sequence[torch.Tensor]) -> Any:
        future = submit(self, decoder, frames)
        submitted.release()
        return future

    def once_submitted(action: Callable[[], object]) -> threading.Thread:
        def run() -> None:
            assert submitted.acquire(timeout=30)
            action()

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    monkeypatch.setattr(CsmRuntime, "decode_here", held)
    monkeypatch.setattr(DecodingThread, "submit", counted)
    engine = tiny_csm_engine()
    try:
        assert submitted.acquire(timeout=5)  # the warm-up's
        hold.clear()
        cancel = threading.Event()
        first = engine.synthesize(SynthesisRequest("Hello there.", "csm_0"), cancel)
        once_submitted(cancel.set)
        with pytest.raises(SynthesisCancelled):
            next(first)
        second = engine.synthesize(SynthesisRequest("And you?", "csm_1"), threading.Event())
        closing = once_submitted(engine.close)
        with pytest.raises(DecodingClosed):
            next(second)
        hold.set()  # the chunk in progress ends, and with it the close
        closing.join(timeout=30)
        assert not closing.is_alive()
    finally:
        hold.set()
        engine.close()
