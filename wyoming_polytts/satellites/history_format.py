"""The history file's content: numeric arrays plus a JSON index that names them, checked
exactly on reading. Anything else (another JSON shape, a missing or extra array, text or
object arrays) is MalformedHistory, so the file is moved aside instead of stopping start-up.

    {"format": 1, "keys": {KEY: {"conversation_id": str | null, "last_active": number,
      "turns": [{"user_text": str | null, "assistant_text": str, "at": number,
                 "engine_data": {ENGINE: [{NAME: ARRAY_NAME, ...}, ...]}}]}}}
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .history import SatelliteHistory, Turn

FORMAT = 1
INDEX = "index.json"
NUMERIC_KINDS = "biuf"
"""Engines keep numeric arrays only (bool, signed and unsigned integers, floats)."""

Arrays = Mapping[str, NDArray[np.generic]]


class MalformedHistory(ValueError):
    """The file is readable but not exactly the format; the message says where."""


def encode(histories: Mapping[str, SatelliteHistory]) -> dict[str, NDArray[np.generic]]:
    """The arrays of a history file: each engine's arrays, and the index naming them."""
    arrays: dict[str, NDArray[np.generic]] = {}
    index = {
        "format": FORMAT,
        "keys": {
            key: {
                "conversation_id": history.conversation_id,
                "last_active": history.last_active,
                "turns": [_encode_turn(turn, arrays) for turn in history.turns],
            }
            for key, history in histories.items()
        },
    }
    arrays[INDEX] = np.frombuffer(json.dumps(index).encode(), dtype=np.uint8)
    return arrays


def _encode_turn(turn: Turn, arrays: dict[str, NDArray[np.generic]]) -> dict[str, object]:
    data: dict[str, list[dict[str, str]]] = {}
    for engine, blobs in turn.engine_data.items():
        for blob in blobs:
            names = {}
            for name, array in blob.items():
                names[name] = stored = f"a{len(arrays)}"
                arrays[stored] = array
            data.setdefault(engine, []).append(names)
    return {
        "user_text": turn.user_text,
        "assistant_text": turn.assistant_text,
        "at": turn.at,
        "engine_data": data,
    }


def decode(
    members: Mapping[str, object], new_history: Callable[[], SatelliteHistory]
) -> dict[str, SatelliteHistory]:
    """The histories of a file's members (numpy gives one that is not .npy as bytes);
    MalformedHistory unless exactly the format."""
    arrays = {name: array for name, array in members.items() if isinstance(array, np.ndarray)}
    not_arrays = sorted(set(members) - set(arrays))
    _expect(not not_arrays, "members", f"{', '.join(not_arrays)} are not .npy arrays")
    reader = _Reader(arrays)
    index = reader.index()
    _expect(_of(index, "format", int, "") == FORMAT, "format", f"is not {FORMAT}")
    histories = {}
    for key, entry in _of(index, "keys", dict, "").items():
        where = f"keys.{key}"
        history = new_history()
        history.conversation_id = _of(entry, "conversation_id", (str, type(None)), where)
        history.last_active = _number(entry, "last_active", where)
        for number, turn in enumerate(_of(entry, "turns", list, where)):
            history.turns.append(reader.turn(turn, f"{where}.turns[{number}]"))
        histories[key] = history
    unused = set(arrays) - reader.used - {INDEX}
    _expect(not unused, "arrays", f"{len(unused)} are named by no turn")
    return histories


class _Reader:
    def __init__(self, arrays: Arrays) -> None:
        self._arrays = arrays
        self.used: set[str] = set()

    def index(self) -> dict[str, Any]:
        raw = self._arrays.get(INDEX)
        _expect(raw is not None, INDEX, "is missing")
        assert raw is not None
        _expect(raw.dtype == np.uint8 and raw.ndim == 1, INDEX, "is not a byte string")
        try:
            index = json.loads(raw.tobytes())
        except RecursionError as err:  # nested deeper than the parser goes
            raise MalformedHistory(f"{INDEX} is nested too deep") from err
        _expect(isinstance(index, dict), INDEX, "is not a JSON object")
        return index

    def turn(self, entry: object, where: str) -> Turn:
        _expect(isinstance(entry, dict), where, "is not an object")
        assert isinstance(entry, dict)
        data = _of(entry, "engine_data", dict, where)
        return Turn(
            user_text=_of(entry, "user_text", (str, type(None)), where),
            assistant_text=_of(entry, "assistant_text", str, where),
            engine_data={
                engine: tuple(
                    self._blob(blob, f"{where}.engine_data.{engine}[{number}]")
                    for number, blob in enumerate(_of(data, engine, list, f"{where}.engine_data"))
                )
                for engine in data
            },
            at=_number(entry, "at", where),
        )

    def _blob(self, names: object, where: str) -> dict[str, NDArray[np.generic]]:
        _expect(isinstance(names, dict), where, "is not an object")
        assert isinstance(names, dict)
        blob = {}
        for name, stored in names.items():
            array = self._arrays.get(stored) if isinstance(stored, str) else None
            _expect(array is not None and stored != INDEX, f"{where}.{name}", "names no array")
            assert array is not None
            _expect(stored not in self.used, f"{where}.{name}", "names an array used before")
            _expect(
                array.dtype.kind in NUMERIC_KINDS and array.dtype.fields is None,
                f"{where}.{name}",
                f"is an array of {array.dtype}, not numbers",
            )
            self.used.add(stored)
            blob[name] = array
        return blob


def _of(mapping: object, name: str, kind: type | tuple[type, ...], where: str) -> Any:
    """`mapping[name]`, which must be of `kind`."""
    place = f"{where}.{name}" if where else name
    _expect(isinstance(mapping, dict), where or "the index", "is not an object")
    assert isinstance(mapping, dict)
    _expect(name in mapping, place, "is missing")
    value = mapping[name]
    # bool is an int to Python, never one in the file
    _expect(isinstance(value, kind) and not isinstance(value, bool), place, "has the wrong type")
    return value


def _number(mapping: object, name: str, where: str) -> float:
    value = _of(mapping, name, (int, float), where)
    _expect(math.isfinite(value), f"{where}.{name}", "is not a finite number")
    return float(value)


def _expect(condition: bool, where: str, problem: str) -> None:
    if not condition:
        raise MalformedHistory(f"{where} {problem}")
