"""A real Home Assistant core as a subprocess on loopback, driven as a new user would.

It runs from the virtual environment `ha_core_install` made (past its check for Python
3.13.2: it runs on 3.13.0), with a temporary config
directory and `--skip-pip` (nothing is installed at run time). `onboard` creates the owner
through the onboarding API and an administrator's long-lived token over the websocket;
`add_wyoming` goes through the `wyoming` config flow; `call` sends websocket commands.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from .ha_core_install import python_path, run_python
from .launcher import free_port

CLIENT_NAME = "wyoming_polytts tests"
_CONFIGURATION = """\
homeassistant:
  name: Test home
  latitude: 52.37
  longitude: 4.89
  elevation: 0
  unit_system: metric
  currency: EUR
  country: NL
  time_zone: UTC
  language: en
http:
  server_host: 127.0.0.1
  server_port: {port}
config:
websocket_api:
assist_pipeline:
ffmpeg:
  ffmpeg_bin: {ffmpeg}
logger:
  default: warning
"""


_RUN = (
    "import sys, homeassistant.__main__ as hass; "
    "hass.validate_python = lambda: None; sys.exit(hass.main())"
)
"""`python -m homeassistant` on Python 3.13.0: it declares 3.13.2, and runs on 3.13.0."""


class CommandFailed(RuntimeError):
    """Home Assistant answered a websocket command with success: false."""


class HomeAssistantCore:
    """One Home Assistant core on 127.0.0.1 (start, stop, restart keep its config dir)."""

    def __init__(self, config_dir: Path) -> None:
        self.config_dir = config_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.websocket_url = f"ws://127.0.0.1:{self.port}/api/websocket"
        self.token = ""
        """The administrator's long-lived access token, once `onboard` made it."""
        self.log = config_dir / "home-assistant.log"
        self._process: asyncio.subprocess.Process | None = None

    def write_configuration(self) -> None:
        ffmpeg = run_python("import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())")
        text = _CONFIGURATION.format(port=self.port, ffmpeg=ffmpeg)
        (self.config_dir / "configuration.yaml").write_text(text)

    async def start(self, timeout: float = 180.0) -> None:
        """Start it and return once it runs (its core state `RUNNING`, or onboarding open)."""
        self._process = await asyncio.create_subprocess_exec(
            python_path(),
            *("-c", _RUN, "--skip-pip"),
            *("--config", str(self.config_dir), "--log-file", str(self.log)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        async with asyncio.timeout(timeout):
            while not await self._running():
                if self._process.returncode is not None:
                    raise RuntimeError(f"Home Assistant exited:\n{self.log_text()}")
                await asyncio.sleep(0.5)

    async def _running(self) -> bool:
        try:
            if not self.token:
                async with (
                    aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session,
                    session.get(f"{self.url}/api/onboarding") as response,
                ):
                    return response.status == 200
            state = (await self.call({"type": "get_config"}))["state"]
        except (aiohttp.ClientError, OSError, TimeoutError, CommandFailed):
            return False
        return bool(state == "RUNNING")

    async def stop(self, timeout: float = 60.0) -> None:
        """Stop it as a service manager would (SIGTERM), killing it only if it hangs."""
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), timeout)
        except TimeoutError:
            process.kill()
            await process.wait()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    async def onboard(self) -> None:
        """Create the owner (an administrator) and a long-lived token for them."""
        client_id = f"{self.url}/"
        async with aiohttp.ClientSession(raise_for_status=True) as session:
            user = {
                "name": "Owner",
                "username": "owner",
                "password": "owner-password-for-tests",
                "client_id": client_id,
                "language": "en",
            }
            response = await session.post(f"{self.url}/api/onboarding/users", json=user)
            code = (await response.json())["auth_code"]
            grant = {"grant_type": "authorization_code", "code": code, "client_id": client_id}
            response = await session.post(f"{self.url}/auth/token", data=grant)
            access = (await response.json())["access_token"]
        async with self.websocket(access) as call:
            self.token = await call(
                {
                    "type": "auth/long_lived_access_token",
                    "client_name": CLIENT_NAME,
                    "lifespan": 1,
                }
            )

    async def add_wyoming(self, host: str, port: int) -> dict[str, Any]:
        """Add a Wyoming service through the config flow, as Settings > Integrations does."""
        headers = {"Authorization": f"Bearer {self.token}"}
        flows = f"{self.url}/api/config/config_entries/flow"
        async with aiohttp.ClientSession(headers=headers, raise_for_status=True) as session:
            response = await session.post(flows, json={"handler": "wyoming"})
            flow = await response.json()
            response = await session.post(
                f"{flows}/{flow['flow_id']}", json={"host": host, "port": port}
            )
            result: dict[str, Any] = await response.json()
        if result.get("type") != "create_entry":
            raise RuntimeError(f"the wyoming config flow did not add {host}:{port}: {result}")
        return result

    async def call(self, command: dict[str, Any]) -> Any:
        """One websocket command with the administrator's token."""
        async with self.websocket(self.token) as call:
            return await call(command)

    @asynccontextmanager
    async def websocket(self, token: str) -> AsyncIterator[Any]:
        """An authenticated websocket; yields `call(command) -> result`."""
        ids = itertools.count(1)
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(self.websocket_url, max_msg_size=64 << 20) as socket,
        ):
            await socket.receive_json(timeout=30)  # auth_required
            await socket.send_json({"type": "auth", "access_token": token})
            answer = await socket.receive_json(timeout=30)
            if answer.get("type") != "auth_ok":
                raise CommandFailed(f"authentication: {answer.get('type')}")

            async def call(command: dict[str, Any]) -> Any:
                ident = next(ids)
                await socket.send_json({"id": ident, **command})
                while True:
                    message = await socket.receive_json(timeout=60)
                    if message.get("id") == ident and message.get("type") == "result":
                        break
                if not message.get("success"):
                    raise CommandFailed(f"{command['type']}: {message.get('error')}")
                return message.get("result")

            yield call
