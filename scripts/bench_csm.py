"""Benchmark: the CSM engine's time to first audio, real-time factor and peak memory.

CSM-1B's architecture with random weights (the real weights are gated and timing does not
depend on them), or with --tiny the tests' tiny CSM, which proves the code path on a CPU.
Each row is one or more concurrent requests, streamed through the engine, or generated
whole and then decoded at once (what one-shot `generate(output_audio=True)` gives a user).
Prints a markdown table; never asserts a time.
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import statistics
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from transformers import CsmConfig, CsmForConditionalGeneration

from wyoming_polytts.engines.base import SAMPLE_RATE, SynthesisRequest
from wyoming_polytts.engines.csm.engine import CsmEngine, frame_limit
from wyoming_polytts.engines.csm.prompt import Utterance
from wyoming_polytts.engines.csm.settings import CsmSettings
from wyoming_polytts.satellites.history import HistoryStore
from wyoming_polytts.satellites.settings import ContextSettings
from wyoming_polytts.testing.csm_tiny import build_tiny_csm, decode_once, tiny_processor

DEFAULT_TEXT = "The living room is at twenty one degrees, and I have turned on the kitchen lights."


@dataclass(frozen=True)
class Request:
    ttfa: float
    seconds: float
    audio: float


@dataclass(frozen=True)
class Row:
    mode: str
    clients: int
    requests: list[Request]
    memory_mb: float

    def line(self) -> str:
        ttfa = [request.ttfa * 1000 for request in self.requests]
        rtf = statistics.median(request.seconds / request.audio for request in self.requests)
        audio = statistics.median(request.audio for request in self.requests)
        return (
            f"| {self.mode} | {self.clients} | {statistics.median(ttfa):.0f} | {max(ttfa):.0f} "
            f"| {rtf:.3f} | {audio:.2f} | {self.memory_mb:.0f} |"
        )


def build(tiny: bool, device: torch.device, dtype: torch.dtype) -> tuple[Any, Any]:
    if tiny:
        tiny_model, processor = build_tiny_csm()
        return tiny_model.to(device, dtype), processor
    with device:
        model: Any = CsmForConditionalGeneration(CsmConfig())
    model = model.to(dtype).eval()
    # Random weights know nothing of the codes Mimi lacks (2048-2050); trained ones never pick them
    unused = list(range(model.codec_model.config.codebook_size, model.config.vocab_size))
    model.generation_config.suppress_tokens = unused
    model.depth_decoder.generation_config.suppress_tokens = unused
    return model, tiny_processor()


def speak(engine: CsmEngine, text: str) -> Iterator[NDArray[np.float32]]:
    """No conversation: every request is comparable."""
    return engine.synthesize(SynthesisRequest(text, "csm_0"), threading.Event())


def streamed(engine: CsmEngine, text: str) -> Request:
    start = time.perf_counter()
    first, samples = 0.0, 0
    for block in speak(engine, text):
        first = first or time.perf_counter() - start
        samples += len(block)
    return Request(first, time.perf_counter() - start, samples / SAMPLE_RATE)


def one_shot(engine: CsmEngine, text: str) -> Request:
    """Generate every frame, then decode them in one call: audio only at the end."""
    runtime = engine.runtime
    text_ids = runtime.text_ids(0, text)
    limit = frame_limit(text, len(text_ids), runtime.window, runtime.frame_rate)
    start = time.perf_counter()
    frames: list[Any] = []
    runtime.generate((), text_ids, limit, runtime.streamer(frames.append, lambda: False))
    audio = decode_once(runtime, runtime.stack(frames)) if frames else np.zeros(0)
    seconds = time.perf_counter() - start
    return Request(seconds, seconds, len(audio) / SAMPLE_RATE)


def run(engine: CsmEngine, text: str, mode: str, clients: int) -> Row:
    measure = streamed if mode == "streamed" else one_shot
    results: list[Request] = []
    cuda = engine.runtime.model.device.type == "cuda"
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    threads = [
        threading.Thread(target=lambda: results.append(measure(engine, text)))
        for _ in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if cuda:
        memory = torch.cuda.max_memory_allocated() / 2**20
    else:
        memory = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return Row(mode, clients, results, memory)


def stream_error(engine: CsmEngine, text: str) -> float:
    """Largest difference between the streamed audio and one-shot decoding of its frames."""
    conversation = HistoryStore(ContextSettings()).open("check")
    request = SynthesisRequest(text, "csm_0", conversation=conversation)
    audio = np.concatenate(list(engine.synthesize(request, threading.Event())))
    (blob,) = conversation.history(engine.name)
    codes = Utterance.from_blob(blob).codes
    return float(np.abs(audio - decode_once(engine.runtime, codes)).max())


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="the tests' tiny CSM (CPU proof)")
    parser.add_argument("--device", choices=("auto", "cuda", "cpu"), default="auto")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--text", default=DEFAULT_TEXT, help="the sentence to speak")
    parser.add_argument("--compile", action="store_true", help="static caches (csm.compile)")
    args = parser.parse_args(argv)
    auto = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(auto if args.device == "auto" else args.device)
    dtype = torch.bfloat16 if device.type == "cuda" and not args.tiny else torch.float32
    model, processor = build(args.tiny, device, dtype)
    settings = dataclasses.replace(
        CsmSettings(), device=device.type, workers=max(args.concurrency), compile=args.compile
    )
    started = time.perf_counter()
    engine = CsmEngine(settings, components=lambda: (model, processor))
    engine.load()
    name = "tiny CSM" if args.tiny else "CSM-1B architecture, random weights"
    gpu = f" ({torch.cuda.get_device_name()})" if device.type == "cuda" else ""
    print(
        f"{name} on {device}{gpu}, {dtype}; load and warm-up {time.perf_counter() - started:.1f} s"
    )
    chunks = f"{settings.first_chunk_frames} frames, then {settings.chunk_frames}"
    print(f"text: {args.text!r}; chunks of {chunks}")
    print(
        f"streamed vs one-shot decode, max abs difference: {stream_error(engine, args.text):.2e}\n"
    )
    memory = "peak VRAM MB" if device.type == "cuda" else "peak RSS MB"
    print(f"| decode | clients | TTFA p50 ms | TTFA max ms | RTF p50 | audio s | {memory} |")
    print("|---|---|---|---|---|---|---|")
    for clients in args.concurrency:
        for mode in ("streamed", "one-shot"):
            print(run(engine, args.text, mode, clients).line(), flush=True)
    engine.close()


if __name__ == "__main__":
    main()
