"""Skip markers for tests that need root or namespaces, with the reason a machine lacks them."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess

import pytest


@functools.cache
def namespaces_problem(*kinds: str) -> str | None:
    """Why this machine cannot make namespaces of `kinds` (mount, net), or None."""
    if os.geteuid() != 0:
        return "needs root to make namespaces (CI runs the suite as root)"
    # `ip netns` makes the network namespaces; unshare the others
    tools = ("unshare", "ip") if "net" in kinds else ("unshare",)
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        return f"needs {' and '.join(missing)} (util-linux, iproute2)"
    probe = subprocess.run(
        ["unshare", *(f"--{kind}" for kind in kinds), "true"], capture_output=True, text=True
    )
    if probe.returncode != 0:
        return f"cannot make {'/'.join(kinds)} namespaces here: {probe.stderr.strip()}"
    return None


def needs_namespaces(*kinds: str) -> pytest.MarkDecorator:
    problem = namespaces_problem(*kinds)
    return pytest.mark.skipif(problem is not None, reason=problem or "")
