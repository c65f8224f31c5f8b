"""Zeroconf discovery, tested inside a network namespace of its own (loopback only)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.privileges import needs_namespaces
from wyoming_polytts.server.zeroconf import advertised_host, is_loopback
from wyoming_polytts.testing.launcher import MODEL_FREE_CONFIG, free_port

BROWSER = """
import asyncio, json
from zeroconf import ServiceStateChange
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf
from wyoming_polytts.testing.client import describe

async def main():
    found = asyncio.Queue()
    zeroconf = AsyncZeroconf()
    def added(zeroconf, service_type, name, state_change):
        if state_change is ServiceStateChange.Added:
            found.put_nowait(name)
    browser = AsyncServiceBrowser(zeroconf.zeroconf, "_wyoming._tcp.local.", handlers=[added])
    name = await asyncio.wait_for(found.get(), 20)
    info = AsyncServiceInfo("_wyoming._tcp.local.", name)
    await info.async_request(zeroconf.zeroconf, 5000)
    address, port = info.parsed_addresses()[0], info.port
    served = await describe(address, port)
    print(json.dumps({"name": name, "address": address, "port": port,
                      "program": served.tts[0].name}))
    await browser.async_cancel()
    await zeroconf.async_close()

asyncio.run(main())
"""


@contextmanager
def loopback_namespace(source: str | None) -> Iterator[str]:
    """A network namespace of its own with only a multicast-capable loopback, made and
    removed here. `source`: the multicast route's source address, which is what address
    detection finds (None: a host with no address to advertise)."""
    name = f"polytts-test-{os.getpid()}"
    route = ["ip", "route", "add", "224.0.0.0/4", "dev", "lo"]
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        for command in (
            ["ip", "link", "set", "lo", "up"],
            ["ip", "link", "set", "lo", "multicast", "on"],
            route + (["src", source] if source else []),
        ):
            subprocess.run(["ip", "netns", "exec", name, *command], check=True)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=True)


def in_namespace(namespace: str) -> list[str]:
    return ["ip", "netns", "exec", namespace, sys.executable]


def start_server(namespace: str, uri: str, tmp_path: Path) -> subprocess.Popen[str]:
    config = tmp_path / "config.yaml"
    config.write_text(MODEL_FREE_CONFIG)  # discovery needs no model
    return subprocess.Popen(
        [
            *in_namespace(namespace),
            "-m",
            "wyoming_polytts",
            "--uri",
            uri,
            "--config",
            str(config),
            "--zeroconf",
            "kitchen-box",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


# Served on 0.0.0.0 the server must advertise the detected address, never 0.0.0.0
@needs_namespaces("net")
@pytest.mark.parametrize("bind", ["127.0.0.1", "0.0.0.0"])
def test_server_is_found_and_reached_through_zeroconf(bind: str, tmp_path: Path) -> None:
    port = free_port()
    with loopback_namespace(source="127.0.0.1") as namespace:
        server = start_server(namespace, f"tcp://{bind}:{port}", tmp_path)
        try:
            # No sleep: the browser waits up to 20 s for the announcement
            browsed = subprocess.run(
                [*in_namespace(namespace), "-c", BROWSER],
                capture_output=True,
                text=True,
                timeout=60,
            )
        finally:
            server.terminate()
            server_log, _ = server.communicate(timeout=10)
    assert browsed.returncode == 0, f"{browsed.stderr}\nserver:\n{server_log}"
    # The namespace has only a loopback address: on a real machine only it could connect
    assert "a loopback address: only this machine can reach it" in server_log
    assert json.loads(browsed.stdout) == {
        "name": "kitchen-box._wyoming._tcp.local.",
        "address": "127.0.0.1",
        "port": port,
        "program": "polytts",
    }


@needs_namespaces("net")
def test_server_with_no_address_to_advertise_stops(tmp_path: Path) -> None:
    with loopback_namespace(source=None) as namespace:
        server = start_server(namespace, f"tcp://0.0.0.0:{free_port()}", tmp_path)
        server_log, _ = server.communicate(timeout=60)
    assert server.returncode != 0
    assert "found no network address to advertise" in server_log


def test_a_bound_address_is_advertised_as_it_is() -> None:
    assert advertised_host("192.0.2.7") == "192.0.2.7"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        *[("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("localhost", True)],
        *[("192.168.1.20", False), ("gpu-box.local", False), ("fe80::1", False)],
    ],
)
def test_a_loopback_address_is_told_apart(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
