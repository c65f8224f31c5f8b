"""Soak: many requests of varied lengths, a few at a time, the server's RSS sampled along the way.

Starts the real server (Kokoro, the default settings but for the phrase cache's size) once per
cache setting, sends `--requests` one-shot replies `--at-once` at a time, and prints a markdown
table of the resident memory after loading and after every `--every` requests, with the peak.
Nearly all replies differ (numbers and names drawn at random), so the phrase cache fills as
it would over weeks. Never asserts anything: memory is read, not judged.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from wyoming_polytts.engines.kokoro.files import find_kokoro
from wyoming_polytts.storage import default_data_dir
from wyoming_polytts.testing.client import synthesize_reply
from wyoming_polytts.testing.launcher import ServerProcess, start_server
from wyoming_polytts.testing.varied_replies import replies


def rss_mb(server: ServerProcess) -> float:
    """The server's resident memory now (Linux), in MiB."""
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("VmRSS not reported")


@dataclass
class Soak:
    label: str
    samples: list[tuple[int, float]]
    """(requests done, RSS MiB)"""
    peak_mb: float
    seconds: float
    audio_seconds: float
    errors: int


async def _send_all(
    server: ServerProcess, texts: Sequence[str], at_once: int, every: int
) -> tuple[list[tuple[int, float]], float, int]:
    samples = [(0, rss_mb(server))]
    queue = list(reversed(texts))
    done = errors = 0
    audio = 0.0

    async def client() -> None:
        nonlocal done, errors, audio
        while queue:
            try:
                reply = await synthesize_reply(server.host, server.port, queue.pop())
            except (TimeoutError, ConnectionError):
                # A reply that never ended is an error of the soak, not the end of it
                errors += 1
            else:
                errors += reply.error is not None
                audio += reply.audio_seconds
            done += 1
            if done % every == 0 or done == len(texts):
                samples.append((done, rss_mb(server)))

    await asyncio.gather(*(client() for _ in range(at_once)))
    return samples, audio, errors


def soak(
    tmp: Path,
    tree: Path | None,
    cache_mb: int | None,
    *,
    texts: Sequence[str],
    at_once: int,
    every: int,
) -> Soak:
    """One server (the package in `tree`, None: this one) through all of `texts`."""
    config = tmp / f"cache-{cache_mb}.yaml"
    # Defaults, but a slow machine's queue is not an error here: memory is what is measured
    config.write_text(
        "routing:\n  first_audio_timeout: 300\n  queue_timeout: 600\n"
        + ("" if cache_mb is None else f"cache:\n  max_mb: {cache_mb}\n")
    )
    label = "cache default" if cache_mb is None else f"cache {cache_mb} MB"
    if tree is not None:
        label = f"{tree.name}, {label}"
    env = {"PYTHONPATH": str(tree)} if tree is not None else None
    server = start_server(tmp, "--config", str(config), env=env)
    try:
        server.wait_for_log("Kokoro ready", timeout=300)
        started = time.monotonic()
        samples, audio, errors = asyncio.run(_send_all(server, texts, at_once, every))
        seconds = time.monotonic() - started
        return Soak(label, samples, server.peak_rss_mb, seconds, audio, errors)
    finally:
        server.stop()


def table(soaks: Sequence[Soak]) -> str:
    counts = [done for done, _ in soaks[0].samples]
    lines = [
        "| requests | " + " | ".join(f"{run.label}: RSS MB" for run in soaks) + " |",
        "|---|" + "---|" * len(soaks),
    ]
    for row, done in enumerate(counts):
        figures = " | ".join(f"{run.samples[row][1]:.0f}" for run in soaks)
        lines.append(f"| {'loaded' if done == 0 else done} | {figures} |")
    lines.append("| peak | " + " | ".join(f"{run.peak_mb:.0f}" for run in soaks) + " |")
    half = counts[len(counts) // 2]
    growth = " | ".join(f"{_growth(run, half):+.1f}%" for run in soaks)
    lines.append(f"| growth over the last {counts[-1] - half} | {growth} |")
    lines.append(
        "| wall s / audio s | "
        + " | ".join(f"{run.seconds:.0f} / {run.audio_seconds:.0f}" for run in soaks)
        + " |"
    )
    lines.append("| errors | " + " | ".join(str(run.errors) for run in soaks) + " |")
    return "\n".join(lines)


def _growth(run: Soak, since: int) -> float:
    start = next(rss for done, rss in run.samples if done == since)
    return (run.samples[-1][1] / start - 1) * 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--at-once", type=int, default=4)
    parser.add_argument("--every", type=int, default=100, help="Sample RSS every N requests")
    parser.add_argument(
        "--cache-mb",
        type=int,
        nargs="+",
        default=[-1, 0],
        help="Phrase cache sizes to soak, one server each; -1: the default setting",
    )
    parser.add_argument(
        "--tree",
        type=Path,
        nargs="+",
        default=[None],
        help="Soak the package in these checkouts side by side (default: this one)",
    )
    parser.add_argument("--seed", type=int, default=29)
    args = parser.parse_args()
    if find_kokoro([default_data_dir()]) is None:
        sys.exit("The Kokoro model is missing: run scripts/setup first")
    texts = replies(args.requests, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        soaks = [
            soak(
                Path(tmp),
                tree,
                None if size < 0 else size,
                texts=texts,
                at_once=args.at_once,
                every=args.every,
            )
            for tree in args.tree
            for size in args.cache_mb
        ]
    print(f"{args.requests} requests, {args.at_once} at a time, seed {args.seed}\n")
    print(table(soaks))


if __name__ == "__main__":
    main()
