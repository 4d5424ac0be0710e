#!/usr/bin/env python3
"""Writes ONNX test models that reproduce what model zoos and exporters emit, with reference
outputs from onnxruntime, into Tests/Fixtures/onnx/ (pip install onnx onnxruntime numpy; the
files are committed, so neither the tests nor CI need Python packages). Deterministic: fixed
seeds, so a rerun writes identical models, inputs and (for one onnxruntime version) outputs.

  resnet-block.onnx   a ResNet-style basic block and head, as older exporters write it: a conv
                      weight behind Constant -> Cast -> Identity, another behind a Reshape of a
                      flat initializer, BatchNormalization after both convolutions and after the
                      final Gemm, an inference Dropout, the residual as Sum, an Identity before
                      the pooling
  NAME.input.npy      the model's input (uniform in [-1, 1), seed 7)
  NAME.expected.npy   onnxruntime's output for it (CPU provider, fp32)
"""
import os
import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures", "onnx")


def weight(rng, shape, fan_in):
    return (rng.standard_normal(shape) / np.sqrt(fan_in)).astype(np.float32)


def batch_norm_parameters(rng, name, channels):
    """Trained-looking statistics: scale near 1, shift near 0, positive variances."""
    return [
        numpy_helper.from_array((1 + 0.2 * rng.standard_normal(channels)).astype(np.float32), f"{name}.scale"),
        numpy_helper.from_array((0.1 * rng.standard_normal(channels)).astype(np.float32), f"{name}.shift"),
        numpy_helper.from_array((0.1 * rng.standard_normal(channels)).astype(np.float32), f"{name}.mean"),
        numpy_helper.from_array((0.5 + rng.random(channels)).astype(np.float32), f"{name}.var"),
    ]


def batch_norm(name, x, y):
    return helper.make_node("BatchNormalization", [x, f"{name}.scale", f"{name}.shift", f"{name}.mean", f"{name}.var"], [y],
                            name=name, epsilon=1e-5)


def resnet_block(channels=8, size=16, classes=10):
    rng = np.random.default_rng(11)
    conv_a = weight(rng, (channels, channels, 3, 3), channels * 9)
    conv_b = weight(rng, (channels, channels, 3, 3), channels * 9)
    inits = [
        numpy_helper.from_array(conv_b.flatten(), "conv_b.flat_weight"),
        numpy_helper.from_array(np.array(conv_b.shape, np.int64), "conv_b.weight_shape"),
        numpy_helper.from_array((0.1 * rng.standard_normal(channels)).astype(np.float32), "conv_b.bias"),
        numpy_helper.from_array(weight(rng, (classes, channels), channels), "fc.weight"),
        numpy_helper.from_array((0.1 * rng.standard_normal(classes)).astype(np.float32), "fc.bias"),
    ] + batch_norm_parameters(rng, "bn_a", channels) + batch_norm_parameters(rng, "bn_b", channels) + batch_norm_parameters(rng, "bn_fc", classes)
    nodes = [
        # The weight as a float16 Constant, cast to float and passed through an Identity.
        helper.make_node("Constant", [], ["conv_a.weight_half"], name="conv_a.weight_constant",
                         value=numpy_helper.from_array(conv_a.astype(np.float16), "conv_a.weight_half")),
        helper.make_node("Cast", ["conv_a.weight_half"], ["conv_a.weight_float"], name="conv_a.cast", to=TensorProto.FLOAT),
        helper.make_node("Identity", ["conv_a.weight_float"], ["conv_a.weight"], name="conv_a.identity"),
        helper.make_node("Conv", ["x", "conv_a.weight"], ["a1"], name="conv_a", pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
        batch_norm("bn_a", "a1", "a2"),
        helper.make_node("Relu", ["a2"], ["a3"], name="relu_a"),
        helper.make_node("Dropout", ["a3"], ["a4", "a4.mask"], name="dropout"),
        helper.make_node("Reshape", ["conv_b.flat_weight", "conv_b.weight_shape"], ["conv_b.weight"], name="conv_b.weight_reshape"),
        helper.make_node("Conv", ["a4", "conv_b.weight", "conv_b.bias"], ["b1"], name="conv_b", pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
        batch_norm("bn_b", "b1", "b2"),
        helper.make_node("Sum", ["x", "b2"], ["s"], name="residual"),
        helper.make_node("Relu", ["s"], ["r"], name="relu_out"),
        helper.make_node("Identity", ["r"], ["r2"], name="identity"),
        helper.make_node("GlobalAveragePool", ["r2"], ["p"], name="pool"),
        helper.make_node("Flatten", ["p"], ["f"], name="flatten", axis=1),
        helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["g"], name="fc", transB=1),
        batch_norm("bn_fc", "g", "y"),
    ]
    graph = helper.make_graph(nodes, "resnet-block",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, channels, size, size])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, classes])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="tunebench generate-onnx-zoo-patterns.py")


def save_with_reference(model, name):
    onnx.checker.check_model(model, full_check=True)
    path = os.path.join(FIXTURES, f"{name}.onnx")
    onnx.save(model, path)
    shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    x = np.random.default_rng(7).uniform(-1, 1, shape).astype(np.float32)
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    (y,) = session.run(None, {model.graph.input[0].name: x})
    np.save(os.path.join(FIXTURES, f"{name}.input.npy"), x)
    np.save(os.path.join(FIXTURES, f"{name}.expected.npy"), y.astype(np.float32))
    print(f"wrote {os.path.relpath(path, ROOT)} and its input and onnxruntime {onnxruntime.__version__} output {list(y.shape)}")


if __name__ == "__main__":
    os.makedirs(FIXTURES, exist_ok=True)
    save_with_reference(resnet_block(), "resnet-block")
