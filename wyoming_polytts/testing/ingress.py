"""A stand-in for Home Assistant's ingress proxy, for the status page's tests.

Like Home Assistant, it serves an add-on's web UI below /api/hassio_ingress/<token>/,
passes the browser's headers on and adds X-Ingress-Path; it runs in a thread of its own,
so a test may drive a browser meanwhile.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import aiohttp
from aiohttp import web

TOKEN = "polytts-test-token"
PREFIX = f"/api/hassio_ingress/{TOKEN}"
DROPPED = ("Host", "Content-Length", "Transfer-Encoding", "Content-Encoding")
"""Headers that describe one hop, not the request."""

SESSION = web.AppKey("session", aiohttp.ClientSession)


@contextmanager
def ingress_proxy(target: str) -> Iterator[str]:
    """Proxy to `target` (http://host:port) on a free loopback port; yields the ingress URL."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="ingress-proxy", daemon=True)
    thread.start()
    runner, port = asyncio.run_coroutine_threadsafe(_start(target), loop).result(timeout=10)
    try:
        yield f"http://127.0.0.1:{port}{PREFIX}/"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


async def _start(target: str) -> tuple[web.AppRunner, int]:
    app = web.Application()

    async def forward(request: web.Request) -> web.Response:
        headers = {k: v for k, v in request.headers.items() if k not in DROPPED}
        headers["X-Ingress-Path"] = PREFIX
        url = f"{target}/{request.match_info['path']}"
        async with app[SESSION].get(url, headers=headers, params=request.query) as answer:
            body = await answer.read()
            kept = {k: v for k, v in answer.headers.items() if k not in DROPPED}
            return web.Response(body=body, status=answer.status, headers=kept)

    async def session(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession() as client:
            app[SESSION] = client
            yield

    app.cleanup_ctx.append(session)
    app.router.add_get(PREFIX + "/{path:.*}", forward)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, runner.addresses[0][1]
