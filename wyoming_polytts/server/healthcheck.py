"""Exit 0 when the server answers Describe with Info in time and says it can serve
(Docker HEALTHCHECK): its engines have live workers and not every reply slot is stuck.
Without --uri it checks the server named in $POLYTTS_URI_FILE (served_uri.py)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable

from wyoming.client import AsyncTcpClient
from wyoming.event import Event
from wyoming.info import Describe, Info

from ..uri import tcp_address
from .health import HEALTH_EVENT, problems_of
from .info import PROGRAM_NAME
from .served_uri import DEFAULT_URI, URI_FILE_VARIABLE, served_uri


async def describe(host: str, port: int, timeout: float = 5.0) -> Info:
    """Ask a Wyoming server for its Info."""
    async with asyncio.timeout(timeout), AsyncTcpClient(host, port) as client:
        await client.write_event(Describe().event())
        return Info.from_event(await _answer(client, Info.is_type, "Info"))


async def _answer(client: AsyncTcpClient, wanted: Callable[[str], bool], what: str) -> Event:
    while (event := await client.read_event()) is not None:
        if wanted(event.type):
            return event
    raise ConnectionError(f"the server closed the connection before sending {what}")


async def _problems(host: str, port: int, timeout: float, program: str | None) -> str | None:
    """Why the server at host:port is unhealthy, or None; one connection, one deadline
    (connecting included: a wedged server may never accept)."""
    uri = f"tcp://{host}:{port}"
    waiting_for = "Info"
    try:
        async with asyncio.timeout(timeout), AsyncTcpClient(host, port) as client:
            await client.write_event(Describe().event())
            info = Info.from_event(await _answer(client, Info.is_type, "Info"))
            names = [tts.name for tts in info.tts]
            if not names:
                return f"{uri} answered without a text-to-speech program"
            if program and program not in names:
                return f"{uri} serves {', '.join(names)}, not {program}"
            waiting_for = "a health answer"
            await client.write_event(Event(type=HEALTH_EVENT))
            answer = await _answer(client, lambda kind: kind == HEALTH_EVENT, waiting_for)
    except TimeoutError:
        return f"no {waiting_for} from {uri} within {timeout} s"
    except OSError as err:
        return f"cannot reach {uri}: {err}"
    problems = problems_of(answer)
    if problems is None:
        return f"{uri} sent a malformed health answer"
    return f"{uri} cannot serve: {'; '.join(problems)}" if problems else None


def check(uri: str, timeout: float, program: str | None) -> str | None:
    """None when healthy, else why not."""
    address = tcp_address(uri)
    if address is None:
        return f"expected tcp://HOST:PORT, got {uri!r}"
    return asyncio.run(_problems(*address, timeout, program))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--uri", help=f"default: from ${URI_FILE_VARIABLE}, else {DEFAULT_URI}")
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--expect-program", default=PROGRAM_NAME)
    args = parser.parse_args(argv)
    uri = args.uri or served_uri()
    problem = check(uri, args.timeout, args.expect_program)
    if problem:
        sys.exit(f"unhealthy: {problem}")
    print(f"healthy: {uri}")


if __name__ == "__main__":
    main()
