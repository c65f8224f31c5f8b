"""What every response passes through: refuse other sites' requests (and clients not in
`web.clients`), check the OpenAI API's key, set protective headers.

Browsers say where a request comes from (Sec-Fetch-Site; Origin in older ones). Another
site may link to the page, but may not read the API, frame the page, play previews or
start one. Clients that are no browser (curl, Prometheus) send neither header.

With `web.api_key` set, every /v1/ request must carry it (`Authorization: Bearer KEY`) and
the key, not `web.clients`, says who may use the API; without one, the API answers where
the page does.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

from .openai_errors import API_PREFIX, openai_error
from .settings import Network

_LOGGER = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
CLIENTS = web.AppKey("clients", tuple[Network, ...])
"""The networks that may connect; empty: any."""
API_KEY_DIGEST = web.AppKey("api_key_digest", bytes)
"""The sha256 of `web.api_key`; empty: no key."""

OWN_SITE = frozenset({"same-origin", "none"})
"""Sec-Fetch-Site values of the page's own requests and of what the user typed or bookmarked."""
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; media-src 'self' blob:; img-src 'self' data:; "
        "frame-ancestors 'self'; base-uri 'self'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}
ERROR_STATUS = {
    "protocol": 400,
    "unknown-voice": 400,
    "bad-voice": 400,
    "text-too-long": 400,
    "forbidden": 403,
    "busy": 503,
    "unavailable": 503,
    "engine-unavailable": 503,
    "timeout": 504,
}
"""HTTP status of each error code (the codes of Wyoming error events); others are 500."""


def error_response(code: str, message: str) -> web.Response:
    """An error as JSON, with the code a Wyoming error event would carry."""
    status = ERROR_STATUS.get(code, 500)
    headers = {"Retry-After": "1"} if code == "busy" else None
    return web.json_response({"code": code, "message": message}, status=status, headers=headers)


def from_elsewhere(request: web.Request) -> bool:
    """Whether the browser says another site (or origin) sent this request."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site not in OWN_SITE
    origin = request.headers.get("Origin")
    hosts = (request.host, request.headers.get("X-Forwarded-Host"))  # the latter behind a proxy
    return origin is not None and urlsplit(origin).netloc not in hosts


def opens_the_page(request: web.Request) -> bool:
    """A top-level navigation to the page: what a link from another site may do."""
    return (
        request.path == "/"
        and request.headers.get("Sec-Fetch-Mode") == "navigate"
        and request.headers.get("Sec-Fetch-Dest") == "document"
    )


def client_allowed(request: web.Request) -> bool:
    networks = request.app[CLIENTS]
    if not networks:
        return True
    try:
        client = ipaddress.ip_address(request.remote or "")
    except ValueError:  # a Unix socket, say
        return False
    return any(client in network for network in networks)


def key_digest(api_key: str | None) -> bytes:
    return hashlib.sha256(api_key.encode()).digest() if api_key else b""


def key_matches(request: web.Request) -> bool:
    """Whether the request carries the API key; as long whatever it carries (digests of
    equal length, compared in constant time)."""
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    digest = hashlib.sha256(given.strip().encode()).digest()
    return scheme.lower() == "bearer" and hmac.compare_digest(digest, request.app[API_KEY_DIGEST])


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    api = request.path.startswith(API_PREFIX)
    refuse = _openai_forbidden if api else error_response
    if api and request.app[API_KEY_DIGEST]:
        if not key_matches(request):
            _LOGGER.warning("Refused an API request without the key from %s", request.remote)
            return openai_error(401, "a valid API key is required", code="invalid_api_key")
    elif not client_allowed(request):
        _LOGGER.warning("Refused a request from %s (see web.clients)", request.remote)
        return refuse("forbidden", "this address may not use the page")
    if from_elsewhere(request) and not opens_the_page(request):
        _LOGGER.warning("Refused a %s request from another site: %s", request.method, request.path)
        return refuse("forbidden", "requests from other sites are refused")
    return await handler(request)


def _openai_forbidden(code: str, message: str) -> web.Response:
    return openai_error(403, message, code=code)


async def protect(request: web.Request, response: web.StreamResponse) -> None:
    """Protective headers on every response, streamed, static or error, as it is sent."""
    response.headers.update(SECURITY_HEADERS)
