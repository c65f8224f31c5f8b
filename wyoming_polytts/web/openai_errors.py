"""OpenAI's error object: what its clients read from a failed request to /v1/."""

from __future__ import annotations

from aiohttp import web

API_PREFIX = "/v1/"


def openai_error(
    status: int,
    message: str,
    *,
    param: str | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """`{"error": {"message", "type", "param", "code"}}` with the HTTP status."""
    kind = "invalid_request_error" if status < 500 else "server_error"
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return web.json_response(body, status=status, headers=headers)
