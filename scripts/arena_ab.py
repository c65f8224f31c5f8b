"""Kokoro's onnxruntime memory settings side by side: raw call time and resident memory.

Each arm (a SessionMemory: arena or none, its OrtArenaCfg, memory pattern or none) loads
Kokoro in a child process of its own, as the engine does (one session, the engine's
options); the parent hands every text to every arm in turn, one call at a time and the arms'
order rotating, so that all arms meet the same load on the machine. Prints a markdown table:
the arms' total call time, the median per-text ratio to the first arm, and their RSS. Never
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

from wyoming_polytts.engines.kokoro.files import find_kokoro
from wyoming_polytts.engines.kokoro.memory import (
    SessionMemory,
    SessionWithRunOptions,
    register_shared_arena,
    run_options,
    session_options,
)
from wyoming_polytts.storage import default_data_dir
from wyoming_polytts.testing.varied_replies import replies
from wyoming_polytts.text import TextSettings, split_text

BEFORE = SessionMemory(initializers_in_arena=True, shrink_after_run=False)
"""onnxruntime's defaults, as this project had them."""
REQUESTED = {"arena_extend_strategy": 1}
"""onnxruntime's kSameAsRequested: the arena grows by what a run asks for, not by doubling."""
ARMS = {
    "before": BEFORE,
    "before, again": BEFORE,
    "grow as requested": replace(BEFORE, arena=REQUESTED),
    "grow as requested, no pattern": replace(BEFORE, arena=REQUESTED, memory_pattern=False),
    "doubling up to 32 MB steps": replace(
        BEFORE, arena={"max_power_of_two_extend_bytes": 32 << 20}
    ),
    "no arena": replace(BEFORE, arena=None),
    "weights outside the arena": replace(BEFORE, initializers_in_arena=False),
    "no prepacking": replace(BEFORE, prepacking=False),
    "weights outside, no prepacking": replace(
        BEFORE, initializers_in_arena=False, prepacking=False
    ),
    "shrink after each run": replace(BEFORE, shrink_after_run=True),
    "weights outside, shrink after each run": replace(
        BEFORE, initializers_in_arena=False, shrink_after_run=True
    ),
    "default": SessionMemory(),
}
"""`before` twice: the difference between the two is the noise; `default`: today's setting."""


def child(arm: str, threads: int) -> None:
    """Runs in a child: loads Kokoro with the arm's memory, answers one text a line with the
    call's seconds, and an empty line with its RSS."""
    import onnxruntime
    from kokoro_onnx import Kokoro

    files = find_kokoro([default_data_dir()])
    assert files is not None
    memory = ARMS[arm]
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
        kokoro.create(text, voice="af_heart", lang="en-us")
        print(json.dumps(time.perf_counter() - started), flush=True)


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
    return Arm(name, process, loaded["VmRSS"], [])


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
                assert isinstance(seconds, float)
                arm.seconds.append(seconds)
        memory = [arm.ask(None) for arm in arms]
    finally:
        for arm in arms:
            arm.process.kill()
            arm.process.wait()
    print(
        f"The segments of {args.texts} replies, threads {args.threads or 'one per core'}, "
        f"seed {args.seed}\n"
    )
    print("| arm | call s, total | median call / first arm's | loaded MB | final MB | peak MB |")
    print("|---|---|---|---|---|---|")
    for arm, figures in zip(arms, memory, strict=True):
        assert isinstance(figures, dict)
        ratio = statistics.median(
            mine / first for mine, first in zip(arm.seconds, arms[0].seconds, strict=True)
        )
        print(
            f"| {arm.name} | {sum(arm.seconds):.1f} | {ratio:.3f} | {arm.loaded_mb:.0f} "
            f"| {figures['VmRSS']:.0f} | {figures['VmHWM']:.0f} |"
        )


if __name__ == "__main__":
    main()
