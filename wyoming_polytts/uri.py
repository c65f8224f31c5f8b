"""`tcp://HOST:PORT` addresses, parsed in one place (server, health check, remotes)."""

from __future__ import annotations

from urllib.parse import urlparse


def tcp_address(uri: str) -> tuple[str, int] | None:
    """(host, port) of a tcp:// URI, or None when it is not one."""
    try:
        parsed = urlparse(uri)
        port = parsed.port
    except ValueError:
        return None
    if parsed.scheme != "tcp" or not parsed.hostname or port is None:
        return None
    return parsed.hostname, port
