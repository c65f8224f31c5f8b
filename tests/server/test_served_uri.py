"""The file through which the images' health check learns the port the server serves."""

from __future__ import annotations

from pathlib import Path

import pytest

from wyoming_polytts.server.served_uri import (
    DEFAULT_URI,
    URI_FILE_VARIABLE,
    record_served_uri,
    served_uri,
)


@pytest.mark.parametrize(
    ("served", "checked"),
    [
        ("tcp://0.0.0.0:10300", "tcp://127.0.0.1:10300"),
        ("tcp://[::]:10300", "tcp://[::1]:10300"),
        ("tcp://192.0.2.7:10300", "tcp://192.0.2.7:10300"),
    ],
)
def test_the_uri_file_names_the_server_to_check(tmp_path: Path, served: str, checked: str) -> None:
    environ = {URI_FILE_VARIABLE: str(tmp_path / "uri")}
    assert served_uri(environ) == DEFAULT_URI  # not written yet: the server is not up
    assert record_served_uri(served, environ) == tmp_path / "uri"
    assert served_uri(environ) == checked


def test_without_the_variable_nothing_is_written_and_the_default_is_checked() -> None:
    assert record_served_uri("tcp://0.0.0.0:10300", {}) is None
    assert served_uri({}) == DEFAULT_URI == "tcp://127.0.0.1:10200"
