"""Where the server tells the images' health check which address it serves.

The images set $POLYTTS_URI_FILE: the server writes the URI it serves there, and the health
check reads it, so the check follows `--uri`, a config file or any other way the server was
told its port. Without the variable nothing is written and the check asks the default port.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

from ..uri import tcp_address

_LOGGER = logging.getLogger(__name__)

URI_FILE_VARIABLE = "POLYTTS_URI_FILE"
DEFAULT_URI = "tcp://127.0.0.1:10200"
_ANY_ADDRESS = {"0.0.0.0": "127.0.0.1", "::": "::1"}


def uri_file(environ: Mapping[str, str] = os.environ) -> Path | None:
    value = environ.get(URI_FILE_VARIABLE)
    return Path(value) if value else None


def record_served_uri(uri: str, environ: Mapping[str, str] = os.environ) -> Path | None:
    """Write the URI being served where $POLYTTS_URI_FILE says (if set); return that file."""
    path = uri_file(environ)
    if path is None:
        return None
    try:
        path.write_text(uri + "\n", encoding="utf-8")
    except OSError as err:
        _LOGGER.warning("Cannot write %s for the health check: %s", path, err)
        return None
    return path


def local_uri(uri: str) -> str:
    """How a check on the same machine reaches a server bound to `uri` (0.0.0.0 -> 127.0.0.1)."""
    address = tcp_address(uri)
    if address is None or address[0] not in _ANY_ADDRESS:
        return uri
    host = _ANY_ADDRESS[address[0]]
    return f"tcp://{f'[{host}]' if ':' in host else host}:{address[1]}"


def served_uri(environ: Mapping[str, str] = os.environ) -> str:
    """The URI the server wrote to $POLYTTS_URI_FILE, as reachable from here; else the default."""
    path = uri_file(environ)
    if path is None:
        return DEFAULT_URI
    try:
        return local_uri(path.read_text(encoding="utf-8").strip())
    except OSError:
        return DEFAULT_URI
