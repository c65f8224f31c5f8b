"""Benchmark the web side beside Wyoming, in one run: the status page's load time in headless
Chromium, and the voice preview's and the OpenAI speech API's (streamed mp3 and opus) time to
first byte next to a Wyoming reply of the same text.

Prints a markdown table (median and worst of --runs runs, taken in turn), and each streamed
API format's first byte over the first audio of a Wyoming reply sent right before or after it
(the order alternates run by run). The phrase cache is off, so
every reply is synthesized. Never asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from wyoming_polytts.testing.browser import headless_chromium, wait_until
from wyoming_polytts.testing.client import stream_reply, synthesize_reply
from wyoming_polytts.testing.launcher import ServerProcess, free_port, start_server

TEXT = "Sure! The kitchen lights are on, and the oven is preheating to 180 degrees."
PAGE_READY = """
const navigation = performance.getEntriesByType('navigation')[0];
const status = performance.getEntriesByType('resource').find(r => r.name.endsWith('/api/status'));
const shown = document.querySelector('#engines tr');
return navigation.loadEventEnd > 0 && status && shown
    && [navigation.responseStart, navigation.loadEventEnd, status.responseEnd];
"""
"""Milliseconds from navigation to the page's first byte, its load event, its first status."""

Measures = defaultdict[str, list[float]]
STREAMED_FORMATS = ("mp3", "opus")


def api_first(format_name: str) -> str:
    return f"OpenAI /v1/audio/speech {format_name}, stream_format audio: first byte"


def wyoming_beside(format_name: str) -> str:
    return f"Wyoming synthesize beside the {format_name} request: first audio"


async def first_and_last_byte(method: str, url: str, **request: Any) -> tuple[float, float]:
    """Seconds to the response's first byte and to its last."""
    async with aiohttp.ClientSession() as client:
        started = time.monotonic()
        async with client.request(method, url, **request) as response:
            response.raise_for_status()
            await response.content.readany()
            first = time.monotonic() - started
            await response.read()
            return first, time.monotonic() - started


async def preview(url: str, text: str, *, stream: bool) -> tuple[float, float]:
    """Seconds to the WAV's first byte and to its last."""
    params = {"text": text, **({"stream": "1"} if stream else {})}
    return await first_and_last_byte("GET", f"{url}/api/speak", params=params)


async def speech(url: str, text: str, format_name: str) -> tuple[float, float]:
    """Seconds to a streamed OpenAI speech response's first byte and to its last."""
    body = {
        "model": "tts-1",
        "voice": "af_heart",
        "input": text,
        "response_format": format_name,
        "stream_format": "audio",
    }
    return await first_and_last_byte("POST", f"{url}/v1/audio/speech", json=body)


async def wyoming_and_preview(server: ServerProcess, url: str, text: str, into: Measures) -> None:
    one_shot = await synthesize_reply(server.host, server.port, text)
    streamed = await stream_reply(server.host, server.port, text)
    first_byte, whole = await preview(url, text, stream=False)
    streamed_first_byte, streamed_whole = await preview(url, text, stream=True)
    for reply in (one_shot, streamed):
        assert reply.error is None and reply.first_audio is not None
    into["Wyoming synthesize: first audio"].append(one_shot.first_audio or 0.0)
    into["Wyoming synthesize: last audio"].append(one_shot.total_seconds)
    into["Wyoming streamed (7-char chunks): first audio"].append(streamed.first_audio or 0.0)
    into["Wyoming streamed (7-char chunks): last audio"].append(streamed.total_seconds)
    into["Preview /api/speak: first byte"].append(first_byte)
    into["Preview /api/speak: last byte"].append(whole)
    into["Preview /api/speak?stream=1: first byte"].append(streamed_first_byte)
    into["Preview /api/speak?stream=1: last byte"].append(streamed_whole)


async def api_beside_wyoming(
    server: ServerProcess, url: str, text: str, into: Measures, *, wyoming_first: bool
) -> None:
    """Each streamed format right next to a Wyoming reply of the same text, in the order
    given (runs alternate it, so that neither always comes after the other)."""
    for format_name in STREAMED_FORMATS:
        if wyoming_first:
            wyoming = await synthesize_reply(server.host, server.port, text)
            first, last = await speech(url, text, format_name)
        else:
            first, last = await speech(url, text, format_name)
            wyoming = await synthesize_reply(server.host, server.port, text)
        assert wyoming.error is None and wyoming.first_audio is not None
        into[wyoming_beside(format_name)].append(wyoming.first_audio)
        into[api_first(format_name)].append(first)
        into[f"OpenAI /v1/audio/speech {format_name}, stream_format audio: last byte"].append(last)


def page_load(url: str, runs: int, into: Measures) -> None:
    with headless_chromium() as browser:
        for _ in range(runs):
            browser.get("about:blank")
            browser.get(f"{url}/")
            first_byte, loaded, status = wait_until(browser, PAGE_READY)
            into["Page: first byte"].append(first_byte / 1000)
            into["Page: load event"].append(loaded / 1000)
            into["Page: status shown (first /api/status answered)"].append(status / 1000)


def table(measures: Measures) -> str:
    lines = ["| measure | median (s) | worst (s) |", "|---|---:|---:|"]
    for name, values in measures.items():
        lines.append(f"| {name} | {statistics.median(values):.3f} | {max(values):.3f} |")
    return "\n".join(lines)


def ratios(measures: Measures) -> str:
    """Each streamed format's first byte over the first audio of the Wyoming reply beside it."""
    lines = []
    for format_name in STREAMED_FORMATS:
        pairs = zip(
            measures[api_first(format_name)], measures[wyoming_beside(format_name)], strict=True
        )
        each = [api / wyoming for api, wyoming in pairs]
        lines.append(
            f"{format_name} first byte / Wyoming first audio: median "
            f"{statistics.median(each):.2f}x, worst {max(each):.2f}x"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--text", default=TEXT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="polytts-bench-web-") as folder:
        config = Path(folder) / "config.yaml"
        config.write_text(yaml.safe_dump({"cache": {"max_mb": 0}}))
        port = free_port()
        server = start_server(Path(folder), "--config", str(config), "--web", f"127.0.0.1:{port}")
        url = f"http://127.0.0.1:{port}"
        measures: Measures = defaultdict(list)
        try:
            warm_up: Measures = defaultdict(list)
            asyncio.run(wyoming_and_preview(server, url, "Warming up.", warm_up))
            asyncio.run(api_beside_wyoming(server, url, "Warming up.", warm_up, wyoming_first=True))
            page_load(url, args.runs, measures)
            for run in range(args.runs):
                asyncio.run(wyoming_and_preview(server, url, args.text, measures))
                asyncio.run(
                    api_beside_wyoming(server, url, args.text, measures, wyoming_first=run % 2 == 0)
                )
        finally:
            server.stop()
    print(f"Text ({len(args.text)} characters): {args.text}\n")
    print(table(measures))
    print()
    print(ratios(measures))


if __name__ == "__main__":
    main()
