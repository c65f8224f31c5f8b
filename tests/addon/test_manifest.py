"""The Home Assistant add-on: manifest validity, linters, and its scripts run with a stub bashio."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import jsonschema
import pytest
import yaml

from tests.addon.dockerfile import exec_form
from tests.addon.supervisor_options import validate
from tests.privileges import needs_namespaces
from wyoming_polytts import __version__
from wyoming_polytts.addon import INGRESS_PORT

REPO = Path(__file__).resolve().parents[2]
ADDON = REPO / "addon"
SCHEMAS = Path(__file__).parent / "schemas"
SERVICES = ADDON / "rootfs" / "etc" / "s6-overlay" / "s6-rc.d"
DEPRECATED_ARCHES = {"armhf", "armv7", "i386"}
BIN = Path(sys.executable).parent
"""The test tools installed next to this interpreter (the dev extra)."""


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("manifest", "schema"), [("config", "config"), ("build", "build")])
def test_manifest_matches_the_supervisor_schema(manifest: str, schema: str) -> None:
    schema_file = SCHEMAS / f"{schema}.schema.json"
    jsonschema.validate(load(ADDON / f"{manifest}.yaml"), json.loads(schema_file.read_text()))


@pytest.mark.parametrize("manifest", ["config", "build"])
def test_manifest_sets_no_key_to_its_default(manifest: str) -> None:
    """The add-on linter rejects keys that only repeat the Supervisor's default."""
    properties = json.loads((SCHEMAS / f"{manifest}.schema.json").read_text())["properties"]
    at_default = [
        key
        for key, value in load(ADDON / f"{manifest}.yaml").items()
        if properties[key].get("default", object()) == value
    ]
    assert at_default == []


def test_manifest_follows_the_add_on_linter_rules() -> None:
    config = load(ADDON / "config.yaml")
    assert not DEPRECATED_ARCHES & set(config["arch"])
    assert config["discovery"] == ["wyoming"]
    assert config["ports"] == {"10200/tcp": None, f"{INGRESS_PORT}/tcp": None}


def test_the_image_health_check_watches_the_add_on_not_a_watchdog() -> None:
    """The linter rejects `watchdog` beside a HEALTHCHECK (the Supervisor follows the image's
    own health check); without one the add-on would have nothing watching it."""
    healthcheck = exec_form(ADDON / "Dockerfile", "HEALTHCHECK")
    assert healthcheck[:3] == ["python3", "-m", "wyoming_polytts.server.healthcheck"]
    assert "tcp://127.0.0.1:10200" in healthcheck
    assert "watchdog" not in load(ADDON / "config.yaml")


def test_the_page_is_a_sidebar_panel_through_ingress_without_a_host_port() -> None:
    config = load(ADDON / "config.yaml")
    assert config["ingress"] is True
    assert config["ingress_port"] == INGRESS_PORT
    # Mapped only by the user, for the OpenAI API (the page answers the ingress proxy only)
    assert config["ports"][f"{INGRESS_PORT}/tcp"] is None
    assert config["panel_title"] == "PolyTTS"
    assert config["panel_icon"].startswith("mdi:")


def test_dockerfile_default_base_is_the_amd64_build_image() -> None:
    """Supervisor 2026.04 injects BUILD_FROM only with build.yaml: the default must match it."""
    base = load(ADDON / "build.yaml")["build_from"]["amd64"]
    assert f"ARG BUILD_FROM={base}\n" in (ADDON / "Dockerfile").read_text()


def test_options_schema_and_translations_agree() -> None:
    """The defaults pass the Supervisor's check; only optional options go without one."""
    config = load(ADDON / "config.yaml")
    validate(config["schema"], config["options"])
    assert set(config["options"]) <= set(config["schema"])
    translated = load(ADDON / "translations" / "en.yaml")["configuration"]
    assert set(translated) == set(config["schema"])


def bump_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bump_version", REPO / "scripts/bump_version.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


BUMP = bump_script()


def test_version_is_the_same_everywhere() -> None:
    """Every place scripts/bump-version writes, the add-on's manifest and changelog included."""
    assert BUMP.versions() == {place.path: __version__ for place in BUMP.PLACES}
    assert load(ADDON / "config.yaml")["version"] == __version__


def test_bump_version_changes_every_place_and_opens_the_changelog(tmp_path: Path) -> None:
    for place in BUMP.PLACES:
        (tmp_path / place.path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / place.path, tmp_path / place.path)
    BUMP.bump("9.8.7", ["Voices can be blended", "Faster first audio"], root=tmp_path)
    assert set(BUMP.versions(tmp_path).values()) == {"9.8.7"}
    changelog = (tmp_path / "addon" / "CHANGELOG.md").read_text()
    assert changelog.startswith(
        f"# Changelog\n\n## 9.8.7\n\n- Voices can be blended\n- Faster first audio\n\n## {__version__}\n"
    )
    assert load(tmp_path / "addon" / "config.yaml") == {
        **load(ADDON / "config.yaml"),
        "version": "9.8.7",
    }


@pytest.mark.parametrize(
    ("version", "changes", "problem"),
    [
        ("9.8", ["x"], "not a version"),
        (__version__, ["x"], "already stated"),
        ("9.8.7", [], "say what changed"),
    ],
)
def test_bump_version_refuses_mistakes(version: str, changes: list[str], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        BUMP.bump(version, changes)


def test_add_on_folder_has_what_the_store_shows() -> None:
    for name in ("DOCS.md", "README.md", "CHANGELOG.md", "icon.png", "logo.png", "build.yaml"):
        assert (ADDON / name).is_file(), name
    assert (ADDON / "icon.png").read_bytes()[16:24] == (128).to_bytes(4, "big") * 2
    repository = load(REPO / "repository.yaml")
    assert {"name", "url", "maintainer"} <= set(repository)
    for service, kind in (("polytts", "longrun"), ("discovery", "oneshot")):
        assert (SERVICES / service / "type").read_text().strip() == kind
        assert (SERVICES / "user" / "contents.d" / service).exists()
    assert (SERVICES / "discovery" / "dependencies.d" / "polytts").exists()


def shell_scripts() -> list[Path]:
    """Every shell script in the repository, found by its first line."""
    found = []
    for path in REPO.rglob("*"):
        relative = path.relative_to(REPO).parts
        if not path.is_file() or relative[0].startswith(".venv") or ".git" in relative:
            continue
        with path.open("rb") as file:
            first = file.readline()
        if first.startswith(b"#!") and re.search(rb"\b(bash|sh|bashio)\b", first):
            found.append(path)
    return found


def test_shell_scripts_pass_shellcheck() -> None:
    scripts = shell_scripts()
    assert {"setup", "run", "test", "lint", "bench"} <= {path.name for path in scripts}
    assert len([p for p in scripts if SERVICES in p.parents]) == 3
    result = subprocess.run(
        [str(BIN / "shellcheck"), "--shell=bash", *map(str, scripts)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout


def test_dockerfiles_pass_hadolint() -> None:
    dockerfiles = [REPO / "Dockerfile", REPO / "Dockerfile.cuda", ADDON / "Dockerfile"]
    result = subprocess.run(
        [str(BIN / "hadolint"), *map(str, dockerfiles)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


def test_yaml_passes_yamllint() -> None:
    result = subprocess.run(
        [str(BIN / "yamllint"), "--strict", "."], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


STUB_BASHIO = r"""
record() { printf '%s\n' "$*" >> "$RECORD"; }
bashio::config() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$OPTIONS" "$1"; }
bashio::log.info() { record "log.info $*"; }
bashio::log.warning() { record "log.warning $*"; }
bashio::log.error() { record "log.error $*"; }
bashio::net.wait_for() { record "wait_for $*"; }
bashio::var.json() { python3 -c 'import json,sys; a=sys.argv[1:]; print(json.dumps(dict(zip(a[::2], a[1::2]))))' "$@"; }
bashio::discovery() { record "discovery $1 $2"; }
"""


def run_service_script(
    tmp_path: Path, script: Path, options: dict, *args: str, wrapper: tuple[str, ...] = ()
) -> list[str]:
    """Run an s6 script under bash (inside `wrapper`) with stub bashio functions, hostname
    and server command; return what the stubs recorded."""
    stubs = tmp_path / "bin"
    stubs.mkdir()
    (stubs / "hostname").write_text("#!/bin/sh\necho local-polytts\n")
    server = stubs / "python3-server"
    server.write_text('#!/bin/sh\nprintf "python3 %s\\n" "$*" >> "$RECORD"\n')
    # The run script execs python3; bashio::config needs the real one
    real_python = subprocess.run(["sh", "-c", "command -v python3"], capture_output=True, text=True)
    (stubs / "python3").write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = "-m" ]; then exec {server} "$@"; fi\n'
        f'exec {real_python.stdout.strip()} "$@"\n'
    )
    for stub in stubs.iterdir():
        stub.chmod(0o755)
    (tmp_path / "library.sh").write_text(STUB_BASHIO)
    (tmp_path / "options.json").write_text(json.dumps(options))
    record = tmp_path / "record.txt"
    record.touch()
    env = {
        "PATH": f"{stubs}:{os.environ['PATH']}",
        "BASH_ENV": str(tmp_path / "library.sh"),
        "OPTIONS": str(tmp_path / "options.json"),
        "RECORD": str(record),
        "POLYTTS_DATA": str(tmp_path / "data"),
        "POLYTTS_SHARE": str(tmp_path / "share"),
        "POLYTTS_OPTIONS": str(tmp_path / "options.json"),
    }
    (tmp_path / "data").mkdir()
    subprocess.run([*wrapper, "bash", str(script), *args], env=env, check=True, timeout=30)
    return record.read_text().splitlines()


def test_discovery_reports_the_add_on_uri(tmp_path: Path) -> None:
    recorded = run_service_script(tmp_path, SERVICES / "discovery" / "run", {})
    assert recorded[0] == "wait_for 10200"
    assert recorded[1] == 'discovery wyoming {"uri": "tcp://local-polytts:10200"}'


def test_run_only_execs_the_add_on_entry(tmp_path: Path) -> None:
    options = {"voice": "bf_emma", "speed": 1.25, "cache_mb": 32, "log_level": "debug"}
    recorded = run_service_script(tmp_path, SERVICES / "polytts" / "run", options)
    assert recorded == ["python3 -m wyoming_polytts.addon"]
    # /share is mounted read-only: nothing may create the folder it reads
    assert not (tmp_path / "share").exists()


# A private mount namespace gives the script its own /run, where the finish script writes
# the container's exit code and calls s6's halt (here a stub that records that exit code).
HALT_IN_PRIVATE_RUN = r"""
mount -t tmpfs polytts-test /run
mkdir -p /run/s6-linux-init-container-results /run/s6/basedir/bin
printf '#!/bin/sh\necho "halt $(cat /run/s6-linux-init-container-results/exitcode)" >> "$RECORD"\n' \
    > /run/s6/basedir/bin/halt
chmod +x /run/s6/basedir/bin/halt
exec "$@"
"""


@needs_namespaces("mount")
@pytest.mark.parametrize(
    ("exit_code", "expected"),
    [
        ("1", ["log.warning PolyTTS stopped with exit code 1; halting the add-on", "halt 1"]),
        ("0", ["log.info PolyTTS stopped; the service restarts"]),
        # s6 reports 256 when it stopped the service with a signal (a restart, not a failure)
        ("256", ["log.info PolyTTS stopped; the service restarts"]),
    ],
)
def test_finish_halts_the_add_on_only_when_the_server_failed(
    tmp_path: Path, exit_code: str, expected: list[str]
) -> None:
    wrapper = (
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        HALT_IN_PRIVATE_RUN,
        "sh",
    )
    finish = SERVICES / "polytts" / "finish"
    assert run_service_script(tmp_path, finish, {}, exit_code, wrapper=wrapper) == expected
