"""Zeroconf discovery, tested inside a network namespace of its own (loopback only)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from wyoming_polytts.__main__ import advertised_host
from wyoming_polytts.launcher import free_port

BROWSER = """
import asyncio, json
from zeroconf import ServiceStateChange
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf
from wyoming_polytts.client import describe

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


@pytest.fixture(name="namespace")
def namespace_fixture() -> Iterator[str]:
    """A network namespace with only a multicast-capable loopback, made and removed here."""
    name = f"polytts-test-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        for command in (
            ["ip", "link", "set", "lo", "up"],
            ["ip", "link", "set", "lo", "multicast", "on"],
            ["ip", "route", "add", "224.0.0.0/4", "dev", "lo"],
        ):
            subprocess.run(["ip", "netns", "exec", name, *command], check=True)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=True)


def test_server_is_found_and_reached_through_zeroconf(namespace: str, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("kokoro:\n  enabled: false\n")  # discovery needs no model
    port = free_port()
    inside = ["ip", "netns", "exec", namespace, sys.executable]
    server = subprocess.Popen(
        [
            *inside,
            "-m",
            "wyoming_polytts",
            "--uri",
            f"tcp://127.0.0.1:{port}",
            "--config",
            str(config),
            "--zeroconf",
            "kitchen-box",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        time.sleep(0.5)
        browsed = subprocess.run(
            [*inside, "-c", BROWSER], capture_output=True, text=True, timeout=60
        )
        assert browsed.returncode == 0, browsed.stderr
        found = json.loads(browsed.stdout)
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert found == {
        "name": "kitchen-box._wyoming._tcp.local.",
        "address": "127.0.0.1",
        "port": port,
        "program": "polytts",
    }


def test_a_bound_address_is_advertised_as_it_is() -> None:
    assert advertised_host("192.0.2.7") == "192.0.2.7"
