"""Advertise the server as `_wyoming._tcp.local.` so Home Assistant lists it under Discovered."""

from __future__ import annotations

import ipaddress
import logging
import socket

from wyoming.zeroconf import HomeAssistantZeroconf

from ..schema import ConfigError
from ..uri import tcp_address

_LOGGER = logging.getLogger(__name__)
_ANY_ADDRESS = ("0.0.0.0", "::", "")


async def advertise(uri: str, name: str) -> None:
    address = tcp_address(uri)
    if address is None:
        raise ConfigError(f"server.zeroconf: needs a tcp:// URI with a port, got {uri!r}")
    bind_host, port = address
    host = advertised_host(bind_host)
    if is_loopback(host):
        _LOGGER.warning(
            "Advertising %s, a loopback address: only this machine can reach it; serve on the "
            "network address (--uri tcp://0.0.0.0:%s) for Home Assistant elsewhere",
            host,
            port,
        )
    zeroconf = HomeAssistantZeroconf(port=port, name=name, host=host)
    await zeroconf.register_server()
    _LOGGER.info("Advertised %s on zeroconf at %s:%s", name, zeroconf.host, port)


def is_loopback(host: str) -> bool:
    """127.x, ::1 or localhost (no lookup: a name is not resolved on the event loop)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host.lower() == "localhost"


def advertised_host(bind_host: str | None) -> str:
    """The address Home Assistant should connect to: the bound one, or the LAN address."""
    if bind_host and bind_host not in _ANY_ADDRESS:
        return bind_host
    # The address the system would send multicast from (no packet is sent)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("224.0.0.251", 5353))
            detected = str(probe.getsockname()[0])
        except OSError:
            detected = "0.0.0.0"
    if detected in _ANY_ADDRESS:
        raise ConfigError(
            "server.zeroconf: found no network address to advertise; "
            "serve on a specific address with --uri tcp://ADDRESS:PORT"
        )
    return detected
