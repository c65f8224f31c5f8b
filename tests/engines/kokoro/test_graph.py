"""The graph edits on small graphs shaped like the parts of Kokoro they touch."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper, numpy_helper

from wyoming_polytts.engines.kokoro import graph, rewrites

PERIOD, EXCLAMATION = 4, 5
MARKS = (PERIOD, EXCLAMATION)
WIDTH = 30
"""Durations are sums of this many sigmoids: the pad token (id 0) gets 15 frames."""


def durations_model(clip_name: str = "/encoder/Clip") -> onnx.ModelProto:
    """tokens -> Clip(Round(ReduceSum(Sigmoid(tokens x ones)) / speed), 1) -> a reader, whose
    output is the durations the rest of the graph would be given, and a vocoder whose two
    entries read features numbered 0, 1, 2, ... at twice the frame rate (audio: twice them)."""
    vocoder = [
        helper.make_node("ReduceSum", ["durations", "last"], ["total"], keepdims=0),
        helper.make_node("Mul", ["total", "two"], ["steps"]),
        helper.make_node("Cast", ["steps"], ["steps_int"], to=TensorProto.INT64),
        helper.make_node("Squeeze", ["steps_int"], ["length"]),
        helper.make_node("Range", ["zero", "length", "step"], ["indices"]),
        helper.make_node("Cast", ["indices"], ["values"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["values", "front"], ["features"]),
        helper.make_node("LeakyRelu", ["features"], ["a"], name=graph.VOCODER + "LeakyRelu"),
        helper.make_node("Identity", ["features"], ["b"], name=graph.VOCODER + "f0_upsamp/Resize"),
        helper.make_node("Add", ["a", "b"], ["audio"], name=graph.VOCODER + "Add"),
    ]
    nodes = [
        helper.make_node("Cast", ["tokens"], ["ids"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["ids", "last"], ["column"]),
        helper.make_node("Mul", ["column", "ones"], ["logits"]),
        helper.make_node("Sigmoid", ["logits"], ["sigmoid"]),
        helper.make_node("ReduceSum", ["sigmoid", "last"], ["sum"], keepdims=0),
        helper.make_node("Div", ["sum", "speed"], ["scaled"]),
        helper.make_node("Round", ["scaled"], ["rounded"]),
        helper.make_node("Clip", ["rounded", "one"], ["durations"], name=clip_name),
        helper.make_node("Cast", ["durations"], ["frames"], name="reader", to=TensorProto.INT64),
        *vocoder,
    ]
    initializers = [
        numpy_helper.from_array(np.array([-1], np.int64), "last"),
        numpy_helper.from_array(np.array([0, 1], np.int64), "front"),
        numpy_helper.from_array(np.ones((1, 1, WIDTH), np.float32), "ones"),
        numpy_helper.from_array(np.array(1.0, np.float32), "one"),
        numpy_helper.from_array(np.array(2.0, np.float32), "two"),
        numpy_helper.from_array(np.array(0, np.int64), "zero"),
        numpy_helper.from_array(np.array(1, np.int64), "step"),
    ]
    model_graph = helper.make_graph(
        nodes,
        "durations",
        [
            helper.make_tensor_value_info("tokens", TensorProto.INT64, [1, None]),
            helper.make_tensor_value_info("speed", TensorProto.FLOAT, [1]),
        ],
        [
            helper.make_tensor_value_info("frames", TensorProto.INT64, [1, None]),
            helper.make_tensor_value_info("audio", TensorProto.FLOAT, [1, 1, "time"]),
        ],
        initializers,
        value_info=[helper.make_tensor_value_info("a", TensorProto.FLOAT, [1, 1, "time"])],
    )
    return helper.make_model(model_graph, opset_imports=[helper.make_opsetid("", 20)])


def run(model: onnx.ModelProto, tokens: list[int], output: str = "frames") -> np.ndarray:
    session = onnxruntime.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    inputs = {"tokens": np.array([tokens], np.int64), "speed": np.ones(1, np.float32)}
    return np.ravel(session.run([output], inputs)[0])


@pytest.mark.parametrize(
    ("tokens", "trailing", "trailing_change"),
    [
        ([0, 30, 31, EXCLAMATION, 0], 3, {3: 3}),
        ([0, 30, 31, 32, 0], 3, {}),  # no mark at the end: only the pad is capped
        ([0, 30, PERIOD, 31, 0], 3, {}),  # a mark inside is left alone
        ([0, PERIOD, 0], 3, {1: 3}),  # one token, and it is a mark
        ([0, 30, 31, PERIOD, 0], None, {}),
    ],
)
def test_the_vocoder_skips_the_pad_and_the_caps_change_only_silent_tokens(
    tokens: list[int], trailing: int | None, trailing_change: dict[int, int]
) -> None:
    model = durations_model()
    before = run(model, tokens)
    assert before[0] == WIDTH // 2  # the pad token's long silence
    graph.cap_silent_durations(model, 6, trailing, MARKS)
    onnx.checker.check_model(model)
    decoded = before.copy()
    for index, frames in trailing_change.items():
        decoded[index] = frames
    spoken = decoded.copy()
    spoken[0] = 6
    # The decoder keeps the pad; the audio is as long as the capped durations say
    assert run(model, tokens).tolist() == decoded.tolist()
    assert run(model, tokens, graph.RAW_DURATIONS).tolist() == before.tolist()
    assert run(model, tokens, graph.CAPPED_DURATIONS).tolist() == spoken.tolist()
    skipped = graph.FEATURES_PER_FRAME * (decoded[0] - spoken[0])
    features = np.arange(skipped, graph.FEATURES_PER_FRAME * decoded.sum())
    assert run(model, tokens, "audio").tolist() == (2 * features).tolist()
    assert len(features) == graph.FEATURES_PER_FRAME * spoken.sum()
    assert all(
        dim.dim_param == "time_vocoder"
        for value in (*model.graph.value_info, *model.graph.output)
        if value.name in ("a", "audio")
        for dim in value.type.tensor_type.shape.dim[2:]
    )


def test_a_pad_shorter_than_the_cap_is_spoken_whole() -> None:
    model = durations_model()
    graph.cap_silent_durations(model, WIDTH, 3, MARKS)
    tokens = [0, 30, 31, PERIOD, 0]
    capped = run(model, tokens, graph.CAPPED_DURATIONS)
    assert capped[0] == WIDTH // 2
    assert run(model, tokens, "audio")[0] == 0  # nothing skipped


def test_a_graph_without_the_vocoder_entries_is_refused() -> None:
    model = durations_model()
    for node in model.graph.node:
        if node.name == graph.VOCODER + "LeakyRelu":
            node.name = "/elsewhere/LeakyRelu"
    with pytest.raises(graph.GraphMismatch):
        graph.cap_silent_durations(model, 6, 3, MARKS)


def test_the_durations_are_found_by_their_shape_not_their_name() -> None:
    renamed = durations_model(clip_name="/something/else")
    assert graph.duration_node(renamed).name == "/something/else"
    without = durations_model()
    without.graph.node[6].op_type = "Floor"  # Round -> Floor: not the durations any more
    with pytest.raises(graph.GraphMismatch):
        graph.duration_node(without)


def normalisation_model() -> onnx.ModelProto:
    """A per-channel normalisation over time with a style scale and bias, as the vocoder's
    AdaIN writes it, then a square as Pow(x, 2)."""
    scope = graph.VOCODER + "block/"
    nodes = [
        helper.make_node("ReduceMean", ["x", "axes"], ["mean"], name=scope + "mean"),
        helper.make_node("Sub", ["x", "mean"], ["centered"], name=scope + "sub"),
        helper.make_node("Mul", ["centered", "centered"], ["square"], name=scope + "square"),
        helper.make_node("ReduceMean", ["square", "axes"], ["variance"], name=scope + "var"),
        helper.make_node("Add", ["variance", "eps"], ["shifted"], name=scope + "eps"),
        helper.make_node("Sqrt", ["shifted"], ["deviation"], name=scope + "sqrt"),
        helper.make_node("Div", ["centered", "deviation"], ["normal"], name=scope + "div"),
        helper.make_node("Mul", ["scale", "normal"], ["scaled"], name=scope + "scale"),
        helper.make_node("Add", ["scaled", "bias"], ["styled"], name=scope + "bias"),
        helper.make_node("Pow", ["styled", "two"], ["y"], name=scope + "pow"),
    ]
    rng = np.random.default_rng(1)
    initializers = [
        numpy_helper.from_array(np.array([-1], np.int64), "axes"),
        numpy_helper.from_array(np.array(1e-5, np.float32), "eps"),
        numpy_helper.from_array(rng.normal(size=(1, 4, 1)).astype(np.float32), "scale"),
        numpy_helper.from_array(rng.normal(size=(1, 4, 1)).astype(np.float32), "bias"),
        numpy_helper.from_array(np.array(2.0, np.float32), "two"),
    ]
    model_graph = helper.make_graph(
        nodes,
        "norm",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, None])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, None])],
        initializers,
    )
    return helper.make_model(model_graph, opset_imports=[helper.make_opsetid("", 20)])


def test_algebraic_rewrites_keep_the_result() -> None:
    x = np.random.default_rng(2).normal(size=(1, 4, 50)).astype(np.float32)

    def output(model: onnx.ModelProto) -> np.ndarray:
        session = onnxruntime.InferenceSession(
            model.SerializeToString(), providers=["CPUExecutionProvider"]
        )
        return np.asarray(session.run(None, {"x": x})[0])

    model = normalisation_model()
    before = output(model)
    assert rewrites.fuse_instance_norm(model) == 1
    assert rewrites.square_as_mul(model) == 1
    onnx.checker.check_model(model)
    assert [node.op_type for node in model.graph.node] == [
        "Squeeze",
        "Squeeze",
        "InstanceNormalization",
        "Mul",
    ]
    np.testing.assert_allclose(output(model), before, rtol=1e-4, atol=1e-4)
