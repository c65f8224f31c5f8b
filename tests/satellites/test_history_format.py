"""Every history file that is not exactly the format is moved aside with a warning and
start-up goes on: any JSON in the index, any array shape or dtype, any damage to the zip."""

from __future__ import annotations

import io
import json
import logging
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tests.satellites.test_history import store, texts
from wyoming_polytts.satellites.history import HistoryStore
from wyoming_polytts.satellites.history_file import HistoryFile
from wyoming_polytts.satellites.history_format import INDEX, MalformedHistory, decode
from wyoming_polytts.satellites.settings import ContextSettings

CODES = np.arange(6, dtype=np.int32).reshape(2, 3)


def valid_index() -> dict[str, Any]:
    return {
        "format": 1,
        "keys": {
            "kitchen": {
                "conversation_id": "c1",
                "last_active": 1_700_000_000.0,
                "turns": [
                    {
                        "user_text": "Lights on?",
                        "assistant_text": "Done.",
                        "at": 1_699_999_999.5,
                        "engine_data": {"csm": [{"codes": "a0"}]},
                    }
                ],
            }
        },
    }


def write(path: Path, index: object, arrays: dict[str, np.ndarray] | None = None) -> None:
    raw = np.frombuffer(json.dumps(index).encode(), dtype=np.uint8)
    with path.open("wb") as file:
        np.savez(file, **{"a0": CODES, **(arrays or {}), INDEX: raw})


def load(path: Path) -> HistoryStore:
    history, _ = store()
    HistoryFile(history, path, delay=0).load()
    return history


def moved_aside(path: Path, history: HistoryStore, log: str) -> bool:
    aside = list(path.parent.glob(f"{path.name}.corrupt-*"))
    return (
        not path.exists()
        and len(aside) == 1
        and history.keys() == ()
        and "is damaged" in log
        and aside[0].name in log
    )


def test_the_valid_file_loads(tmp_path: Path) -> None:
    write(tmp_path / "context.npz", valid_index())
    history = load(tmp_path / "context.npz")
    assert texts(history, "kitchen") == ["Done."]
    (blob,) = history.open("kitchen", conversation_id="c1").history("csm")
    np.testing.assert_array_equal(blob["codes"], CODES)


def at(index: dict[str, Any], *path: str | int) -> tuple[Any, str | int]:
    node: Any = index
    for step in path[:-1]:
        node = node[step]
    return node, path[-1]


def replaced(path: tuple[str | int, ...], value: object) -> dict[str, Any]:
    index = valid_index()
    node, last = at(index, *path)
    node[last] = value
    return index


def removed(path: tuple[str | int, ...]) -> dict[str, Any]:
    index = valid_index()
    node, last = at(index, *path)
    del node[last]
    return index


KITCHEN = ("keys", "kitchen")
TURN = (*KITCHEN, "turns", 0)


@pytest.mark.parametrize(
    ("index", "problem"),
    [
        pytest.param(replaced(("keys",), ["kitchen"]), "keys has the wrong type", id="keys-list"),
        pytest.param(
            replaced((*TURN, "engine_data"), [["a0"]]),
            "keys.kitchen.turns[0].engine_data has the wrong type",
            id="engine-data-list",
        ),
        pytest.param([1, 2], "index.json is not a JSON object", id="index-list"),
        pytest.param(replaced(("format",), 2), "format is not 1", id="format-2"),
        pytest.param(replaced(("format",), True), "format has the wrong type", id="format-bool"),
        pytest.param(removed(("format",)), "format is missing", id="no-format"),
        pytest.param(replaced(KITCHEN, None), "keys.kitchen is not an object", id="entry-null"),
        pytest.param(
            replaced((*KITCHEN, "last_active"), "soon"),
            "keys.kitchen.last_active has the wrong type",
            id="last-active-text",
        ),
        pytest.param(
            replaced((*KITCHEN, "turns"), {"0": {}}),
            "keys.kitchen.turns has the wrong type",
            id="turns-object",
        ),
        pytest.param(
            replaced((*KITCHEN, "turns", 0), "Done."),
            "keys.kitchen.turns[0] is not an object",
            id="turn-text",
        ),
        pytest.param(
            removed((*TURN, "assistant_text")),
            "keys.kitchen.turns[0].assistant_text is missing",
            id="no-assistant-text",
        ),
        pytest.param(
            replaced((*TURN, "at"), 1e999),
            "keys.kitchen.turns[0].at is not a finite number",
            id="at-infinite",
        ),
        pytest.param(
            replaced((*TURN, "engine_data", "csm"), {"codes": "a0"}),
            "keys.kitchen.turns[0].engine_data.csm has the wrong type",
            id="blobs-object",
        ),
        pytest.param(
            replaced((*TURN, "engine_data", "csm", 0, "codes"), "a9"),
            "keys.kitchen.turns[0].engine_data.csm[0].codes names no array",
            id="missing-array",
        ),
        pytest.param(
            replaced((*TURN, "engine_data", "csm", 0, "codes"), INDEX),
            "keys.kitchen.turns[0].engine_data.csm[0].codes names no array",
            id="the-index-as-an-array",
        ),
        pytest.param(
            replaced((*TURN, "engine_data", "csm", 0, "codes"), 0),
            "keys.kitchen.turns[0].engine_data.csm[0].codes names no array",
            id="array-name-number",
        ),
        pytest.param(
            replaced((*TURN, "engine_data", "csm"), [{"codes": "a0"}, {"codes": "a0"}]),
            "keys.kitchen.turns[0].engine_data.csm[1].codes names an array used before",
            id="array-twice",
        ),
        pytest.param(
            replaced((*TURN, "engine_data"), {}), "arrays 1 are named by no turn", id="extra-array"
        ),
    ],
)
def test_a_wrong_index_is_moved_aside(
    tmp_path: Path, index: object, problem: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The two reported crashes first (AttributeError, AssertionError before)."""
    path = tmp_path / "context.npz"
    write(path, index)
    with caplog.at_level(logging.WARNING):
        history = load(path)
    assert moved_aside(path, history, caplog.text)
    assert f"({problem})" in caplog.text


def zip_with(member: str, data: bytes, compression: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        archive.writestr(member, data)
    return buffer.getvalue()


def corrupt_deflate() -> bytes:
    data = bytearray(zip_with("index.json.npy", b"x" * 4096, zipfile.ZIP_DEFLATED))
    data[60:70] = b"\xff" * 10  # inside the compressed stream; the CRC is not reached
    return bytes(data)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(lambda: zip_with("index.json.npy", b"not npy"), id="member-not-npy"),
        pytest.param(lambda: zip_with("index.json.npy", b""), id="member-empty"),
        pytest.param(corrupt_deflate, id="bad-deflate"),
        pytest.param(lambda: zip_with("other.npy", b""), id="no-index"),
        pytest.param(
            lambda: zip_with("index.json.npy", b"", zipfile.ZIP_LZMA)[:-30], id="lzma-cut"
        ),
        pytest.param(lambda: b"[" * 100_000, id="nested-text"),
    ],
)
def test_a_damaged_archive_is_moved_aside(
    tmp_path: Path, content: Callable[[], bytes], caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "context.npz"
    path.write_bytes(content())
    history = load(path)
    assert moved_aside(path, history, caplog.text)


def test_an_index_nested_deeper_than_the_parser_goes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "context.npz"
    raw = np.frombuffer(b"[" * 100_000 + b"]" * 100_000, dtype=np.uint8)
    with path.open("wb") as file:
        np.savez(file, **{INDEX: raw})
    history = load(path)
    assert moved_aside(path, history, caplog.text)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=12,
)


def paths(node: object, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every place in a JSON value (the root excluded)."""
    found: list[tuple[str | int, ...]] = []
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else []
    )
    for key, child in items:
        found.append((*prefix, key))
        found.extend(paths(child, (*prefix, key)))
    return found


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_json_in_the_index_either_loads_exactly_or_is_moved_aside(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    """Any JSON value in place of any part of a valid index (or of all of it)."""
    path = tmp_path_factory.mktemp("history") / "context.npz"
    index: Any = valid_index()
    where = data.draw(st.sampled_from([(), *paths(index)]), label="where")
    value = data.draw(JSON, label="value")
    if where:
        node, last = at(index, *where)
        node[last] = value
    else:
        index = value
    write(path, index)
    arrays = dict(np.load(path, allow_pickle=False))
    try:
        expected = decode(arrays, store()[0].new_history)
    except MalformedHistory:
        expected = None
    history = load(path)  # never raises
    if expected is None:
        assert not path.exists() and history.keys() == ()
    else:  # still exactly the format: every turn as decoded (a conversation idle too long
        # ago, as a last_active of 0 makes it, has expired: it starts empty)
        assert path.exists()
        now, idle_timeout = store()[1](), ContextSettings().idle_timeout
        restored = history.keys()
        assert {key: texts(history, key) for key in restored} == {
            key: [turn.assistant_text for turn in entry.turns]
            if now - entry.last_active <= idle_timeout
            else []
            for key, entry in expected.items()
        }


DTYPES = (
    hnp.scalar_dtypes()
    | hnp.byte_string_dtypes()
    | hnp.unicode_string_dtypes()
    | hnp.array_dtypes(max_size=2)  # structured
)


@pytest.mark.filterwarnings("ignore:Stored array in format 3.0")  # unicode record fields
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(array=hnp.arrays(DTYPES, hnp.array_shapes(min_dims=0, max_dims=3, max_side=3)))
def test_any_array_loads_only_when_numeric(
    tmp_path_factory: pytest.TempPathFactory, array: np.ndarray
) -> None:
    """An engine's array of any shape and dtype: numbers (any shape: the engine that wrote the
    blob checks its shapes when it reads it back) load; text, dates, complex, records do not."""
    path = tmp_path_factory.mktemp("history") / "context.npz"
    write(path, valid_index(), {"a0": array})
    history = load(path)
    numeric = array.dtype.kind in "biuf" and array.dtype.fields is None
    assert path.exists() == numeric
    if numeric:
        (blob,) = history.open("kitchen", conversation_id="c1").history("csm")
        np.testing.assert_array_equal(blob["codes"], array)
    else:
        assert history.keys() == ()


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(
            np.frombuffer(json.dumps(valid_index()).encode(), np.uint8).reshape(1, -1), id="2-d"
        ),
        pytest.param(
            np.frombuffer(json.dumps(valid_index()).encode(), np.uint8).astype(np.int16), id="int16"
        ),
        pytest.param(np.frombuffer(b"\xff\xfe{}", np.uint8), id="not-utf8"),
    ],
)
def test_an_index_array_of_another_shape_or_dtype_is_moved_aside(
    tmp_path: Path, raw: np.ndarray, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "context.npz"
    with path.open("wb") as file:
        np.savez(file, a0=CODES, **{INDEX: raw})
    history = load(path)
    assert moved_aside(path, history, caplog.text)
