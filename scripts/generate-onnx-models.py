#!/usr/bin/env python3
"""Writes the small ONNX models tunebench's examples and tests use, with the onnx PyPI package
(pip install onnx numpy). Run once; the .onnx files are committed, so neither the tests nor CI
need Python packages. Deterministic: fixed seeds, so a rerun writes identical files.

  examples/onnx/mlp.onnx               Gemm (transB) + Relu, Gemm + Relu, MatMul + bias Add, Softmax; batch symbolic
  examples/onnx/cnn.onnx               Conv + bias + Relu, MaxPool, strided Conv, GlobalAveragePool, Flatten, Gemm
  examples/onnx/transformer-block.onnx LayerNorm, Q/K/V MatMul + Add, multi-head reshape/transpose, batched
                                       Q.K^T and P.V MatMuls, output projection, residuals, MLP with Gelu; batch and seq symbolic
  Tests/Fixtures/onnx/unsupported-op.onnx  a TopK between two Gemms (the second reads its output), and a custom-domain operator
  Tests/Fixtures/onnx/truncated.onnx       mlp.onnx cut in half
  Tests/Fixtures/onnx/not-onnx.onnx        text
  Tests/Fixtures/onnx/float-data.onnx      a Gemm whose weights are stored in float_data, not raw_data
"""
import os
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
EXAMPLES = os.path.join(ROOT, "examples", "onnx")
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures", "onnx")
OPSET = [helper.make_opsetid("", 20)]


def weight(rng, name, shape, fan_in):
    """Random weights at the scale a trained layer has (std 1/sqrt(fan_in))."""
    values = (rng.standard_normal(shape) / np.sqrt(fan_in)).astype(np.float32)
    return numpy_helper.from_array(values, name)


def save(model, directory, name):
    onnx.checker.check_model(model, full_check=True)
    path = os.path.join(directory, name)
    onnx.save(model, path)
    print(f"wrote {os.path.relpath(path, ROOT)} ({os.path.getsize(path)} bytes)")
    return path


def mlp():
    rng = np.random.default_rng(1)
    inits = [
        weight(rng, "fc1.weight", (128, 64), 64),   # PyTorch Linear layout [out, in]: Gemm transB=1
        weight(rng, "fc1.bias", (128,), 64),
        weight(rng, "fc2.weight", (128, 64), 128),  # [in, out]: Gemm without transpose
        weight(rng, "fc2.bias", (64,), 128),
        weight(rng, "fc3.weight", (64, 10), 64),    # MatMul then a bias Add
        weight(rng, "fc3.bias", (10,), 64),
    ]
    nodes = [
        helper.make_node("Gemm", ["x", "fc1.weight", "fc1.bias"], ["h1"], name="fc1", transB=1),
        helper.make_node("Relu", ["h1"], ["a1"], name="relu1"),
        helper.make_node("Gemm", ["a1", "fc2.weight", "fc2.bias"], ["h2"], name="fc2"),
        helper.make_node("Relu", ["h2"], ["a2"], name="relu2"),
        helper.make_node("MatMul", ["a2", "fc3.weight"], ["h3"], name="fc3"),
        helper.make_node("Add", ["h3", "fc3.bias"], ["logits"], name="fc3.bias_add"),
        helper.make_node("Softmax", ["logits"], ["y"], name="softmax", axis=-1),
    ]
    graph = helper.make_graph(nodes, "mlp",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 64])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 10])], inits)
    return helper.make_model(graph, opset_imports=OPSET, producer_name="tunebench generate-onnx-models.py")


def cnn():
    rng = np.random.default_rng(2)
    inits = [
        weight(rng, "conv1.weight", (16, 3, 3, 3), 27),
        weight(rng, "conv1.bias", (16,), 27),
        weight(rng, "conv2.weight", (32, 16, 3, 3), 144),
        weight(rng, "conv2.bias", (32,), 144),
        weight(rng, "fc.weight", (10, 32), 32),
        weight(rng, "fc.bias", (10,), 32),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "conv1.weight", "conv1.bias"], ["c1"], name="conv1", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "conv2.weight", "conv2.bias"], ["c2"], name="conv2", kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("GlobalAveragePool", ["r2"], ["g"], name="gap"),
        helper.make_node("Flatten", ["g"], ["f"], name="flatten", axis=1),
        helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["y"], name="fc", transB=1),
    ]
    graph = helper.make_graph(nodes, "small-cnn",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, 32, 32])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 10])], inits)
    return helper.make_model(graph, opset_imports=OPSET, producer_name="tunebench generate-onnx-models.py")


def transformer_block(d=64, heads=4, ffn=256):
    rng = np.random.default_rng(3)
    hd = d // heads
    inits = [
        numpy_helper.from_array(np.ones(d, np.float32), "ln1.scale"),
        numpy_helper.from_array(np.zeros(d, np.float32), "ln1.bias"),
        numpy_helper.from_array(np.ones(d, np.float32), "ln2.scale"),
        numpy_helper.from_array(np.zeros(d, np.float32), "ln2.bias"),
        numpy_helper.from_array(np.array([0, 0, heads, hd], np.int64), "heads_shape"),
        numpy_helper.from_array(np.array([0], np.int64), "axis0"),
        numpy_helper.from_array(np.array(0, np.int64), "index0"),
        numpy_helper.from_array(np.array(1, np.int64), "index1"),
        numpy_helper.from_array(np.array([d], np.int64), "model_width"),
        numpy_helper.from_array(np.array(1 / np.sqrt(hd), np.float32), "scale"),
    ]
    for name in ["q", "k", "v", "o"]:
        inits += [weight(rng, f"attn.{name}.weight", (d, d), d), weight(rng, f"attn.{name}.bias", (d,), d)]
    inits += [weight(rng, "mlp.fc1.weight", (d, ffn), d), weight(rng, "mlp.fc1.bias", (ffn,), d),
              weight(rng, "mlp.fc2.weight", (ffn, d), ffn), weight(rng, "mlp.fc2.bias", (d,), ffn)]
    nodes = [helper.make_node("LayerNormalization", ["x", "ln1.scale", "ln1.bias"], ["n1"], name="ln1", axis=-1)]
    for name in ["q", "k", "v"]:
        nodes += [
            helper.make_node("MatMul", ["n1", f"attn.{name}.weight"], [f"{name}0"], name=f"attn.{name}"),
            helper.make_node("Add", [f"{name}0", f"attn.{name}.bias"], [f"{name}1"], name=f"attn.{name}.bias_add"),
            helper.make_node("Reshape", [f"{name}1", "heads_shape"], [f"{name}2"], name=f"attn.{name}.split_heads"),
        ]
    nodes += [
        helper.make_node("Transpose", ["q2"], ["qh"], name="attn.q.transpose", perm=[0, 2, 1, 3]),  # [b, h, s, hd]
        helper.make_node("Transpose", ["k2"], ["kt"], name="attn.k.transpose", perm=[0, 2, 3, 1]),  # [b, h, hd, s]
        helper.make_node("Transpose", ["v2"], ["vh"], name="attn.v.transpose", perm=[0, 2, 1, 3]),
        helper.make_node("MatMul", ["qh", "kt"], ["scores"], name="attn.scores"),
        helper.make_node("Mul", ["scores", "scale"], ["scaled"], name="attn.scale"),
        helper.make_node("Softmax", ["scaled"], ["probs"], name="attn.softmax", axis=-1),
        helper.make_node("MatMul", ["probs", "vh"], ["ctx"], name="attn.context"),
        helper.make_node("Transpose", ["ctx"], ["ctx2"], name="attn.merge.transpose", perm=[0, 2, 1, 3]),
        # The merged shape computed at run time, as PyTorch exports do: [x.shape[0], x.shape[1], d].
        helper.make_node("Shape", ["x"], ["x_shape"], name="attn.merge.shape"),
        helper.make_node("Gather", ["x_shape", "index0"], ["batch_size"], name="attn.merge.batch", axis=0),
        helper.make_node("Gather", ["x_shape", "index1"], ["seq_len"], name="attn.merge.seq", axis=0),
        helper.make_node("Unsqueeze", ["batch_size", "axis0"], ["batch_1d"], name="attn.merge.batch_1d"),
        helper.make_node("Unsqueeze", ["seq_len", "axis0"], ["seq_1d"], name="attn.merge.seq_1d"),
        helper.make_node("Concat", ["batch_1d", "seq_1d", "model_width"], ["merged_shape"], name="attn.merge.concat", axis=0),
        helper.make_node("Reshape", ["ctx2", "merged_shape"], ["ctx3"], name="attn.merge_heads"),
        helper.make_node("MatMul", ["ctx3", "attn.o.weight"], ["o0"], name="attn.o"),
        helper.make_node("Add", ["o0", "attn.o.bias"], ["o1"], name="attn.o.bias_add"),
        helper.make_node("Add", ["x", "o1"], ["res1"], name="residual1"),
        helper.make_node("LayerNormalization", ["res1", "ln2.scale", "ln2.bias"], ["n2"], name="ln2", axis=-1),
        helper.make_node("MatMul", ["n2", "mlp.fc1.weight"], ["f0"], name="mlp.fc1"),
        helper.make_node("Add", ["f0", "mlp.fc1.bias"], ["f1"], name="mlp.fc1.bias_add"),
        helper.make_node("Gelu", ["f1"], ["f2"], name="mlp.gelu", approximate="tanh"),
        helper.make_node("MatMul", ["f2", "mlp.fc2.weight"], ["f3"], name="mlp.fc2"),
        helper.make_node("Add", ["f3", "mlp.fc2.bias"], ["f4"], name="mlp.fc2.bias_add"),
        helper.make_node("Add", ["res1", "f4"], ["y"], name="residual2"),
    ]
    graph = helper.make_graph(nodes, "transformer-block",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "seq", d])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", "seq", d])], inits)
    return helper.make_model(graph, opset_imports=OPSET, producer_name="tunebench generate-onnx-models.py")


def unsupported_op():
    rng = np.random.default_rng(4)
    inits = [weight(rng, "w1", (32, 16), 32), weight(rng, "w2", (4, 8), 4),
             numpy_helper.from_array(np.array([4], np.int64), "k")]
    nodes = [
        helper.make_node("Gemm", ["x", "w1"], ["h"], name="first"),
        helper.make_node("TopK", ["h", "k"], ["top", "indices"], name="topk", axis=-1),
        helper.make_node("Gemm", ["top", "w2"], ["y"], name="second"),  # depends on the unsupported TopK
        helper.make_node("FancyAttention", ["y"], ["z"], name="custom", domain="com.example"),
    ]
    graph = helper.make_graph(nodes, "unsupported",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [8, 32])],
                              [helper.make_tensor_value_info("z", TensorProto.FLOAT, None),
                               helper.make_tensor_value_info("top", TensorProto.FLOAT, None)], inits)
    model = helper.make_model(graph, opset_imports=OPSET + [helper.make_opsetid("com.example", 1)],
                              producer_name="tunebench generate-onnx-models.py")
    path = os.path.join(FIXTURES, "unsupported-op.onnx")
    onnx.save(model, path)  # not checked: the checker rejects the unknown custom operator, on purpose
    print(f"wrote {os.path.relpath(path, ROOT)}")


def float_data():
    values = np.arange(12, dtype=np.float32).reshape(4, 3) / 10
    w = helper.make_tensor("w", TensorProto.FLOAT, [4, 3], values.flatten().tolist(), raw=False)
    nodes = [helper.make_node("Gemm", ["x", "w"], ["y"], name="only")]
    graph = helper.make_graph(nodes, "float-data",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])], [w])
    save(helper.make_model(graph, opset_imports=OPSET, producer_name="tunebench generate-onnx-models.py"), FIXTURES, "float-data.onnx")


if __name__ == "__main__":
    os.makedirs(EXAMPLES, exist_ok=True)
    os.makedirs(FIXTURES, exist_ok=True)
    mlp_path = save(mlp(), EXAMPLES, "mlp.onnx")
    save(cnn(), EXAMPLES, "cnn.onnx")
    save(transformer_block(), EXAMPLES, "transformer-block.onnx")
    unsupported_op()
    float_data()
    with open(mlp_path, "rb") as f:
        data = f.read()
    with open(os.path.join(FIXTURES, "truncated.onnx"), "wb") as f:
        f.write(data[: len(data) // 2])
    with open(os.path.join(FIXTURES, "not-onnx.onnx"), "w") as f:
        f.write("this is a text file, not an ONNX model\n")
    print("wrote Tests/Fixtures/onnx/truncated.onnx and not-onnx.onnx")
