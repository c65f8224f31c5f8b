"""Rewrites of the Kokoro graph that change no mathematics, only how onnxruntime runs it.

Measured and not kept (README, Benchmark); `Derivation` can still apply them.
"""

from __future__ import annotations

from collections import defaultdict

import onnx
from onnx import helper

from . import graph


def _consumers(model: onnx.ModelProto) -> dict[str, list[onnx.NodeProto]]:
    found: dict[str, list[onnx.NodeProto]] = defaultdict(list)
    for node in model.graph.node:
        for value in node.input:
            found[value].append(node)
    return found


def fuse_instance_norm(model: onnx.ModelProto) -> int:
    """(x - mean) / sqrt(var + eps) * scale + bias over time, per channel, as one
    InstanceNormalization node: the same arithmetic in one kernel (batch of one)."""
    producers = graph.producers_of(model)
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
        axes = graph.add_int64(model, f"{prefix}/axes", [0, 2])
        replacements[final.name] = [
            helper.make_node("Squeeze", [affine.input[0], axes], [f"{prefix}/scale"]),
            helper.make_node("Squeeze", [final.input[1], axes], [f"{prefix}/bias"]),
            helper.make_node(
                "InstanceNormalization",
                [mean.input[0], f"{prefix}/scale", f"{prefix}/bias"],
                list(final.output),
                name=prefix,
                epsilon=float(graph.constant(model, epsilon.input[1])),  # type: ignore[arg-type]
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
    if final.op_type != "Add" or not final.name.startswith(graph.VOCODER):
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
        axes = graph.constant(model, reduce.input[1]) if len(reduce.input) > 1 else None
        keepdims = next((a.i for a in reduce.attribute if a.name == "keepdims"), 1)
        if axes is None or axes.ravel().tolist() not in ([-1], [2]) or keepdims != 1:
            return None
    eps = graph.constant(model, epsilon.input[1])
    if eps is None or eps.size != 1:
        return None
    return chain


def square_as_mul(model: onnx.ModelProto) -> int:
    """Pow(x, 2) as Mul(x, x) in the vocoder: the same product without a general power."""
    count = 0
    for node in model.graph.node:
        if node.op_type != "Pow" or not node.name.startswith(graph.VOCODER):
            continue
        exponent = graph.constant(model, node.input[1])
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
