"""Edits of the Kokoro int8 graph, each a small named function that changes the model in place.

Two kinds: duration caps, which stop the model generating silence that kokoro-onnx trims
away afterwards (they change the audio, so derive.py checks the result against the
original), and rewrites that change no mathematics, only how onnxruntime runs it.
"""

from __future__ import annotations

from collections import defaultdict
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


def _producers(model: onnx.ModelProto) -> dict[str, onnx.NodeProto]:
    return {output: node for node in model.graph.node for output in node.output}


def _consumers(model: onnx.ModelProto) -> dict[str, list[onnx.NodeProto]]:
    found: dict[str, list[onnx.NodeProto]] = defaultdict(list)
    for node in model.graph.node:
        for value in node.input:
            found[value].append(node)
    return found


def _constant(model: onnx.ModelProto, name: str) -> np.ndarray | None:
    for tensor in model.graph.initializer:
        if tensor.name == name:
            return numpy_helper.to_array(tensor)
    return None


def duration_node(model: onnx.ModelProto) -> onnx.NodeProto:
    """The node whose output is each token's duration in frames: found by its shape,
    Clip(Round(ReduceSum(Sigmoid(...)) / speed), min 1), not by its name."""
    producers = _producers(model)
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
        low = _constant(model, node.input[1]) if len(node.input) > 1 else None
        is_sigmoid = squashed is not None and squashed.op_type == "Sigmoid"
        if is_sigmoid and low is not None and low.size == 1 and float(low) == 1.0:
            found.append(node)
    if len(found) != 1:
        raise GraphMismatch(f"expected one token-duration node, found {len(found)}")
    return found[0]


def _int64(model: onnx.ModelProto, name: str, values: Iterable[int]) -> str:
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
    starts = _int64(model, f"{prefix}_starts", [start])
    ends = _int64(model, f"{prefix}_ends", [end])
    axes = _int64(model, f"{prefix}_axes", [-1])
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
    """Cap the durations of the tokens that kokoro-onnx trims as silence: the pad token
    before the phonemes (0.4-0.5 s otherwise) and, with `trailing_frames`, a punctuation
    mark (a token in `marks`) that ends the text. Both kinds of durations become outputs,
    so a check can place the phonemes in the audio."""
    durations = duration_node(model)
    raw = durations.output[0]
    readers = [node for node in model.graph.node if raw in node.input]
    if any(output.name == raw for output in model.graph.output) or not readers:
        raise GraphMismatch("the token durations are not read only inside the graph")
    build = [helper.make_node("Identity", [raw], [RAW_DURATIONS], name=RAW_DURATIONS)]
    build += _cap_first(model, RAW_DURATIONS, leading_frames, "/polytts/lead_cap")
    capped = "/polytts/lead_cap"
    if trailing_frames is not None:
        build += _cap_last_mark(model, capped, trailing_frames, marks, "/polytts/trail_cap")
        capped = "/polytts/trail_cap"
    build.append(helper.make_node("Identity", [capped], [CAPPED_DURATIONS], name=CAPPED_DURATIONS))
    for reader in readers:
        for index, value in enumerate(reader.input):
            if value == raw:
                reader.input[index] = CAPPED_DURATIONS
    position = list(model.graph.node).index(durations) + 1
    for offset, node in enumerate(build):
        model.graph.node.insert(position + offset, node)
    for name in (RAW_DURATIONS, CAPPED_DURATIONS):
        value = helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, [None, None])
        model.graph.output.append(value)


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
    marks_name = _int64(model, f"{prefix}/marks", sorted(set(marks)))
    frames_value = _float(model, f"{prefix}/frames", float(frames))
    unlimited = _float(model, f"{prefix}/unlimited", float(np.finfo(np.float32).max))
    all_axes = _int64(model, f"{prefix}/all", [-1])
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


def fuse_instance_norm(model: onnx.ModelProto) -> int:
    """(x - mean) / sqrt(var + eps) * scale + bias over time, per channel, as one
    InstanceNormalization node: the same arithmetic in one kernel (batch of one)."""
    producers = _producers(model)
    consumers = _consumers(model)
    replacements: dict[str, list[onnx.NodeProto]] = {}
    removed: set[str] = set()
    for final in model.graph.node:
        chain = _normalisation_chain(model, final, producers)
        if chain is None:
            continue
        mean, epsilon, affine = chain[0], chain[4], chain[7]
        names = {node.name for node in chain}
        if any(
            {reader.name for reader in consumers[value]} - names
            for node in chain[:-1]
            for value in node.output
        ):
            continue
        prefix = f"/polytts/instance_norm_{len(replacements)}"
        axes = _int64(model, f"{prefix}/axes", [0, 2])
        replacements[final.name] = [
            helper.make_node("Squeeze", [affine.input[0], axes], [f"{prefix}/scale"]),
            helper.make_node("Squeeze", [final.input[1], axes], [f"{prefix}/bias"]),
            helper.make_node(
                "InstanceNormalization",
                [mean.input[0], f"{prefix}/scale", f"{prefix}/bias"],
                list(final.output),
                name=prefix,
                epsilon=float(_constant(model, epsilon.input[1])),  # type: ignore[arg-type]
            ),
        ]
        replacements[final.name][0].name = f"{prefix}/scale"
        replacements[final.name][1].name = f"{prefix}/bias"
        removed |= names
    _splice(model, replacements, removed)
    return len(replacements)


def _normalisation_chain(
    model: onnx.ModelProto, final: onnx.NodeProto, producers: dict[str, onnx.NodeProto]
) -> list[onnx.NodeProto] | None:
    """ReduceMean, Sub, Mul, ReduceMean, Add, Sqrt, Div, Mul, Add ending at `final`, over the
    last axis of a [1, C, T] tensor, or None."""
    if final.op_type != "Add" or not final.name.startswith(VOCODER):
        return None
    try:
        affine = producers[final.input[0]]
        divide = producers[affine.input[1]]
        centered = producers[divide.input[0]]
        mean = producers[centered.input[1]]
        sqrt = producers[divide.input[1]]
        epsilon = producers[sqrt.input[0]]
        variance = producers[epsilon.input[0]]
        square = producers[variance.input[0]]
    except (KeyError, IndexError):
        return None
    chain = [mean, centered, square, variance, epsilon, sqrt, divide, affine, final]
    shape = ["ReduceMean", "Sub", "Mul", "ReduceMean", "Add", "Sqrt", "Div", "Mul", "Add"]
    if [node.op_type for node in chain] != shape:
        return None
    if list(square.input) != [centered.output[0]] * 2 or mean.input[0] != centered.input[0]:
        return None
    for reduce in (mean, variance):
        axes = _constant(model, reduce.input[1]) if len(reduce.input) > 1 else None
        keepdims = next((a.i for a in reduce.attribute if a.name == "keepdims"), 1)
        if axes is None or axes.ravel().tolist() not in ([-1], [2]) or keepdims != 1:
            return None
    eps = _constant(model, epsilon.input[1])
    if eps is None or eps.size != 1:
        return None
    return chain


def square_as_mul(model: onnx.ModelProto) -> int:
    """Pow(x, 2) as Mul(x, x) in the vocoder: the same product without a general power."""
    count = 0
    for node in model.graph.node:
        if node.op_type != "Pow" or not node.name.startswith(VOCODER):
            continue
        exponent = _constant(model, node.input[1])
        if exponent is not None and exponent.size == 1 and float(exponent) == 2.0:
            node.op_type = "Mul"
            node.input[1] = node.input[0]
            count += 1
    return count


def _splice(
    model: onnx.ModelProto, replacements: dict[str, list[onnx.NodeProto]], removed: set[str]
) -> None:
    nodes: list[onnx.NodeProto] = []
    for node in model.graph.node:
        if node.name in replacements:
            nodes.extend(replacements[node.name])
        elif node.name not in removed:
            nodes.append(node)
    del model.graph.node[:]
    model.graph.node.extend(nodes)
