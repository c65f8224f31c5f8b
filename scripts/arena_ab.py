"""Kokoro's memory settings side by side: raw call time, first audio and resident memory.

Each arm (a SessionMemory: arena or none, its OrtArenaCfg, memory pattern or none; the most
phonemes in one run; glibc's heap as it is or tuned as the server tunes it) loads Kokoro in a
child process of its own, as the engine does (one session, the engine's options, the graph
the server loads); the parent hands every segment to every arm in turn, one call at a time
and the arms' order rotating, so that all arms meet the same load on the machine. Prints a
markdown table: the arms' total call time, the median per-segment ratios to the first arm
(the whole segment, and its first run: when its first audio is ready), and their RSS. Never
asserts anything.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

from wyoming_polytts.engines.kokoro.derive import with_derived_graph
from wyoming_polytts.engines.kokoro.files import find_kokoro
from wyoming_polytts.engines.kokoro.memory import (
    SessionMemory,
    SessionWithRunOptions,
    register_shared_arena,
    run_options,
    session_options,
)
from wyoming_polytts.engines.kokoro.runs import phoneme_parts, spoken_parts
from wyoming_polytts.engines.kokoro.settings import KokoroSettings
from wyoming_polytts.server.heap import tune_heap
from wyoming_polytts.storage import default_data_dir
from wyoming_polytts.testing.varied_replies import replies
from wyoming_polytts.text import TextSettings, split_text


@dataclass(frozen=True)
class Variant:
    memory: SessionMemory
    max_phonemes: int = 510
    """The most phonemes in one run (510: kokoro-onnx's own limit, one run per segment)."""
    tuned_heap: bool = False


BEFORE = SessionMemory(initializers_in_arena=True, shrink_after_run=False)
"""onnxruntime's defaults, as this project had them."""
REQUESTED = {"arena_extend_strategy": 1}
"""onnxruntime's kSameAsRequested: the arena grows by what a run asks for, not by doubling."""
DEFAULT = Variant(SessionMemory(), KokoroSettings().max_phonemes_per_run, tuned_heap=True)
"""What the server runs with."""
ARMS = {
    "before": Variant(BEFORE),
    "before, again": Variant(BEFORE),
    "grow as requested": Variant(replace(BEFORE, arena=REQUESTED)),
    "grow as requested, no pattern": Variant(
        replace(BEFORE, arena=REQUESTED, memory_pattern=False)
    ),
    "doubling up to 32 MB steps": Variant(
        replace(BEFORE, arena={"max_power_of_two_extend_bytes": 32 << 20})
    ),
    "no arena": Variant(replace(BEFORE, arena=None)),
    "weights outside the arena": Variant(replace(BEFORE, initializers_in_arena=False)),
    "no prepacking": Variant(replace(BEFORE, prepacking=False)),
    "weights outside, no prepacking": Variant(
        replace(BEFORE, initializers_in_arena=False, prepacking=False)
    ),
    "shrink after each run": Variant(replace(BEFORE, shrink_after_run=True)),
    "weights outside, shrink after each run": Variant(
        replace(BEFORE, initializers_in_arena=False, shrink_after_run=True)
    ),
    "one run per segment": replace(DEFAULT, max_phonemes=510),
    "one run per segment, again": replace(DEFAULT, max_phonemes=510),
    "runs of at most 110 phonemes": replace(DEFAULT, max_phonemes=110),
    "glibc's heap as it is": replace(DEFAULT, tuned_heap=False),
    "default": DEFAULT,
}
"""`before` twice: the difference between the two is the noise; `default`: today's setting."""


def child(arm: str, threads: int) -> None:
    """Runs in a child: loads Kokoro with the arm's settings, answers one segment a line with
    the seconds to its first run's audio and to its whole audio, and an empty line with its
    RSS."""
    variant = ARMS[arm]
    if variant.tuned_heap:
        tune_heap()
    import onnxruntime
    from kokoro_onnx import Kokoro

    found = find_kokoro([default_data_dir()])
    assert found is not None
    files = with_derived_graph(found, default_data_dir(), search=[default_data_dir()])
    memory = variant.memory
    register_shared_arena(onnxruntime, memory)
    session = onnxruntime.InferenceSession(
        str(files.model),
        sess_options=session_options(onnxruntime, threads, memory),
        providers=["CPUExecutionProvider"],
    )
    running = SessionWithRunOptions(session, run_options(onnxruntime, memory))
    kokoro = Kokoro.from_session(running, str(files.voices))
    kokoro.create("Ready.", voice="af_heart", lang="en-us")
    print(json.dumps(_memory()), flush=True)
    for line in sys.stdin:
        text = json.loads(line)
        if text is None:
            print(json.dumps(_memory()), flush=True)
            continue
        started = time.perf_counter()
        parts = phoneme_parts(kokoro.tokenizer.phonemize(text, "en-us"), variant.max_phonemes)
        runs = spoken_parts(
            parts, lambda part: kokoro.create(part, voice="af_heart", is_phonemes=True)[0]
        )
        next(runs)
        first = time.perf_counter() - started
        for _audio in runs:
            pass
        print(json.dumps([first, time.perf_counter() - started]), flush=True)


def _memory() -> dict[str, float]:
    """VmRSS and VmHWM (the peak) of this process, in MiB."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return {key: int(fields[key].split()[0]) / 1024 for key in ("VmRSS", "VmHWM")}


@dataclass
class Arm:
    name: str
    process: subprocess.Popen[str]
    loaded_mb: float
    seconds: list[float]
    first_seconds: list[float]

    def ask(self, text: str | None) -> object:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(text) + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            raise RuntimeError(f"arm {self.name!r} ended early")
        return json.loads(answer)


def start(name: str, threads: int) -> Arm:
    command = [sys.executable, __file__, "--child", name, "--threads", str(threads)]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    loaded = json.loads(process.stdout.readline())
    return Arm(name, process, loaded["VmRSS"], [], [])


def segments(count: int, seed: int) -> list[str]:
    """The segments the server would hand Kokoro for `count` varied replies."""
    return [
        segment.text
        for text in replies(count, seed)
        for segment in split_text(text, TextSettings(), "en-US")
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--arms", nargs="+", choices=list(ARMS), default=list(ARMS))
    parser.add_argument("--texts", type=int, default=200, help="Replies, cut into segments")
    parser.add_argument("--threads", type=int, default=0, help="0: one per physical core")
    parser.add_argument("--seed", type=int, default=29)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.threads)
        return
    if find_kokoro([default_data_dir()]) is None:
        sys.exit("The Kokoro model is missing: run scripts/setup first")
    arms = [start(name, args.threads) for name in args.arms]
    try:
        for index, text in enumerate(segments(args.texts, args.seed)):
            shift = index % len(arms)
            for arm in arms[shift:] + arms[:shift]:
                seconds = arm.ask(text)
                assert isinstance(seconds, list)
                arm.first_seconds.append(seconds[0])
                arm.seconds.append(seconds[1])
        memory = [arm.ask(None) for arm in arms]
    finally:
        for arm in arms:
            arm.process.kill()
            arm.process.wait()
    print(
        f"The segments of {args.texts} replies, threads {args.threads or 'one per core'}, "
        f"seed {args.seed}\n"
    )
    print(
        "| arm | call s, total | median call / first arm's | median first audio / first arm's "
        "| loaded MB | final MB | peak MB |"
    )
    print("|---|---|---|---|---|---|---|")
    for arm, figures in zip(arms, memory, strict=True):
        assert isinstance(figures, dict)
        call = _median_ratio(arm.seconds, arms[0].seconds)
        first = _median_ratio(arm.first_seconds, arms[0].first_seconds)
        print(
            f"| {arm.name} | {sum(arm.seconds):.1f} | {call:.3f} | {first:.3f} "
            f"| {arm.loaded_mb:.0f} | {figures['VmRSS']:.0f} | {figures['VmHWM']:.0f} |"
        )


def _median_ratio(mine: list[float], first: list[float]) -> float:
    return statistics.median(a / b for a, b in zip(mine, first, strict=True))


if __name__ == "__main__":
    main()
