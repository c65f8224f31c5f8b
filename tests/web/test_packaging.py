"""The page's files ship in the package (the add-on and Docker images install the package)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STATIC = REPO / "wyoming_polytts" / "web" / "static"


def test_the_wheel_holds_every_static_file(tmp_path: Path) -> None:
    source = tmp_path / "source"
    shutil.copytree(
        REPO / "wyoming_polytts",
        source / "wyoming_polytts",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    subprocess.run(
        [*pip_wheel, "--quiet", "--wheel-dir", str(tmp_path / "wheel"), str(source)],
        check=True,
        timeout=300,
    )
    (wheel,) = (tmp_path / "wheel").glob("*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    wanted = {f"wyoming_polytts/web/static/{path.name}" for path in STATIC.iterdir()}
    assert {"wyoming_polytts/web/static/index.html"} <= wanted <= shipped
