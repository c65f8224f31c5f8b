"""The derived Kokoro graph from the real model: checked, stored, reused, derived again."""

from __future__ import annotations

import copy
import json
import logging
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import onnx
import pytest
from kokoro_onnx.config import get_vocab
from onnx import helper, numpy_helper

from wyoming_polytts.engines.kokoro import check, derive, graph, pins
from wyoming_polytts.engines.kokoro.check import Listener
from wyoming_polytts.engines.kokoro.files import KokoroFiles, find_kokoro
from wyoming_polytts.engines.kokoro.sources import sha256_of
from wyoming_polytts.storage import default_data_dir
from wyoming_polytts.testing import asr

pytestmark = pytest.mark.e2e


@pytest.fixture(name="files", scope="module")
def files_fixture() -> KokoroFiles:
    files = find_kokoro([default_data_dir()])
    assert files is not None, "run scripts/setup to fetch the model"
    return files


@pytest.fixture(name="listen", scope="module")
def listen_fixture() -> Iterator[Listener]:
    yield asr.listener(asr.load_model())


def test_the_derivation_is_deterministic(files: KokoroFiles) -> None:
    source = onnx.load(str(files.model))
    twice = [copy.deepcopy(source) for _ in range(2)]
    del source
    for model in twice:
        derive.CURRENT.apply(model, get_vocab())
    assert twice[0].SerializeToString() == twice[1].SerializeToString()


def test_the_derived_graph_passes_its_check_is_stored_and_reused(
    files: KokoroFiles, listen: Listener, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    older = [
        tmp_path / f"kokoro-derived-{pins.MODEL_SHA256[:16]}-v0.{end}" for end in ("onnx", "json")
    ]
    other_model = tmp_path / "kokoro-derived-0123456789abcdef-v0.onnx"
    for path in (*older, other_model):
        path.write_bytes(b"an earlier version's")
    derived = derive.graph_to_load(
        files.model, pins.MODEL_SHA256, files.voices, tmp_path, listener=lambda: listen
    )
    assert derived != files.model and derived.parent == tmp_path
    assert not any(path.exists() for path in older) and other_model.exists()
    record = json.loads(derived.with_suffix(".json").read_text())
    assert record["sha256"] == sha256_of(derived) and record["rejected"] is None
    derivations = []

    def counted_check(*args: object) -> None:
        derivations.append(args)

    monkeypatch.setattr(derive, "check_derived", counted_check)
    again = derive.graph_to_load(files.model, pins.MODEL_SHA256, files.voices, tmp_path)
    assert again == derived and derivations == []  # stored: not derived again
    first = derived.read_bytes()

    with derived.open("r+b") as damaged:
        damaged.seek(len(first) // 2)
        damaged.write(b"\0" * 64)
    assert derive.graph_to_load(files.model, pins.MODEL_SHA256, files.voices, tmp_path) == derived
    assert len(derivations) == 1 and derived.read_bytes() == first

    shutil.copyfile(files.model, derived)  # a foreign graph in its place
    assert derive.graph_to_load(files.model, pins.MODEL_SHA256, files.voices, tmp_path) == derived
    assert len(derivations) == 2 and derived.read_bytes() == first


def _reverse(model: onnx.ModelProto, value: str, prefix: str) -> None:
    """Every reader of `value` reads it backwards along its last axis."""
    model.graph.initializer.extend(
        numpy_helper.from_array(np.array([number], np.int64), f"{prefix}_{name}")
        for name, number in (("start", -1), ("end", -(2**62)), ("axis", -1), ("step", -1))
    )
    for node in model.graph.node:
        for index, read in enumerate(node.input):
            if read == value:
                node.input[index] = f"{prefix}_reversed"
    for output in model.graph.output:
        if output.name == value:
            output.name = f"{prefix}_reversed"
    model.graph.node.append(
        helper.make_node(
            "Slice",
            [value, *(f"{prefix}_{name}" for name in ("start", "end", "axis", "step"))],
            [f"{prefix}_reversed"],
            name=f"{prefix}_reverse",
        )
    )


def reverse_the_tokens(model: onnx.ModelProto) -> None:
    """The phonemes read backwards: other words, other durations."""
    _reverse(model, graph.TOKENS_INPUT, "tokens")


def reverse_the_audio(model: onnx.ModelProto) -> None:
    """The speech played backwards: the same durations and length, other sounds and words."""
    _reverse(model, model.graph.output[0].name, "audio")


def an_unknown_operator(model: onnx.ModelProto) -> None:
    """A graph onnxruntime refuses to load."""
    model.graph.node.append(helper.make_node("NoSuchOperator", ["tokens"], ["nothing"]))


@pytest.fixture(name="case")
def case_fixture(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> tuple[Callable[[onnx.ModelProto], None], str]:
    """(a broken edit, why the check rejects it) with the check's spectral limit set."""
    edit, spectral_limit, reason = request.param
    monkeypatch.setattr(check, "MAX_SPECTRAL_DISTANCE_DB", spectral_limit)
    return edit, reason


@pytest.mark.parametrize(
    "case",
    [
        (reverse_the_tokens, 4.0, "does not last as long as its durations say"),
        (reverse_the_audio, 4.0, "its speech differs by"),
        (reverse_the_audio, float("inf"), "other words are heard"),  # only the ASR can tell
        (an_unknown_operator, 4.0, "does not run"),
    ],
    indirect=True,
)
def test_the_check_rejects_a_graph_that_says_other_words(
    files: KokoroFiles,
    listen: Listener,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    case: tuple[Callable[[onnx.ModelProto], None], str],
) -> None:
    edit, reason = case
    with caplog.at_level(logging.WARNING):
        loaded = derive.graph_to_load(
            files.model,
            pins.MODEL_SHA256,
            files.voices,
            tmp_path,
            listener=lambda: listen,
            edit=edit,
        )
    assert loaded == files.model
    assert "Loading the original Kokoro graph" in caplog.text and reason in caplog.text
    assert not list(tmp_path.glob("*.onnx"))
    record = json.loads(next(tmp_path.glob("*.json")).read_text())
    assert record["sha256"] is None and reason in record["rejected"]
    # The verdict is kept: the next start loads the original without deriving again
    assert derive.graph_to_load(files.model, pins.MODEL_SHA256, files.voices, tmp_path) == (
        files.model
    )
