"""The web side's endpoints: page, status, voices, metrics, preview and OpenAI speech API on
one TtsService."""

from __future__ import annotations

import re
from pathlib import Path

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from ..reply.service import TtsService
from ..server.settings import ServerSettings
from .audio_response import NO_STORE
from .guard import API_KEY_DIGEST, CLIENTS, guard, key_digest, protect
from .metrics import metrics_registry
from .openai_api import OpenAiApi
from .preview import speak
from .settings import Network
from .status import status_json, voices_json

STATIC = Path(__file__).parent / "static"
SERVICE = web.AppKey("service", TtsService)
SERVER = web.AppKey("server", ServerSettings)
"""The Wyoming side's limits, which previews keep too."""
REGISTRY = web.AppKey("registry", CollectorRegistry)
PAGE = web.AppKey("page", str)
INGRESS_PATH = re.compile(r"/[A-Za-z0-9_./-]*")
"""What X-Ingress-Path may be (Home Assistant sends /api/hassio_ingress/<token>)."""


def build_app(
    service: TtsService,
    server: ServerSettings,
    clients: tuple[Network, ...] = (),
    api_key: str | None = None,
) -> web.Application:
    """`clients`: the networks that may connect (empty: any); `api_key`: what /v1/ requests
    must carry (None: none)."""
    app = web.Application(middlewares=[guard])
    app.on_response_prepare.append(protect)
    app[SERVICE] = service
    app[SERVER] = server
    app[CLIENTS] = clients
    app[API_KEY_DIGEST] = key_digest(api_key)
    app[REGISTRY] = metrics_registry(service)
    app[PAGE] = (STATIC / "index.html").read_text(encoding="utf-8")
    app.router.add_get("/", page)
    app.router.add_get("/api/status", status)
    app.router.add_get("/api/voices", voices)
    app.router.add_get("/api/speak", preview, allow_head=False)  # HEAD must not synthesize
    app.router.add_get("/metrics", metrics)
    app.router.add_static("/static/", STATIC)
    OpenAiApi(service, server).add_routes(app)
    return app


async def page(request: web.Request) -> web.Response:
    """The page; under Home Assistant's ingress its links resolve below the ingress path."""
    ingress = request.headers.get("X-Ingress-Path", "")
    base = f"{ingress.rstrip('/')}/" if INGRESS_PATH.fullmatch(ingress) else "./"
    return web.Response(
        text=request.app[PAGE].replace('<base href="./">', f'<base href="{base}">'),
        content_type="text/html",
        headers=NO_STORE,
    )


async def status(request: web.Request) -> web.Response:
    body = status_json(request.app[SERVICE].status(), request.app[SERVER].max_text_chars)
    return web.json_response(body, headers=NO_STORE)


async def voices(request: web.Request) -> web.Response:
    voices = request.app[SERVICE].voices
    body = voices_json(voices.listed_voices(), voices.profiles)
    return web.json_response(body, headers=NO_STORE)


async def preview(request: web.Request) -> web.StreamResponse:
    return await speak(request.app[SERVICE], request.app[SERVER], request)


async def metrics(request: web.Request) -> web.Response:
    body = generate_latest(request.app[REGISTRY])
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
