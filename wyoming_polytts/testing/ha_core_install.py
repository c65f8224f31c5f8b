"""A real Home Assistant core for the end-to-end tests, in its own cached virtual environment.

Home Assistant needs a newer Python than this project (3.13; it declares 3.13.2 or newer,
and `--ignore-requires-python` installs the pinned version on 3.13.0, which runs it). It is
installed from the package index with the requirements of the integrations the tests load
(read from their manifests, pinned by Home Assistant's own constraints), so it never installs
anything at run time. The install is kept per version outside the checkout and redone only
when the pinned version (`VERSION`, or `$HOME_ASSISTANT_VERSION` to try another) changes.

    python -m wyoming_polytts.testing.ha_core_install      # install if missing, print its path
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

VERSION = "2026.2.3"
"""The Home Assistant core the tests run: the newest that runs on the machines' Python 3.13.0."""
INTEGRATIONS = ("onboarding", "config", "websocket_api", "assist_pipeline", "wyoming", "ffmpeg")
"""What the tests load besides what Home Assistant always loads (its bootstrap's default and
core integrations); the requirements of all of them and their dependencies are installed."""
EXTRAS = ("imageio-ffmpeg==0.8.1",)
"""An ffmpeg binary from a package, for Home Assistant's audio conversion (no system ffmpeg)."""
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "wyoming-polytts-tests"

_REQUIREMENTS = """
import json, sys
from pathlib import Path
import homeassistant.components as components
from homeassistant import bootstrap
root = Path(components.__file__).parent
always = bootstrap.DEFAULT_INTEGRATIONS | bootstrap.CORE_INTEGRATIONS
always |= bootstrap.LOGGING_AND_HTTP_DEPS_INTEGRATIONS
seen, todo, wanted = set(), [*sys.argv[1:], *always], set()
while todo:
    domain = todo.pop()
    if domain in seen or not (root / domain / "manifest.json").exists():
        continue
    seen.add(domain)
    manifest = json.loads((root / domain / "manifest.json").read_text())
    wanted.update(manifest.get("requirements", ()))
    todo += manifest.get("dependencies", []) + manifest.get("after_dependencies", [])
print("\\n".join(sorted(wanted)))
"""


def version() -> str:
    return os.environ.get("HOME_ASSISTANT_VERSION") or VERSION


def venv_dir(wanted: str | None = None) -> Path:
    return CACHE / f"home-assistant-{wanted or version()}"


def python_path(wanted: str | None = None) -> Path:
    """Home Assistant's interpreter, once installed."""
    return venv_dir(wanted) / "bin" / "python"


def _stamp(wanted: str) -> str:
    """What an install holds: redone when any of it changes."""
    return " ".join((wanted, *INTEGRATIONS, *EXTRAS))


def run_python(code: str, *args: str, wanted: str | None = None) -> str:
    """What `code` prints, run by Home Assistant's interpreter."""
    command = [str(python_path(wanted)), "-c", code, *args]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()


def installed(wanted: str | None = None) -> bool:
    stamp = venv_dir(wanted) / ".installed"
    return stamp.exists() and stamp.read_text().strip() == _stamp(wanted or version())


def find_python313() -> str:
    """$HOME_ASSISTANT_PYTHON, else pyenv's 3.13, else python3.13 on the PATH (one that runs:
    pyenv's shim is on the PATH even where 3.13 is not the selected version)."""
    pyenv = sorted(glob.glob(str(Path.home() / ".pyenv/versions/3.13*/bin/python3.13")))
    candidates = [os.environ.get("HOME_ASSISTANT_PYTHON"), *pyenv, shutil.which("python3.13")]
    for candidate in candidates:
        if candidate and subprocess.run([candidate, "-c", ""], check=False).returncode == 0:
            return candidate
    raise SystemExit("Home Assistant needs Python 3.13: set HOME_ASSISTANT_PYTHON")


def install(wanted: str | None = None) -> Path:
    """Install Home Assistant `wanted` (default: the pinned one) unless it is there already."""
    wanted = wanted or version()
    target = venv_dir(wanted)
    if installed(wanted):
        return target
    python = str(target / "bin" / "python")
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    core = target / ".homeassistant"
    if not (core.exists() and core.read_text().strip() == wanted):
        shutil.rmtree(target, ignore_errors=True)
        print(f"Installing Home Assistant {wanted} into {target}", file=sys.stderr)
        subprocess.run([find_python313(), "-m", "venv", str(target)], check=True)
        subprocess.run([*pip, "--ignore-requires-python", f"homeassistant=={wanted}"], check=True)
        core.write_text(wanted)
    print(f"Installing the requirements of Home Assistant {wanted}'s integrations", file=sys.stderr)
    needs = run_python(_REQUIREMENTS, *INTEGRATIONS, wanted=wanted).split()
    constraints = run_python(
        "import homeassistant, pathlib; "
        "print(pathlib.Path(homeassistant.__file__).parent / 'package_constraints.txt')",
        wanted=wanted,
    )
    subprocess.run(
        [*pip, "--ignore-requires-python", "-c", constraints, *needs, *EXTRAS], check=True
    )
    (target / ".installed").write_text(_stamp(wanted))
    return target


if __name__ == "__main__":
    print(install(sys.argv[1] if len(sys.argv) > 1 else None))
