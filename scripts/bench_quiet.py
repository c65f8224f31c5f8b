"""Benchmark replies beside connections that say nothing, in one run: 8 replies streamed at
once as Home Assistant streams them, first on an idle server, then with 200 more clients
connected and silent (a scanner, a broken client). Prints a markdown table of time to first
audio (median and worst of the 8, and the worst as a multiple of the idle run's), and what
the silent clients read. Never asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
from collections import Counter
from pathlib import Path

from wyoming.event import async_read_event

from wyoming_polytts.testing.client import Reply, stream_reply
from wyoming_polytts.testing.launcher import start_server

Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def replies(host: str, port: int, count: int) -> list[Reply]:
    return await asyncio.gather(
        *(stream_reply(host, port, f"Reply number {n} is ready now.") for n in range(count))
    )


async def fate(connection: Connection) -> str:
    """busy (then the close), open, or what else a silent client saw."""
    try:
        async with asyncio.timeout(0.5):
            event = await async_read_event(connection[0])
    except TimeoutError:
        return "open"
    except ConnectionError:
        return "reset"
    if event is None:
        return "closed without a word"
    return str(event.data.get("code", event.type))


def row(name: str, measured: list[Reply], idle_worst: float) -> str:
    firsts = [reply.first_audio for reply in measured if reply.first_audio is not None]
    served = sum(reply.error is None and reply.audio_seconds > 0 for reply in measured)
    worst = max(firsts) if firsts else float("nan")
    median = statistics.median(firsts) if firsts else float("nan")
    ratio = worst / idle_worst
    return f"| {name} | {served} of {len(measured)} | {median:.2f} | {worst:.2f} | {ratio:.2f}x |"


async def bench(host: str, port: int, silent: int, count: int, quiet_after: float) -> None:
    await replies(host, port, 1)  # the model loaded and warm
    idle = await replies(host, port, count)
    connections = await asyncio.gather(
        *(asyncio.open_connection(host, port) for _ in range(silent))
    )
    await asyncio.sleep(quiet_after + 0.5)
    loaded = await replies(host, port, count)
    fates = Counter(await asyncio.gather(*(fate(c) for c in connections)))
    for _, writer in connections:
        writer.close()
    idle_worst = max(r.first_audio for r in idle if r.first_audio is not None)
    print("| condition | served | first audio, median (s) | worst (s) | worst / idle worst |")
    print("|---|---|---|---|---|")
    print(row("idle server", idle, idle_worst))
    print(row(f"{silent} silent connections open", loaded, idle_worst))
    print(f"\nThe {silent} silent clients read: " + ", ".join(f"{n} {k}" for k, n in fates.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--silent", type=int, default=200)
    parser.add_argument("--replies", type=int, default=8)
    parser.add_argument("--quiet-after", type=float, default=5.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "config.yaml"
        config.write_text(f"cache:\n  max_mb: 0\nserver:\n  quiet_after: {args.quiet_after}\n")
        server = start_server(Path(folder), "--config", str(config))
        try:
            asyncio.run(
                bench(server.host, server.port, args.silent, args.replies, args.quiet_after)
            )
        finally:
            server.stop()


if __name__ == "__main__":
    main()
