"""The `web:` section: where the status page, metrics and voice preview listen (off by default)."""

from __future__ import annotations

from dataclasses import dataclass

from ..schema import ConfigError

DEFAULT_HOST = "127.0.0.1"


@dataclass(frozen=True)
class WebSettings:
    listen: str | None = None
    """HOST:PORT; a bare PORT or :PORT listens on 127.0.0.1 only; None turns the web side off."""

    def __post_init__(self) -> None:
        if self.listen is not None:
            listen_address(self.listen)

    @property
    def address(self) -> tuple[str, int] | None:
        return listen_address(self.listen) if self.listen is not None else None


def listen_address(listen: str) -> tuple[str, int]:
    """(host, port) of HOST:PORT, [IPv6]:PORT, :PORT or PORT; raises ConfigError."""
    host, colon, port = listen.rpartition(":")
    if not colon:
        host, port = "", listen
    bracketed = host.startswith("[") and host.endswith("]")
    if bracketed:
        host = host[1:-1]
    # An IPv6 address needs its brackets: [::1]:8080
    if (":" in host and not bracketed) or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ConfigError(
            f"config key 'web.listen': expected HOST:PORT, :PORT or PORT (1-65535), got {listen!r}"
        )
    return host or DEFAULT_HOST, int(port)
