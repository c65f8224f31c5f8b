"""The `remotes:` section: other Wyoming TTS servers used as engines."""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass

from ...schema import ConfigError, bounded
from ...uri import tcp_address


@dataclass(frozen=True)
class RemoteSettings:
    """Another Wyoming TTS server used as an engine (e.g. a GPU box serving several homes)."""

    uri: str
    """tcp://gpu-box:10200 (required)"""
    timeout: float = bounded(10.0, 0.5, 600.0)
    """Seconds to connect and between two events of a reply."""
    max_frame_bytes: int = bounded(1 << 20, 1024, 1 << 30)
    """Largest header line, data block or payload accepted from the remote."""
    prefix: str | None = None
    """Put before the remote's voice names in Info; unset: "<name>." ("" keeps them as-is)."""
    voices: tuple[str, ...] = ()
    """The remote voices to offer (unprefixed); empty: all. Listed ones stay requestable
    (and fall back) while the remote is unreachable."""
    languages: tuple[str, ...] = ("en-US",)
    """Languages of listed voices until the remote's Info tells."""
    conversational: bool = False
    """Its voices depend on the conversation (a remote CSM): chosen by the conversational and
    auto modes, and never taken from the phrase cache."""
    workers: int = bounded(1, 1, 64)
    """Segments synthesized on the remote at once: no more than it runs (its kokoro.workers, 1
    by default), or the second waits in its queue and that wait counts as a failure."""
    refresh: float = bounded(30.0, 1.0, 86400.0)
    """Seconds between Describe calls that refresh its voices and check its health."""
    home: str | None = None
    """Sent with each context key, so that homes sharing the remote keep their histories
    apart; unset: this machine's host name (set it where add-ons of several homes share one)."""

    def __post_init__(self) -> None:
        if tcp_address(self.uri) is None:
            raise ConfigError(
                f"config key 'remotes': a uri must look like tcp://HOST:PORT, got {self.uri!r}"
            )


def no_remotes() -> Mapping[str, RemoteSettings]:
    return types.MappingProxyType({})
