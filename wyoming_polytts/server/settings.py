"""The `server:` section: where to serve and the limits of the Wyoming edge."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from ..schema import ConfigError, bounded
from ..uri import tcp_address, unix_path


@dataclass(frozen=True)
class ServerSettings:
    uri: str = "tcp://0.0.0.0:10200"
    zeroconf: str | None = None
    """Advertise over zeroconf under this name (tcp URIs only); None turns it off."""
    max_frame_bytes: int = bounded(1 << 20, 1024, 1 << 30)
    """Largest header line, data block or payload a client may send."""
    max_text_chars: int = bounded(20_000, 1, 1_000_000)
    chunk_ms: int = bounded(100, 10, 1000)
    """Duration of each audio-chunk sent to Home Assistant (a segment's last may be shorter)."""
    max_connections: int = bounded(64, 1, 10_000)
    """Open connections; one more gets a "busy" error and is closed."""
    quiet_after: float = bounded(5.0, 0.1, 3600.0)
    """Seconds a connection may send nothing and keep its place while the connections are at
    the limit: after that, a new connection takes the place of the longest quiet one that has
    no reply in progress (which gets "busy" and is closed). Home Assistant speaks at once."""
    idle_timeout: float = bounded(60.0, 1.0, 86_400.0)
    """Seconds a client may send nothing while the server waits for it (an open stream, or
    an idle connection); then it gets a "timeout" error and is closed."""
    frame_timeout: float = bounded(10.0, 0.5, 3600.0)
    """Seconds a frame may take from its first byte to its last."""
    write_timeout: float = bounded(30.0, 1.0, 3600.0)
    """Seconds a client may leave audio unread before its reply is cancelled."""
    shutdown_grace: float = bounded(8.0, 0.0, 300.0)
    """Seconds replies in progress may take to finish on SIGTERM (Docker and s6 kill at 10)."""

    REMOVED: ClassVar[Mapping[str, str]] = {
        key: f"the reply settings have a section of their own now: use replies.{new}"
        for key, new in (
            ("max_replies", "max_per_engine"),
            ("read_ahead", "read_ahead"),
            ("unhealthy_after", "unhealthy_after"),
        )
    }

    def text_too_long(self, chars: int) -> str | None:
        """Why a reply's text of `chars` characters is refused (error `text-too-long`), or
        None when it is within the limit."""
        if chars <= self.max_text_chars:
            return None
        return f"text is {chars} characters long; the limit is {self.max_text_chars}"

    def __post_init__(self) -> None:
        # Checked now, so that a typo stops start-up with one line naming the key
        if tcp_address(self.uri) is None and unix_path(self.uri) is None:
            raise ConfigError(
                "config key 'server.uri' (--uri): expected tcp://HOST:PORT (PORT 1-65535) or "
                f"unix://PATH, got {self.uri!r}"
            )
