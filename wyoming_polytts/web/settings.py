"""The `web:` section: where the status page, metrics, voice preview and OpenAI speech API
listen (off by default), and who may use them."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from ..schema import ConfigError, number_as_text

DEFAULT_HOST = "127.0.0.1"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class WebSettings:
    listen: str | None = number_as_text()
    """HOST:PORT; a bare PORT or :PORT listens on 127.0.0.1 only; None turns the web side off."""
    clients: tuple[str, ...] = ()
    """Addresses or networks (192.168.1.0/24) that may connect; empty: any."""
    api_key: str | None = field(default=None, repr=False)
    """The bearer key every /v1/ (OpenAI API) request must carry; it then opens the API to
    any address. None: the API answers the `clients` only, as the page does."""

    def __post_init__(self) -> None:
        # Checked now, so that a typo stops start-up with the key's name
        if self.listen is not None:
            listen_address(self.listen)
        client_networks(self.clients)

    @property
    def networks(self) -> tuple[Network, ...]:
        return client_networks(self.clients)

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


def client_networks(clients: tuple[str, ...]) -> tuple[Network, ...]:
    """The networks of `web.clients`; raises ConfigError."""
    try:
        return tuple(ipaddress.ip_network(client, strict=False) for client in clients)
    except ValueError as err:
        raise ConfigError(f"config key 'web.clients': {err}") from err
