"""The tiny CSM's runtime, for the tests of what it does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from wyoming_polytts.engines.csm.runtime import CsmRuntime
from wyoming_polytts.testing.csm_tiny import SETTINGS, build_tiny_csm


@pytest.fixture(name="runtime")
def runtime_fixture() -> Iterator[CsmRuntime]:
    model, processor = build_tiny_csm()
    runtime = CsmRuntime(model, processor, SETTINGS)
    yield runtime
    runtime.close()
