"""The add-on image's install step, run without Docker: addon/Dockerfile's own commands, with
its pins, in a fresh virtual environment made by the system's Debian python3 (the python3 the
add-on's Debian bookworm base installs), against this checkout as the release tag's source
archive holds it; then the installed add-on is started by its s6 `run` script, passes the
image's health check and speaks.

What stays unproven without a Docker engine: the base image itself (its apt step, s6-overlay,
bashio), and the image the release workflow pushes (README, "Install as a Home Assistant
add-on").
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.addon.dockerfile import exec_form, expand, instructions, variables
from tests.privileges import needs_namespaces
from wyoming_polytts import __version__
from wyoming_polytts.testing.models import link_fetched_kokoro

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
ADDON = REPO / "addon"
DOCKERFILE = ADDON / "Dockerfile"
RUN_SCRIPT = ADDON / "rootfs" / "etc" / "s6-overlay" / "s6-rc.d" / "polytts" / "run"
SYSTEM_PYTHON = Path("/usr/bin/python3")
REPOSITORY = "https://github.com/wyoming-polytts/wyoming_polytts"
SDIST_ONLY = {"docopt"}
"""Pinned packages published as source only (pure Python: they build on any architecture)."""


@dataclass(frozen=True)
class InstallStep:
    values: dict[str, str]
    """ARG defaults and ENV values as the install RUN sees them."""
    copies: list[tuple[str, str]]
    """(source in the build context, destination) of the COPYs before it."""
    run: str


def install_step(overrides: dict[str, str]) -> InstallStep:
    """The Dockerfile up to its RUN that installs with pip, with `overrides` for variables."""
    values: dict[str, str] = {}
    copies = []
    for instruction in instructions(DOCKERFILE):
        if instruction.name in ("ARG", "ENV"):
            for name, value in variables(instruction.text).items():
                values[name] = overrides.get(name, expand(value, values))
        elif instruction.name == "COPY":
            source, destination = instruction.text.split()
            copies.append((source, expand(destination, values)))
        elif instruction.name == "RUN" and "pip" in instruction.text:
            return InstallStep(values, copies, instruction.text)
    raise AssertionError("addon/Dockerfile has no pip install step")


def source_archive(directory: Path) -> Path:
    """This checkout (with uncommitted changes to tracked files) as `git archive`, which is
    how GitHub makes a tag's source archive."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs git and a git checkout to build the source archive")
    git = ["git", "-C", str(REPO)]
    stash = subprocess.run([*git, "stash", "create"], capture_output=True, text=True, check=True)
    tree = stash.stdout.strip() or "HEAD"
    archive = directory / f"v{__version__}.tar.gz"
    prefix = f"--prefix=wyoming_polytts-{__version__}/"
    subprocess.run([*git, "archive", "--format=tar.gz", prefix, "-o", archive, tree], check=True)
    return archive


def system_python() -> Path:
    found = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import sys, venv; sys.exit(sys.version_info < (3, 11))"],
        capture_output=True,
    )
    if not SYSTEM_PYTHON.exists() or found.returncode != 0:
        pytest.skip("needs the system's python3 (3.11+, with venv), as the add-on's base has")
    return SYSTEM_PYTHON


def pinned() -> list[str]:
    lines = (ADDON / "requirements.txt").read_text().splitlines()
    return [line for line in lines if line and not line.startswith("#")]


def test_the_add_on_installs_the_release_tags_source_archive() -> None:
    step = install_step({})
    tag = f"{REPOSITORY}/archive/refs/tags/v{__version__}.tar.gz"
    assert step.values["POLYTTS_SOURCE"] == tag
    assert "--constraint" in step.run and "${POLYTTS_SOURCE}" in step.run
    assert all(line.count("==") == 1 for line in pinned())


@pytest.fixture(name="installed", scope="module")
def installed_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The add-on's virtual environment, made by the Dockerfile's install step."""
    python = system_python()
    work = tmp_path_factory.mktemp("addon-install")
    venv = work / "opt-polytts"
    step = install_step(
        {"VIRTUAL_ENV": str(venv), "POLYTTS_SOURCE": f"file://{source_archive(work)}"}
    )
    for source, destination in step.copies:
        Path(destination).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ADDON / source, destination)
    environ = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    path = f"{python.parent}:/usr/bin:/bin"
    subprocess.run(
        ["bash", "-o", "pipefail", "-c", step.run],
        env={**environ, **step.values, "PATH": path, "HOME": str(work)},
        cwd=work,
        check=True,
        timeout=600,
    )
    return venv


def test_the_pins_are_all_it_installs(installed: Path) -> None:
    freeze = subprocess.run(
        [installed / "bin" / "pip", "freeze", "--exclude", "wyoming_polytts"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert sorted(freeze.stdout.lower().split()) == sorted(line.lower() for line in pinned())


SERVE_IN_NAMESPACE = r"""
set -euo pipefail
ip link set lo up
bash "$RUN_SCRIPT" > "$SERVER_LOG" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 600); do
    if "$@" > /dev/null 2>&1; then break; fi
    kill -0 "$server"
    sleep 0.2
done
"$@"
python3 "$CLIENT"
"""

CLIENT = """
import asyncio, json
import wyoming_polytts
from wyoming_polytts.testing.client import describe, synthesize_reply

async def main():
    info = await describe("127.0.0.1", 10200)
    reply = await synthesize_reply("127.0.0.1", 10200, "The kitchen light is on.")
    print(json.dumps({
        "module": wyoming_polytts.__file__,
        "program": info.tts[0].name,
        "version": info.tts[0].version,
        "voices": [voice.name for voice in info.tts[0].voices],
        "error": reply.error.text if reply.error else None,
        "rate": reply.rate,
        "seconds": len(reply.audio) / 2 / 24000,
    }))

asyncio.run(main())
"""


@needs_namespaces("net")
def test_the_installed_add_on_starts_passes_its_health_check_and_speaks(
    installed: Path, tmp_path: Path
) -> None:
    """In a network namespace of its own, so that the add-on's fixed port 10200 is free."""
    share = tmp_path / "share"  # the user's /share/polytts, read-only: the model is found there
    link_fetched_kokoro(share)
    data = tmp_path / "data"
    data.mkdir()
    options = yaml.safe_load((ADDON / "config.yaml").read_text())["options"]
    (data / "options.json").write_text(json.dumps(options))
    (tmp_path / "client.py").write_text(CLIENT)
    environ = {
        "PATH": f"{installed / 'bin'}:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": str(tmp_path),
        "RUN_SCRIPT": str(RUN_SCRIPT),
        "SERVER_LOG": str(tmp_path / "server.log"),
        "CLIENT": str(tmp_path / "client.py"),
        "POLYTTS_OPTIONS": str(data / "options.json"),
        "POLYTTS_DATA": str(data),
        "POLYTTS_SHARE": str(share),
    }
    healthcheck = exec_form(DOCKERFILE, "HEALTHCHECK")
    result = subprocess.run(
        ["unshare", "--net", "bash", "-c", SERVE_IN_NAMESPACE, "serve", *healthcheck],
        env=environ,
        cwd=tmp_path,  # not the checkout: the installed package must be the one that runs
        capture_output=True,
        text=True,
        timeout=300,
    )
    log = (tmp_path / "server.log").read_text() if (tmp_path / "server.log").exists() else ""
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}\nserver:\n{log}"
    served = json.loads(result.stdout.splitlines()[-1])
    assert served["module"].startswith(str(installed))
    assert (served["program"], served["version"]) == ("polytts", __version__)
    assert "af_heart" in served["voices"]
    assert (served["error"], served["rate"]) == (None, 24000)
    assert 0.8 < served["seconds"] < 5.0
    assert not list(data.glob("*.onnx"))  # the model came from the share, not a download


GLIBC_MINOR = 36
"""Debian bookworm's glibc is 2.36: wheels for manylinux 2.17 to 2.36 install there."""


OTHER_MACHINES = [machine for machine in ("x86_64", "aarch64") if machine != platform.machine()]
"""The add-on's architectures other than this machine's, whose install the fixture proves."""


@pytest.mark.parametrize("machine", OTHER_MACHINES)
def test_every_pin_has_a_wheel_for_the_other_architectures(machine: str, tmp_path: Path) -> None:
    """What pip in the other architecture's image will find, for Debian bookworm's Python."""
    version = subprocess.run(
        [system_python(), "-c", "import sys; print(f'{sys.version_info[0]}{sys.version_info[1]}')"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
    command += ["--only-binary=:all:", f"--no-binary={','.join(SDIST_ONLY)}"]
    for minor in range(17, GLIBC_MINOR + 1):
        command += ["--platform", f"manylinux_2_{minor}_{machine}"]
    command += ["--platform", f"manylinux2014_{machine}", "--python-version", version]
    command += ["--implementation", "cp", "--abi", f"cp{version}", "--dest", str(tmp_path)]
    result = subprocess.run(
        [*command, "--requirement", str(ADDON / "requirements.txt")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    downloaded = {path.name.split("-")[0].lower().replace("_", "-") for path in tmp_path.iterdir()}
    assert downloaded == {line.split("==")[0].lower().replace("_", "-") for line in pinned()}
