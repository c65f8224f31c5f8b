"""The real server speaking with a CSM model saved to a folder, as a user serves theirs.

For the end-to-end test (the tiny CSM) and scripts/bench_csm (CSM-1B's architecture): the
model is saved with `save_pretrained`, so nothing that lives only in memory (such as
transformers' `suppress_tokens`) helps it; Kokoro is off, so CSM answers every request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .launcher import ServerProcess, start_server

READY = "CSM ready"
"""What the engine logs once loaded, warmed up and (on CUDA) its graphs captured."""


def save_model(model: Any, processor: Any, folder: Path) -> None:
    """A CsmForConditionalGeneration and its processor, as `csm.model` loads them."""
    model.save_pretrained(folder)
    processor.save_pretrained(folder)


def start_csm_server(
    log_dir: Path, folder: Path, device: str, timeout: float = 180.0
) -> tuple[ServerProcess, str]:
    """The server on the model in `folder`, once CSM is ready; and what its log said then
    (the device and the start-up time)."""
    config = {
        "kokoro": {"enabled": False},
        "csm": {"enabled": True, "model": str(folder), "device": device},
    }
    path = log_dir / "csm-config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    server = start_server(log_dir, "--config", str(path), timeout=timeout)
    try:
        ready = server.wait_for_log(READY, timeout)
    except BaseException:
        server.stop()
        raise
    return server, ready.partition(READY)[2].strip()
