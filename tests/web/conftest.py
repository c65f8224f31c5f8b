"""Fixtures: the web application on an in-process service, next to its Wyoming server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from aiohttp.test_utils import TestClient, TestServer

from wyoming_polytts.config import Config
from wyoming_polytts.engines.base import Engine
from wyoming_polytts.testing.in_process import RunningServer, running_server
from wyoming_polytts.web.endpoints import build_app


@dataclass
class WebAndWyoming:
    wyoming: RunningServer
    web: TestClient


@asynccontextmanager
async def web_and_wyoming(
    engines: Sequence[Engine], config: Config | None = None
) -> AsyncIterator[WebAndWyoming]:
    async with (
        running_server(engines, config) as server,
        TestClient(TestServer(build_app(server.service, (config or Config()).server))) as client,
    ):
        yield WebAndWyoming(server, client)


@pytest.fixture(name="serve_web")
def serve_web_fixture() -> Callable[..., object]:
    return web_and_wyoming
