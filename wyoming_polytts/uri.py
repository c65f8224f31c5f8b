"""`tcp://HOST:PORT` and `unix://PATH` addresses, parsed in one place (server, health check,
remotes)."""

from __future__ import annotations

from pathlib import Path
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


def unix_path(uri: str) -> Path | None:
    """The socket path of a unix:// URI, or None when it is not one."""
    parsed = urlparse(uri)
    if parsed.scheme != "unix" or not parsed.path:
        return None
    return Path(parsed.path)
