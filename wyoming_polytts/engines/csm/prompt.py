"""What CSM hears before it speaks: earlier utterances, fitted to its window.

CSM conditions each utterance on the ones before it (their text and audio codes), which
keeps a speaker's voice and prosody steady from one segment to the next. They come from the
satellite's conversation (saved with its history) and from a voice's reference recording.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Utterance:
    """One utterance: `text_ids` are the tokens of "[speaker]text" between begin and end of
    text; `codes` are its audio frames (frames x codebooks), closed by an end-of-audio frame."""

    text_ids: tuple[int, ...]
    codes: NDArray[np.integer]

    @property
    def tokens(self) -> int:
        """Positions it takes in the model's window."""
        return len(self.text_ids) + len(self.codes) + 1

    def blob(self) -> dict[str, NDArray[np.integer]]:
        """The utterance as numeric arrays, for the conversation's history."""
        return {"text_ids": np.asarray(self.text_ids, dtype=np.int32), "codes": self.codes}

    @classmethod
    def from_blob(cls, blob: Mapping[str, NDArray[np.generic]]) -> Utterance:
        return cls(tuple(int(token) for token in blob["text_ids"]), np.asarray(blob["codes"]))


def fitting_utterances(
    blobs: Sequence[Mapping[str, NDArray[np.generic]]], num_codebooks: int
) -> list[Utterance]:
    """The utterances of a conversation's blobs that this model can hear: text ids in one
    row of integers, codes of integers with its number of codebooks. Others (a history saved
    with another model, a file edited by hand: the history file checks only that they are
    numbers) are skipped."""
    return [
        Utterance.from_blob(blob)
        for blob in blobs
        if set(blob) == {"text_ids", "codes"}
        and blob["text_ids"].ndim == 1
        and blob["text_ids"].dtype.kind in "iu"
        and blob["codes"].ndim == 2
        and blob["codes"].shape[1] == num_codebooks
        and blob["codes"].dtype.kind in "iu"
    ]


def fit_context(
    fixed: Sequence[Utterance], history: Sequence[Utterance], budget: int
) -> list[Utterance]:
    """The utterances to put before the new text within `budget` positions, in speaking order.

    `fixed` ones (a voice's reference) come first and stay while they fit at all; then as
    many of the newest `history` ones as still fit, so the oldest are dropped first.
    """
    chosen = list(fixed) if sum(utterance.tokens for utterance in fixed) <= budget else []
    left = budget - sum(utterance.tokens for utterance in chosen)
    recent: list[Utterance] = []
    for utterance in reversed(history):
        if utterance.tokens > left:
            break
        recent.append(utterance)
        left -= utterance.tokens
    return chosen + recent[::-1]
