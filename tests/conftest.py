"""Fixtures: an in-process server around any engine."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from wyoming_polytts.testing.in_process import running_server


@pytest.fixture(name="serve")
def serve_fixture() -> Callable[..., object]:
    return running_server
