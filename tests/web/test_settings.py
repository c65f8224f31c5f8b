"""`web.listen` and `--web`: where the page listens, 127.0.0.1 unless a host is named."""

from __future__ import annotations

import re

import pytest

from wyoming_polytts.__main__ import configure, parse_args
from wyoming_polytts.schema import ConfigError
from wyoming_polytts.web.settings import WebSettings, listen_address


@pytest.mark.parametrize(
    ("listen", "address"),
    [
        ("10201", ("127.0.0.1", 10201)),
        (":10201", ("127.0.0.1", 10201)),
        ("0.0.0.0:8099", ("0.0.0.0", 8099)),
        ("homeassistant.local:80", ("homeassistant.local", 80)),
        ("[::1]:10201", ("::1", 10201)),
        ("[::]:10201", ("::", 10201)),
    ],
)
def test_listen_address(listen: str, address: tuple[str, int]) -> None:
    assert listen_address(listen) == address


@pytest.mark.parametrize(
    "listen", ["", "web", "localhost", ":0", "host:70000", "::1:80", "1.2.3.4:"]
)
def test_a_bad_listen_address_names_its_key(listen: str) -> None:
    with pytest.raises(ConfigError, match=re.escape("'web.listen'")):
        WebSettings(listen=listen)


def test_clients_are_addresses_or_networks() -> None:
    settings = WebSettings(clients=("172.30.32.2", "192.168.1.0/24", "::1"))
    assert [str(network) for network in settings.networks] == [
        "172.30.32.2/32",
        "192.168.1.0/24",
        "::1/128",
    ]
    with pytest.raises(ConfigError, match=re.escape("'web.clients'")):
        WebSettings(clients=("homeassistant",))


def test_the_web_side_is_off_unless_asked_for() -> None:
    assert configure(parse_args([])).web.address is None
    assert configure(parse_args(["--web", "10201"])).web.address == ("127.0.0.1", 10201)
    with pytest.raises(ConfigError, match=re.escape("web.listen")):
        configure(parse_args(["--web", "somewhere"]))
