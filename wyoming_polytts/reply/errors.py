"""How a reply fails, as its client is told (the details go to the log only)."""

from __future__ import annotations

CLIENT_MESSAGES = {
    "internal": "internal error; see the server's log",
    "timeout": "no audio in time: the server is overloaded or a voice engine is stuck",
    "synthesis-failed": "the voice engine failed on this reply",
    "engine-unavailable": "no voice engine can speak this reply now (see the server's log)",
}
"""What a client is told; the details (engine errors) go to the log only."""


class ReplyFailed(Exception):
    """The reply cannot be completed; `code` and the message go into a Wyoming error event."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
