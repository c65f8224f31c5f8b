"""Start-up mistakes end in one line that says what to fix, never a traceback (subprocess:
the real command line, its logging and its exit)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from wyoming_polytts.testing.launcher import free_port

REPO = Path(__file__).resolve().parents[1]
URI_MISTAKE = (
    "wyoming-polytts: config key 'server.uri' (--uri): expected tcp://HOST:PORT (PORT 1-65535) "
    "or unix://PATH, got {uri!r}"
)


def start(tmp_path: Path, *args: str, config: str = "") -> tuple[int, str]:
    """Run the server until it exits (it must): exit status and its last line."""
    (tmp_path / "config.yaml").write_text(config)
    result = subprocess.run(
        [sys.executable, "-m", "wyoming_polytts", "--config", str(tmp_path / "config.yaml"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert "Traceback" not in result.stderr and "terminate called" not in result.stderr
    return result.returncode, result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize(
    "uri", ["tcp://127.0.0.1", "127.0.0.1:10747", "tcp://h:abc", "tcp://h:70000", "udp://h:1"]
)
def test_a_malformed_uri(tmp_path: Path, uri: str) -> None:
    assert start(tmp_path, "--uri", uri) == (1, URI_MISTAKE.format(uri=uri))


def test_a_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        uri = f"tcp://127.0.0.1:{taken.getsockname()[1]}"
        assert start(tmp_path, "--uri", uri) == (
            1,
            f"wyoming-polytts: server.uri {uri}: cannot listen there: the port is in use "
            "(another server, or this one running twice)",
        )


def test_an_unknown_host(tmp_path: Path) -> None:
    status, line = start(tmp_path, "--uri", "tcp://nohost.invalid:1")
    assert status == 1
    prefix = "wyoming-polytts: server.uri tcp://nohost.invalid:1: cannot listen there: unknown host"
    assert line.startswith(prefix)


@pytest.mark.parametrize(
    ("download_dir", "cause"),
    [
        ("afile", "{tmp}/afile is a file, not a folder: move it away"),
        ("afile/models", "cannot make {tmp}/afile/models: {tmp}/afile is a file, not a folder: "),
    ],
)
def test_a_download_dir_the_model_cannot_be_fetched_into(
    tmp_path: Path, download_dir: str, cause: str
) -> None:
    """No model in the data dirs and nowhere to fetch it: the server stops instead of
    serving mute (a read-only mount and an owner's folder: tests/test_storage.py)."""
    (tmp_path / "afile").write_text("")
    config = f"models:\n  data_dirs: [{tmp_path / 'empty'}]\n"
    uri = f"tcp://127.0.0.1:{free_port()}"
    status, line = start(
        tmp_path, "--uri", uri, "--download-dir", str(tmp_path / download_dir), config=config
    )
    assert status == 1
    expected = (
        "wyoming-polytts: no engine can speak: kokoro: cannot fetch the Kokoro model into the "
        f"download dir: {cause.format(tmp=tmp_path)}"
    )
    assert line.startswith(expected)
    assert line.endswith("(or set another: --download-dir, models.download_dir)")


def test_no_engine_enabled(tmp_path: Path) -> None:
    uri = f"tcp://127.0.0.1:{free_port()}"
    assert start(tmp_path, "--uri", uri, config="kokoro:\n  enabled: false\n") == (
        1,
        "wyoming-polytts: no engine can speak: none is enabled (kokoro.enabled, csm or remotes)",
    )
