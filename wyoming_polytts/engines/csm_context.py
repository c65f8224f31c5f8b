"""What CSM hears before it speaks: earlier turns per conversation, fitted to its window.

CSM conditions each utterance on the turns before it (their text and audio codes), which
keeps a speaker's voice and prosody steady from one segment to the next. The turns come
from the request's shared conversation context when the server gives one (saved with the
satellite's history), else from the engine's own per-key `ConversationHistory`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Turn:
    """One utterance: `text_ids` are the tokens of "[speaker]text" between begin and end of
    text; `codes` are its audio frames (frames x codebooks), closed by an end-of-audio frame."""

    text_ids: tuple[int, ...]
    codes: NDArray[np.integer]

    @property
    def tokens(self) -> int:
        """Positions the turn takes in the model's window."""
        return len(self.text_ids) + len(self.codes) + 1

    def blob(self) -> dict[str, NDArray[np.integer]]:
        """The turn as numeric arrays, for the shared conversation context."""
        return {"text_ids": np.asarray(self.text_ids, dtype=np.int32), "codes": self.codes}

    @classmethod
    def from_blob(cls, blob: Mapping[str, NDArray[np.generic]]) -> Turn:
        return cls(tuple(int(token) for token in blob["text_ids"]), np.asarray(blob["codes"]))


class ConversationHistory:
    """The latest turns of each conversation, bounded in turns and conversations; thread-safe."""

    def __init__(self, max_turns: int, max_conversations: int) -> None:
        self._max_turns = max_turns
        self._max_conversations = max_conversations
        self._turns: OrderedDict[str, deque[Turn]] = OrderedDict()
        self._lock = threading.Lock()

    def turns(self, key: str) -> tuple[Turn, ...]:
        """Oldest first."""
        with self._lock:
            turns = self._turns.get(key)
            if turns is None:
                return ()
            self._turns.move_to_end(key)
            return tuple(turns)

    def add(self, key: str, turn: Turn) -> None:
        if self._max_turns == 0:
            return
        with self._lock:
            turns = self._turns.setdefault(key, deque(maxlen=self._max_turns))
            turns.append(turn)
            self._turns.move_to_end(key)
            while len(self._turns) > self._max_conversations:
                self._turns.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._turns)


def fit_context(fixed: Sequence[Turn], history: Sequence[Turn], budget: int) -> list[Turn]:
    """The turns to put before the new text within `budget` positions, in speaking order.

    `fixed` turns (a voice's reference) come first and stay while they fit at all; then
    as many of the newest `history` turns as still fit, so the oldest are dropped first.
    """
    chosen = list(fixed) if sum(turn.tokens for turn in fixed) <= budget else []
    left = budget - sum(turn.tokens for turn in chosen)
    recent: list[Turn] = []
    for turn in reversed(history):
        if turn.tokens > left:
            break
        recent.append(turn)
        left -= turn.tokens
    return chosen + recent[::-1]
