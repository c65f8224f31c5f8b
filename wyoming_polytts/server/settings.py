"""The `server:` section: where to serve and the limits of the Wyoming edge."""

from __future__ import annotations

from dataclasses import dataclass

from ..schema import bounded


@dataclass(frozen=True)
class ServerSettings:
    uri: str = "tcp://0.0.0.0:10200"
    zeroconf: str | None = None
    """Advertise over zeroconf under this name (tcp URIs only); None turns it off."""
    max_frame_bytes: int = bounded(1 << 20, 1024, 1 << 30)
    """Largest header line, data block or payload a client may send."""
    max_text_chars: int = bounded(20_000, 1, 1_000_000)
    chunk_ms: int = bounded(100, 10, 1000)
    """Duration of each audio-chunk sent to Home Assistant."""
    max_replies: int = bounded(16, 1, 1000)
    """Replies in progress per engine; one more gets a "busy" error instead of an endless queue."""
