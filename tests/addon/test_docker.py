"""The Docker images and compose file, checked against the real command line and the Compose
schema (no Docker engine here)."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.addon.dockerfile import exec_form, instructions, variables
from wyoming_polytts.__main__ import configure, parse_args
from wyoming_polytts.server.served_uri import URI_FILE_VARIABLE
from wyoming_polytts.testing.fake_engine import loaded_fake
from wyoming_polytts.testing.launcher import MODEL_FREE_CONFIG, free_port
from wyoming_polytts.testing.waiting import wait_for

REPO = Path(__file__).resolve().parents[2]
STANDALONE = [REPO / "Dockerfile", REPO / "Dockerfile.cuda"]
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
VOLUME = "polytts-data"


def relative(path: Path) -> str:
    return str(path.relative_to(REPO))


def image_env(dockerfile: Path) -> dict[str, str]:
    return {
        name: value
        for instruction in instructions(dockerfile)
        if instruction.name == "ENV"
        for name, value in variables(instruction.text).items()
    }


@pytest.mark.parametrize("dockerfile", STANDALONE, ids=relative)
def test_entrypoint_serves_all_interfaces_from_data(dockerfile: Path) -> None:
    python, module_flag, module, *args = exec_form(dockerfile, "ENTRYPOINT")
    assert (python, module_flag, module) == ("python", "-m", "wyoming_polytts")
    config = configure(parse_args(args))
    assert config.server.uri == "tcp://0.0.0.0:10200"
    # Published ports are the default: zeroconf from a bridge network would advertise the
    # container's own address, so it is an option for host networking (README)
    assert config.server.zeroconf is None
    assert config.models.data_dirs[0] == "/data"
    assert config.download_dir == Path("/data")
    assert "EXPOSE 10200" in [f"{i.name} {i.text}" for i in instructions(dockerfile)]


def test_a_baked_model_is_searched_outside_the_volume() -> None:
    """A bind mount over /data must not hide the model built into the image."""
    baked = re.search(r"--download-dir (\S+);", (REPO / "Dockerfile").read_text())
    assert baked is not None
    _, _, _, *args = exec_form(REPO / "Dockerfile", "ENTRYPOINT")
    assert baked.group(1) in configure(parse_args(args)).models.data_dirs


@pytest.mark.parametrize("dockerfile", STANDALONE, ids=relative)
def test_any_user_may_run_the_image(dockerfile: Path) -> None:
    """`docker run --user UID:GID` gives no passwd entry: HOME and USER come from the image."""
    env = image_env(dockerfile)
    assert env["HOME"] == "/home/polytts" and env["USER"] == "polytts"
    assert "chmod 1777 /home/polytts" in dockerfile.read_text()


@pytest.mark.parametrize("dockerfile", [*STANDALONE, REPO / "addon" / "Dockerfile"], ids=relative)
async def test_healthcheck_command_passes_against_a_running_server(serve, dockerfile: Path) -> None:
    python, *args = exec_form(dockerfile, "HEALTHCHECK")
    assert python in ("python", "python3")
    async with serve([loaded_fake()]) as server:
        # The image's own command, pointed at the test server (the last --uri wins)
        process = await asyncio.create_subprocess_exec(
            sys.executable, *args, "--uri", f"tcp://{server.host}:{server.port}"
        )
        assert await process.wait() == 0


@pytest.mark.parametrize("dockerfile", STANDALONE, ids=relative)
def test_healthcheck_follows_the_port_the_server_was_started_with(
    dockerfile: Path, tmp_path: Path
) -> None:
    """The entry command with another --uri after the image name, as `docker run IMAGE
    --uri ...` gives it; the image's health check (no --uri) finds that port."""
    _, *check = exec_form(dockerfile, "HEALTHCHECK")
    _, *entry = exec_form(dockerfile, "ENTRYPOINT")
    config = tmp_path / "config.yaml"
    config.write_text(MODEL_FREE_CONFIG)
    env = {**image_env(dockerfile), "PATH": "/usr/bin:/bin"}
    env[URI_FILE_VARIABLE] = str(tmp_path / "polytts.uri")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, *entry, "--uri", f"tcp://0.0.0.0:{port}", "--config", str(config)],
        env={**env, "HOME": str(tmp_path)},
        cwd=REPO,
    )
    try:
        healthy = f"healthy: tcp://127.0.0.1:{port}\n"

        def healthcheck() -> bool:
            result = subprocess.run(
                [sys.executable, *check], env=env, capture_output=True, text=True, cwd=REPO
            )
            return result.returncode == 0 and result.stdout == healthy

        asyncio.run(wait_for(healthcheck, timeout=60))
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert not (tmp_path / "polytts.uri").exists()  # removed when the server stops


def test_compose_file_matches_the_compose_schema() -> None:
    schema = json.loads((Path(__file__).parent / "schemas" / "compose_spec.json").read_text())
    # Its $schema names draft 2019-09 by an address jsonschema does not know
    jsonschema.Draft201909Validator(schema).validate(COMPOSE)


@pytest.mark.parametrize("service", sorted(COMPOSE["services"]))
def test_compose_services_publish_the_port_and_share_the_volume(service: str) -> None:
    settings = COMPOSE["services"][service]
    assert "network_mode" not in settings
    assert any(port.endswith(":10200:10200") for port in settings["ports"])
    assert f"{VOLUME}:/data" in settings["volumes"]


def test_one_volume_name_everywhere() -> None:
    """Compose would call it <project>_polytts-data unless named; the README's `docker run`
    and `hf download` commands use the same volume."""
    assert COMPOSE["volumes"][VOLUME]["name"] == VOLUME
    readme = (REPO / "README.md").read_text()
    mounted = set(re.findall(r"-v ([\w.-]+):/data\b", readme))
    assert mounted == {VOLUME}
