"""Edits of the Kokoro int8 graph, each a small named function that changes the model in place.

They stop the model generating silence that kokoro-onnx trims away afterwards; they change
the audio, so derive.py checks the result against the original. Rewrites that change no
mathematics are in rewrites.py.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import onnx
from onnx import helper, numpy_helper

VOCODER = "/decoder/decoder/generator/"
"""Where about 90% of a call's time goes; the algebraic rewrites stay inside it."""
TOKENS_INPUT = "tokens"
SPEED_INPUT = "speed"


class GraphMismatch(Exception):
    """The graph is not shaped as these edits expect (another export of Kokoro)."""


def producers_of(model: onnx.ModelProto) -> dict[str, onnx.NodeProto]:
    return {output: node for node in model.graph.node for output in node.output}


def constant(model: onnx.ModelProto, name: str) -> np.ndarray | None:
    for tensor in model.graph.initializer:
        if tensor.name == name:
            return numpy_helper.to_array(tensor)
    return None


def duration_node(model: onnx.ModelProto) -> onnx.NodeProto:
    """The node whose output is each token's duration in frames: found by its shape,
    Clip(Round(ReduceSum(Sigmoid(...)) / speed), min 1), not by its name."""
    producers = producers_of(model)
    found = []
    for node in model.graph.node:
        if node.op_type != "Clip":
            continue
        rounded = producers.get(node.input[0])
        divided = (
            producers.get(rounded.input[0]) if rounded and rounded.op_type == "Round" else None
        )
        if divided is None or divided.op_type != "Div" or divided.input[1] != SPEED_INPUT:
            continue
        summed = producers.get(divided.input[0])
        squashed = (
            producers.get(summed.input[0]) if summed and summed.op_type == "ReduceSum" else None
        )
        low = constant(model, node.input[1]) if len(node.input) > 1 else None
        is_sigmoid = squashed is not None and squashed.op_type == "Sigmoid"
        if is_sigmoid and low is not None and low.size == 1 and float(low) == 1.0:
            found.append(node)
    if len(found) != 1:
        raise GraphMismatch(f"expected one token-duration node, found {len(found)}")
    return found[0]


def add_int64(model: onnx.ModelProto, name: str, values: Iterable[int]) -> str:
    model.graph.initializer.append(
        numpy_helper.from_array(np.array(list(values), dtype=np.int64), name)
    )
    return name


def _float(model: onnx.ModelProto, name: str, value: float) -> str:
    model.graph.initializer.append(numpy_helper.from_array(np.array(value, np.float32), name))
    return name


def _last_axis_slice(
    model: onnx.ModelProto, prefix: str, source: str, start: int, end: int
) -> onnx.NodeProto:
    starts = add_int64(model, f"{prefix}_starts", [start])
    ends = add_int64(model, f"{prefix}_ends", [end])
    axes = add_int64(model, f"{prefix}_axes", [-1])
    return helper.make_node("Slice", [source, starts, ends, axes], [prefix], name=prefix)


RAW_DURATIONS = "/polytts/durations"
"""Output: each token's duration in frames as the model predicts it."""
CAPPED_DURATIONS = "/polytts/durations_capped"
"""Output: the durations the vocoder is given, after the caps."""


def cap_silent_durations(
    model: onnx.ModelProto,
    leading_frames: int,
    trailing_frames: int | None = None,
    marks: Iterable[int] = (),
) -> None:
    """Stop paying for the silence kokoro-onnx trims: the vocoder starts `leading_frames`
    before the first phoneme instead of after the pad token's 0.4-0.5 s, and, with
    `trailing_frames`, a punctuation mark (a token in `marks`) that ends the text lasts at
    most that long. The pad keeps its length up to the vocoder: the decoder before it
    normalises over time, and shortening the pad there changed the words heard (README).
    Both kinds of durations become outputs, so a check can place the phonemes in the audio."""
    durations = duration_node(model)
    raw = durations.output[0]
    readers = [node for node in model.graph.node if raw in node.input]
    if any(output.name == raw for output in model.graph.output) or not readers:
        raise GraphMismatch("the token durations are not read only inside the graph")
    build = [helper.make_node("Identity", [raw], [RAW_DURATIONS], name=RAW_DURATIONS)]
    decoded = RAW_DURATIONS
    if trailing_frames is not None:
        build += _cap_last_mark(model, decoded, trailing_frames, marks, "/polytts/trail_cap")
        decoded = "/polytts/trail_cap"
    build += _cap_first(model, decoded, leading_frames, "/polytts/lead_cap")
    build.append(
        helper.make_node("Identity", ["/polytts/lead_cap"], [CAPPED_DURATIONS], CAPPED_DURATIONS)
    )
    build += _vocoder_skip(model, decoded, CAPPED_DURATIONS, "/polytts/vocoder_skip")
    for reader in readers:
        for index, value in enumerate(reader.input):
            if value == raw:
                reader.input[index] = decoded
    position = list(model.graph.node).index(durations) + 1
    for offset, node in enumerate(build):
        model.graph.node.insert(position + offset, node)
    _start_vocoder_at(model, "/polytts/vocoder_skip")
    for name in (RAW_DURATIONS, CAPPED_DURATIONS):
        value = helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, [None, None])
        model.graph.output.append(value)


VOCODER_ENTRIES = ("LeakyRelu", "f0_upsamp/Resize")
"""The vocoder's first nodes on the decoder's features and on the F0 curve, the two inputs
that run in time."""
FEATURES_PER_FRAME = 2
"""The decoder's features and the F0 curve run at twice the durations' frame rate."""


def _vocoder_skip(
    model: onnx.ModelProto, decoded: str, spoken: str, prefix: str
) -> list[onnx.NodeProto]:
    """`prefix` := how many feature steps the vocoder skips: the frames the pad lasts in
    `decoded` beyond what it lasts in `spoken`, as a 1-element int64 start for Slice."""
    first = [_last_axis_slice(model, f"{prefix}/{name}", name, 0, 1) for name in (decoded, spoken)]
    per_frame = _float(model, f"{prefix}/per_frame", float(FEATURES_PER_FRAME))
    flat = add_int64(model, f"{prefix}/flat", [1])
    frames, steps, whole = (f"{prefix}/{name}" for name in ("frames", "steps", "steps_int"))
    return [
        *first,
        helper.make_node("Sub", [first[0].output[0], first[1].output[0]], [frames], name=frames),
        helper.make_node("Mul", [frames, per_frame], [steps], name=steps),
        helper.make_node("Cast", [steps], [whole], name=whole, to=onnx.TensorProto.INT64),
        helper.make_node("Reshape", [whole, flat], [prefix], name=prefix),
    ]


def _start_vocoder_at(model: onnx.ModelProto, skip: str) -> None:
    """Slice the vocoder's inputs in time from `skip` on, each right before its entry node;
    the shapes recorded for what follows get time axes of their own (same-named ones would
    tell onnxruntime's planner the sliced tensors keep the decoder's length)."""
    nodes = list(model.graph.node)
    end = add_int64(model, "/polytts/vocoder_end", [np.iinfo(np.int64).max])
    axis = add_int64(model, "/polytts/vocoder_axis", [-1])
    sliced: set[str] = set()
    for entry in VOCODER_ENTRIES:
        found = [node for node in nodes if node.name == VOCODER + entry]
        if len(found) != 1:
            raise GraphMismatch(f"expected one vocoder entry {entry!r}, found {len(found)}")
        node = found[0]
        source = node.input[0]
        cut = f"/polytts/vocoder_from/{entry}"
        node.input[0] = cut
        model.graph.node.insert(
            list(model.graph.node).index(node),
            helper.make_node("Slice", [source, skip, end, axis], [cut], name=cut),
        )
        sliced.add(cut)
    for node in model.graph.node:
        if sliced.intersection(node.input):
            sliced.update(node.output)
    for value in (*model.graph.value_info, *model.graph.output):
        if value.name in sliced:
            for dim in value.type.tensor_type.shape.dim:
                if dim.HasField("dim_param"):
                    dim.dim_param += "_vocoder"


def _cap_first(
    model: onnx.ModelProto, source: str, frames: int, prefix: str
) -> list[onnx.NodeProto]:
    """`prefix` := `source` with its first value at most `frames`."""
    head = _last_axis_slice(model, f"{prefix}/head", source, 0, 1)
    rest = _last_axis_slice(model, f"{prefix}/rest", source, 1, np.iinfo(np.int64).max)
    limit = _float(model, f"{prefix}/frames", float(frames))
    return [
        head,
        rest,
        helper.make_node("Min", [head.output[0], limit], [f"{prefix}/min"], f"{prefix}/min"),
        helper.make_node(
            "Concat", [f"{prefix}/min", rest.output[0]], [prefix], name=prefix, axis=-1
        ),
    ]


def _cap_last_mark(
    model: onnx.ModelProto, source: str, frames: int, marks: Iterable[int], prefix: str
) -> list[onnx.NodeProto]:
    """`prefix` := `source` with the last phoneme token's value at most `frames` when that
    token is in `marks` (the token before the closing pad)."""
    body = _last_axis_slice(model, f"{prefix}/body", source, 0, -2)
    last = _last_axis_slice(model, f"{prefix}/last", source, -2, -1)
    end = _last_axis_slice(model, f"{prefix}/end", source, -1, np.iinfo(np.int64).max)
    token = _last_axis_slice(model, f"{prefix}/token", TOKENS_INPUT, -2, -1)
    marks_name = add_int64(model, f"{prefix}/marks", sorted(set(marks)))
    frames_value = _float(model, f"{prefix}/frames", float(frames))
    unlimited = _float(model, f"{prefix}/unlimited", float(np.finfo(np.float32).max))
    all_axes = add_int64(model, f"{prefix}/all", [-1])
    steps: list[tuple[str, list[str], str, dict[str, int]]] = [
        # Equal gives booleans, ReduceMax wants numbers, Where wants booleans again
        ("Equal", [token.output[0], marks_name], "equal", {}),
        ("Cast", [f"{prefix}/equal"], "equal_float", {"to": onnx.TensorProto.FLOAT}),
        ("ReduceMax", [f"{prefix}/equal_float", all_axes], "is_mark", {}),
        ("Cast", [f"{prefix}/is_mark"], "is_mark_bool", {"to": onnx.TensorProto.BOOL}),
        ("Where", [f"{prefix}/is_mark_bool", frames_value, unlimited], "limit", {}),
        ("Min", [last.output[0], f"{prefix}/limit"], "min", {}),
    ]
    nodes = [body, last, end, token]
    for op_type, inputs, name, attributes in steps:
        node = helper.make_node(op_type, inputs, [f"{prefix}/{name}"], name=f"{prefix}/{name}")
        node.attribute.extend(
            helper.make_attribute(key, value) for key, value in attributes.items()
        )
        nodes.append(node)
    nodes.append(
        helper.make_node(
            "Concat", [body.output[0], f"{prefix}/min", end.output[0]], [prefix], prefix, axis=-1
        )
    )
    return nodes
