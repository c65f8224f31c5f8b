"""The Docker images' commands, checked against the real command line (no Docker engine here)."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from pathlib import Path

import pytest

from wyoming_polytts.__main__ import configure, parse_args
from wyoming_polytts.testing.fake_engine import loaded_fake

REPO = Path(__file__).resolve().parents[2]
STANDALONE = [REPO / "Dockerfile", REPO / "Dockerfile.cuda"]


def relative(path: Path) -> str:
    return str(path.relative_to(REPO))


def instruction(dockerfile: Path, name: str) -> list[str]:
    """The exec-form (JSON) arguments of a Dockerfile instruction, e.g. ENTRYPOINT."""
    text = dockerfile.read_text().replace("\\\n", " ")
    found = re.search(rf"^{name}\b.*?(\[.*\])\s*$", text, re.MULTILINE)
    assert found, f"{dockerfile.name} has no exec-form {name}"
    return json.loads(found.group(1))


@pytest.mark.parametrize("dockerfile", STANDALONE, ids=relative)
def test_entrypoint_serves_all_interfaces_from_data_with_zeroconf(dockerfile: Path) -> None:
    python, module_flag, module, *args = instruction(dockerfile, "ENTRYPOINT")
    assert (python, module_flag, module) == ("python", "-m", "wyoming_polytts")
    config = configure(parse_args(args))
    assert config.server.uri == "tcp://0.0.0.0:10200"
    assert config.server.zeroconf == "polytts"
    assert config.models.data_dirs[0] == "/data"
    assert config.download_dir == Path("/data")
    assert "EXPOSE 10200\n" in dockerfile.read_text()


@pytest.mark.parametrize("dockerfile", [*STANDALONE, REPO / "addon" / "Dockerfile"], ids=relative)
async def test_healthcheck_command_passes_against_a_running_server(serve, dockerfile: Path) -> None:
    python, *args = instruction(dockerfile, "HEALTHCHECK")
    assert python in ("python", "python3")
    async with serve([loaded_fake()]) as server:
        # The image's own command, pointed at the test server (the last --uri wins)
        process = await asyncio.create_subprocess_exec(
            sys.executable, *args, "--uri", f"tcp://{server.host}:{server.port}"
        )
        assert await process.wait() == 0
