"""Benchmark: Sesame CSM's frame loop in the engine and through the real server, one table.

CSM-1B's architecture with random weights in bfloat16 on a CUDA GPU (the real weights are
gated, and a frame costs the same whatever the weights), or with --tiny the tests' tiny CSM
on the CPU, which runs every code path in CI time. Both have codes the codec lacks (CSM-1B:
2048-2050), which the runtime masks; a random model never says end of audio, so every
segment runs to its frame limit.

Engine rows: 1, 4 and 8 replies at once through CsmEngine, streamed (one client's row also
generated whole, then decoded at once), with the frame step launched eagerly or replayed
from CUDA graphs (CUDA only); a streamed row also takes one frame of its batch size apart:
the backbone step, the depth decoder's steps, the sampling within them, and the Mimi
decoding of every reply's frames. Server rows: the model saved to a folder and served by
the real server (Kokoro off, default csm settings), Home Assistant's streaming sequence
replayed by 1, 4 and 8 clients at once, each a satellite of its own. Never asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import functools
import gc
import logging
import resource
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from math import inf
from pathlib import Path
from typing import Any

import torch
from transformers import CsmConfig, CsmForConditionalGeneration

from wyoming_polytts.engines.base import SAMPLE_RATE, Audio, SynthesisRequest
from wyoming_polytts.engines.csm.engine import CsmEngine, frame_limit
from wyoming_polytts.engines.csm.frames import FrameModel
from wyoming_polytts.engines.csm.graphs import capture
from wyoming_polytts.engines.csm.kernel_count import kernels
from wyoming_polytts.engines.csm.runtime import CsmRuntime
from wyoming_polytts.engines.csm.settings import CsmSettings
from wyoming_polytts.testing.client import stalls
from wyoming_polytts.testing.csm_server import save_model, start_csm_server
from wyoming_polytts.testing.csm_tiny import CODEBOOK_SIZE, build_tiny_csm, tiny_processor
from wyoming_polytts.testing.gpu_memory import GpuMemory
from wyoming_polytts.testing.launcher import ServerProcess
from wyoming_polytts.testing.replay import percentile, stream_replies

ENGINE_TEXT = "The living room is at twenty one degrees, and I have turned on the kitchen lights."
SERVER_REPLY = (
    "Sure! The living room is at 21.5 °C and the humidity is 45%. "
    "I've turned on the kitchen lights and set a timer for 10 minutes."
)
LOOPS = ("eager", "graphs")
"""How the frame step runs: launched from Python, or replayed from CUDA graphs."""
PARTS = ("backbone", "depth", "sampling", "decode")
SERVER_START_SECONDS = 420.0
PREFILL_TOKENS = (64, 512, 1900)
"""Prompt lengths of the prefill table: a sentence, a few turns, a nearly full window."""


@dataclass(frozen=True)
class Timing:
    first_audio: float
    seconds: float
    audio: float
    underruns: int


@dataclass(frozen=True)
class Row:
    run: str
    loop: str
    replies: int
    timings: list[Timing]
    memory_mb: float | None
    parts_ms: dict[str, float] = dataclasses.field(default_factory=dict)
    """A frame's parts at this batch size, "frame" the whole step."""
    kernels: int | None = None
    """What one frame step launches at this batch size (see `kernel_count`)."""

    def line(self) -> str:
        memory = "" if self.memory_mb is None else f"{self.memory_mb:.0f}"
        cells = [self.run, self.loop, str(self.replies), *self.replies_cells(), memory]
        return f"| {' | '.join([*cells, *self.parts()])} |"

    def replies_cells(self) -> list[str]:
        if not self.timings:
            return [""] * 5
        first = [timing.first_audio * 1000 for timing in self.timings]
        rtf = [timing.seconds / timing.audio if timing.audio else inf for timing in self.timings]
        return [
            f"{percentile(first, 0.5):.0f}",
            f"{percentile(first, 0.95):.0f}",
            f"{statistics.median(rtf):.3f}",
            f"{max(rtf):.3f}",
            str(sum(timing.underruns for timing in self.timings)),
        ]

    def parts(self) -> list[str]:
        if not self.parts_ms:
            return [""] * (2 + len(PARTS))
        ms = self.parts_ms
        step = ms["backbone"] + ms["depth"] + ms["sampling"]
        shares = [f"{ms[name]:.2f} ({100 * ms[name] / step:.0f}%)" for name in PARTS[:3]]
        decode = f"{ms['decode']:.2f} ({100 * ms['decode'] / ms['frame']:.0f}% of a frame)"
        return [f"{ms['frame']:.2f}", str(self.kernels), *shares, decode]


HEADER = (
    "| run | loop | replies | first audio p50 ms | first audio p95 ms | RTF p50 | RTF max "
    "| underruns | peak {memory} MB | frame ms | kernels per frame | backbone ms "
    "| depth steps ms | sampling ms | Mimi decode ms |"
)


def build(tiny: bool, device: torch.device, dtype: torch.dtype) -> tuple[Any, Any]:
    if tiny:
        tiny_model, processor = build_tiny_csm(vocab_size=CODEBOOK_SIZE + 3)
        return tiny_model.to(device, dtype), processor
    with device:
        model: Any = CsmForConditionalGeneration(CsmConfig())
    return model.to(dtype).eval(), tiny_processor()


def speak(engine: CsmEngine, text: str) -> Iterator[Audio]:
    """No conversation: every request is comparable."""
    return engine.synthesize(SynthesisRequest(text, "csm_0"), threading.Event())


def streamed(engine: CsmEngine, text: str) -> Timing:
    start = time.perf_counter()
    arrivals, seconds = [], []
    for block in speak(engine, text):
        arrivals.append(time.perf_counter() - start)
        seconds.append(len(block) / SAMPLE_RATE)
    total = time.perf_counter() - start
    first = arrivals[0] if arrivals else total
    return Timing(first, total, sum(seconds), len(stalls(arrivals, seconds)))


def one_shot(engine: CsmEngine, text: str) -> Timing:
    """Generate every frame, then decode them in one call: audio only at the end."""
    runtime = engine.runtime
    text_ids = runtime.text_ids(0, text)
    limit = frame_limit(text, len(text_ids), runtime.window, runtime.frame_rate)
    start = time.perf_counter()
    frames, _ended = runtime.submit((), text_ids, limit, lambda: False).take(limit)
    samples = len(runtime.decode(runtime.new_decoder(), frames)) if frames else 0
    seconds = time.perf_counter() - start
    return Timing(seconds, seconds, samples / SAMPLE_RATE, 0)


def cuda_memory_mb() -> float:
    """What this process's allocator held at most since the last reset."""
    return torch.cuda.max_memory_reserved() / 2**20


def at_once(work: Callable[[], Timing], count: int, cuda: bool) -> tuple[list[Timing], float]:
    """`count` runs of `work` in threads of their own; and the peak memory meanwhile."""
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    results: list[Timing] = []
    threads = [threading.Thread(target=lambda: results.append(work())) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    memory = cuda_memory_mb() if cuda else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return results, memory


def timed(work: Callable[[], object], cuda: bool, repeats: int) -> float:
    """Seconds per run of `work`, after one run to warm up."""
    work()
    if cuda:
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(repeats):
        work()
    if cuda:
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / repeats


def frame_parts(
    frames: FrameModel,
    runtime: CsmRuntime,
    batch: int,
    graphs: bool,
    repeats: int,
    *,
    chunk_frames: int,
) -> dict[str, float]:
    """Milliseconds per frame of each part, for `batch` replies. The FrameModel holds no
    reply, so nothing advances and the same frame can be made again; its caches span the
    whole window, so the time does not depend on the position. Decoding: each reply's own
    stream, chunk_frames at a time, as the engine decodes."""
    rows = slice(0, batch)
    logits = torch.randn(batch, int(runtime.model.config.vocab_size), device=frames.device)
    temperature = torch.full((batch, 1), 1 / 0.9, device=frames.device)
    top_k = torch.full((batch, 1), frames.sampler.max_top_k - 1, device=frames.device)
    sampled = torch.ones(batch, 1, dtype=torch.bool, device=frames.device)

    def sampling() -> None:
        noise = frames.sampler.noise(frames.num_codebooks, sampled)
        for codebook in range(frames.num_codebooks):
            frames.sampler(logits, noise[codebook], temperature, top_k)

    parts: dict[str, Callable[[], object]] = {
        "frame": lambda: frames.step(batch),
        "backbone": lambda: frames.advance(rows, frames.codes[rows]),
        "depth": lambda: frames.sample_frame(rows),
        "sampling": sampling,
    }
    cuda = frames.device.type == "cuda"
    with torch.no_grad():  # what the driver thread runs under, captures included
        if graphs:
            parts = {name: capture(work).replay for name, work in parts.items()}
        ms = {name: timed(work, cuda, repeats) * 1000 for name, work in parts.items()}
    ms["depth"] -= ms["sampling"]  # the depth decoder's steps without the sampling in them
    chunk = [torch.zeros(frames.num_codebooks, dtype=torch.long)] * chunk_frames
    decoders = [runtime.new_decoder() for _ in range(batch)]
    seconds = timed(lambda: [runtime.decode_here(decoder, chunk) for decoder in decoders], cuda, 3)
    ms["decode"] = seconds * 1000 / len(chunk)
    return ms


def kernels_per_frame(frames: FrameModel, batch: int) -> int:
    """What one eager frame step of `batch` replies launches (a graph replays the same)."""
    with torch.no_grad():
        frames.step(batch)  # warm: nothing lazy in the count
        return sum(kernels(functools.partial(frames.step, batch), frames.device).values())


def prefill_rows(model: Any, tokens: Sequence[int], repeats: int) -> list[str]:
    """Table lines: a prompt of each length read by the backbone alone, as a reply joins."""
    frames = FrameModel(model, slots=1, max_top_k=1)
    cuda = frames.device.type == "cuda"
    lines = []
    for length in tokens:
        embeds = torch.randn(1, length, int(model.config.hidden_size), device=frames.device)
        embeds = embeds.to(model.dtype)
        work = functools.partial(frames.prefill, 0, embeds, [length])
        seconds = in_own_thread(functools.partial(timed_ms, work, cuda, repeats))["ms"] / 1000
        count = sum(kernels(work, frames.device).values())
        lines.append(f"| {length} | {seconds * 1000:.1f} | {count} |")
    return lines


def timed_ms(work: Callable[[], object], cuda: bool, repeats: int) -> dict[str, float]:
    return {"ms": timed(work, cuda, repeats) * 1000}


def in_own_thread(work: Callable[[], dict[str, float]]) -> dict[str, float]:
    """Timed in a thread of its own, as the engine's driver runs the loop: on a CPU of two
    cores, OpenMP's spinning made the main thread's figures up to five times slower."""
    result: list[dict[str, float]] = []
    thread = threading.Thread(target=lambda: result.append(work()))
    thread.start()
    thread.join()
    return result[0]


def bench_engine(
    model: Any,
    processor: Any,
    settings: CsmSettings,
    loop: str,
    *,
    text: str,
    clients: Sequence[int],
    parts_only: bool,
) -> list[Row]:
    started = time.perf_counter()
    engine = CsmEngine(
        dataclasses.replace(settings, cuda_graphs=loop == "graphs"),
        components=lambda: (model, processor),
    )
    engine.load()
    print(f"engine, {loop}: load, warm-up and capture {time.perf_counter() - started:.1f} s")
    runtime = engine.runtime
    cuda = runtime.model.device.type == "cuda"
    rows, others = [], []
    for count in clients:
        if parts_only:
            rows.append(Row("frame step", loop, count, [], None))
            continue
        timings, memory = at_once(functools.partial(streamed, engine, text), count, cuda)
        rows.append(Row("engine, streamed", loop, count, timings, memory))
    if not parts_only:
        timings, memory = at_once(functools.partial(one_shot, engine, text), 1, cuda)
        others.append(Row("engine, one-shot decode", loop, 1, timings, memory))
    engine.close()
    # The parts last, on caches of their own, so that the rows' memory is the engine's alone
    frames = FrameModel(model, slots=max(clients), max_top_k=settings.top_k)
    repeats = 3 if runtime.num_codebooks > 8 and not cuda else 20
    rows = [
        dataclasses.replace(
            row,
            parts_ms=in_own_thread(
                functools.partial(
                    frame_parts,
                    frames,
                    runtime,
                    row.replies,
                    loop == "graphs",
                    repeats,
                    chunk_frames=settings.chunk_frames,
                )
            ),
            kernels=kernels_per_frame(frames, row.replies),
        )
        for row in rows
    ]
    del frames, runtime, engine
    gc.collect()
    if cuda:
        torch.cuda.empty_cache()
    return [*rows, *others]


def replayed(server: ServerProcess, clients: int, tag: str) -> list[Timing]:
    contexts = [{"satellite_id": f"{tag}-{index}"} for index in range(clients)]
    replies = asyncio.run(
        stream_replies(
            server.host, server.port, SERVER_REPLY, clients, voice="csm_0", contexts=contexts
        )
    )
    for reply in replies:
        if reply.error is not None or not reply.audio:
            raise RuntimeError(f"the server failed a reply ({reply.error}); see {server.log}")
    return [
        Timing(
            reply.first_audio or 0.0, reply.total_seconds, reply.audio_seconds, reply.underruns()
        )
        for reply in replies
    ]


def bench_server(
    model: Any, processor: Any, device: torch.device, clients: Sequence[int]
) -> list[Row]:
    loop = "graphs" if device.type == "cuda" and CsmSettings().cuda_graphs else "eager"
    with tempfile.TemporaryDirectory(prefix="bench-csm-") as name:
        tmp = Path(name)
        started = time.perf_counter()
        save_model(model, processor, tmp / "csm")
        print(f"server: the model saved in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        server, ready = start_csm_server(tmp, tmp / "csm", device.type, SERVER_START_SECONDS)
        print(f"server: started in {time.perf_counter() - started:.1f} s; CSM ready {ready}")
        try:
            replayed(server, 1, "warm-up")
            rows = []
            for count in clients:
                gpu = device.type == "cuda" and shutil.which("nvidia-smi") is not None
                if gpu:
                    with GpuMemory(server.process.pid) as memory:
                        timings = replayed(server, count, f"clients-{count}")
                    peak = memory.peak_mb
                else:
                    timings = replayed(server, count, f"clients-{count}")
                    peak = None if device.type == "cuda" else server.peak_rss_mb
                rows.append(Row("server, HA streaming", loop, count, timings, peak))
        finally:
            server.stop()
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="the tests' tiny CSM (CPU proof)")
    parser.add_argument("--device", choices=("auto", "cuda", "cpu"), default="auto")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--text", default=ENGINE_TEXT, help="the engine rows' sentence")
    parser.add_argument("--loops", choices=LOOPS, nargs="+", default=list(LOOPS))
    parser.add_argument(
        "--parts-only",
        action="store_true",
        help="only the parts of a frame, no replies (CSM-1B on a CPU: minutes, not hours)",
    )
    parser.add_argument(
        "--kernels-only",
        action="store_true",
        help="only the kernels per frame step (no timing: a minute, even for CSM-1B on a CPU)",
    )
    parser.add_argument(
        "--dtype",
        choices=("auto", "bfloat16", "float32"),
        default="auto",
        help="auto: bfloat16 for CSM-1B on CUDA, else float32",
    )
    parser.add_argument(
        "--prefill",
        type=int,
        nargs="*",
        default=list(PREFILL_TOKENS),
        help="prompt lengths of the prefill table (those that fit the window)",
    )
    args = parser.parse_args(argv)
    # A random model never says end of audio: every reply reaches its frame limit, which
    # the engine warns about
    logging.getLogger("wyoming_polytts.engines.csm.engine").setLevel(logging.ERROR)
    auto = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(auto if args.device == "auto" else args.device)
    dtype = (
        {"bfloat16": torch.bfloat16, "float32": torch.float32}[args.dtype]
        if args.dtype != "auto"
        else torch.bfloat16
        if device.type == "cuda" and not args.tiny
        else torch.float32
    )
    loops = [loop for loop in args.loops if loop == "eager" or device.type == "cuda"]
    clients = sorted(set(args.concurrency))
    model, processor = build(args.tiny, device, dtype)
    settings = dataclasses.replace(
        CsmSettings(), device=device.type, max_batch=min(8, max(clients))
    )
    name = "tiny CSM" if args.tiny else "CSM-1B architecture, random weights"
    gpu = f" ({torch.cuda.get_device_name()})" if device.type == "cuda" else " (no CUDA graphs)"
    chunks = f"{settings.first_chunk_frames} frames, then {settings.chunk_frames}"
    print(f"{name} on {device}{gpu}, {dtype}, torch {torch.__version__}; chunks of {chunks}")
    if args.kernels_only:
        frames = FrameModel(model, slots=max(clients), max_top_k=settings.top_k)
        print("\n| replies | kernels per frame |\n|---:|---:|")
        for count in clients:
            print(f"| {count} | {kernels_per_frame(frames, count)} |")
        return
    started = time.perf_counter()
    rows = [
        row
        for loop in loops
        for row in bench_engine(
            model,
            processor,
            settings,
            loop,
            text=args.text,
            clients=clients,
            parts_only=args.parts_only,
        )
    ]
    if not args.parts_only:
        rows += bench_server(model, processor, device, clients)
    memory = "VRAM" if device.type == "cuda" else "RSS"
    print(f"finished in {time.perf_counter() - started:.0f} s\n")
    print(HEADER.format(memory=memory))
    print("|---|---|" + "---:|" * 13)
    print("\n".join(row.line() for row in rows))
    window = int(model.config.max_position_embeddings)
    tokens = [length for length in args.prefill if 0 < length < window]
    if tokens:
        repeats = 1 if device.type == "cpu" and not args.tiny else 5
        print("\n| prompt tokens | prefill ms | kernels |\n|---:|---:|---:|")
        print("\n".join(prefill_rows(model, tokens, repeats)))


if __name__ == "__main__":
    main()
