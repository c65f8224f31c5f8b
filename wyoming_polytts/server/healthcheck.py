"""Exit 0 when a Wyoming TTS server answers Describe with Info in time (Docker HEALTHCHECK)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from wyoming.client import AsyncTcpClient
from wyoming.info import Describe, Info

from ..uri import tcp_address
from .info import PROGRAM_NAME


async def describe(host: str, port: int, timeout: float = 5.0) -> Info:
    """Ask a Wyoming server for its Info."""
    async with AsyncTcpClient(host, port) as client:
        await client.write_event(Describe().event())
        async with asyncio.timeout(timeout):
            while True:
                event = await client.read_event()
                if event is None:
                    raise ConnectionError("server closed the connection before Info")
                if Info.is_type(event.type):
                    return Info.from_event(event)


def check(uri: str, timeout: float, program: str | None) -> str | None:
    """None when healthy, else why not."""
    address = tcp_address(uri)
    if address is None:
        return f"expected tcp://HOST:PORT, got {uri!r}"
    try:
        # The deadline covers connecting too: a wedged server may never accept
        info = asyncio.run(asyncio.wait_for(describe(*address, timeout=timeout), timeout))
    except TimeoutError:
        return f"no Info from {uri} within {timeout} s"
    except OSError as err:
        return f"cannot reach {uri}: {err}"
    names = [tts.name for tts in info.tts]
    if not names:
        return f"{uri} answered without a text-to-speech program"
    if program and program not in names:
        return f"{uri} serves {', '.join(names)}, not {program}"
    return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--uri", default="tcp://127.0.0.1:10200")
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--expect-program", default=PROGRAM_NAME)
    args = parser.parse_args(argv)
    problem = check(args.uri, args.timeout, args.expect_program)
    if problem:
        sys.exit(f"unhealthy: {problem}")
    print(f"healthy: {args.uri}")


if __name__ == "__main__":
    main()
