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
  alexnet-lrn.onnx    an AlexNet-style net at opset 9: strided Conv with pads, LRN, MaxPool,
                      Gemm with C, Dropout with its mask output
  mobilenet-block.onnx  a MobileNetV2-style stack: strided stem conv, an inverted residual block
                      (1x1 expand, 3x3 depthwise, 1x1 project, residual Add), a strided depthwise
                      separable pair, each conv followed by BatchNormalization and Relu6 (Clip)
                      or Relu, then pooling and a Gemm
  shufflenet-block.onnx  a ShuffleNet-style unit: grouped 1x1 convolutions (4 groups), a channel
                      shuffle (Reshape -> Transpose -> Reshape), a 3x3 depthwise convolution, BN
                      after each, the residual Add
  scaled-conv.onnx    per-channel scale and shift as separate Mul and Add after a Conv (and a
                      scalar Mul and a [1, N] Add after a Gemm), as some exporters write a
                      frozen normalization
  tf-same-pads.onnx   convolutions as TensorFlow exports them: auto_pad SAME_UPPER with stride 2 on
                      even inputs (pads differ between sides), a depthwise one too
  explicit-pads.onnx  padding as tf2onnx writes it: a zero Pad (pads as an input) before a strided
                      Conv (folded into the Conv's pads), a reflect Pad and an edge Pad before
                      convolutions (run as they are)
  upsample-value-info.onnx  Conv -> Upsample (opset 9) -> Conv with the exporter's value_info
                      (the tests rename Upsample to an unknown operator: the second Conv still
                      imports, its input shape taken from value_info)
  bert-encoder.onnx   a BERT encoder layer as torch.onnx writes it at opset 14: symbolic batch and
                      seq, an int64 attention_mask turned into an additive mask by Unsqueeze ->
                      Equal -> Expand (to a shape computed with Shape/Gather/Concat) -> Where, a
                      fused QKV projection cut by Split, heads by Reshape/Transpose with computed
                      shapes, decomposed LayerNorm (ReduceMean/Sub/Pow/Sqrt/Div/Mul/Add) twice,
                      erf GELU written out (Div/Erf/Add/Mul/Mul), and a pooler on the first token
                      (Slice -> Squeeze -> MatMul -> Tanh): two outputs
  conv1d-decoder.onnx 1-D convolutions (padded, strided, grouped, depthwise), Resize (nearest,
                      asymmetric) and a 1-D ConvTranspose, as audio and sequence models use them
  unet-block.onnx     a U-Net-style block: MaxPool with pads and ceil_mode, Resize (linear,
                      half_pixel, to given sizes), a skip Concat, a strided 2-D ConvTranspose, AveragePool
                      counting its pads, Relu6 as Clip(0, 6) and exact Gelu (opset 20)
  hostile-dims.onnx   a Gemm whose weight initializer claims dims [2^40, 2^40] (a product that
                      overflows 64 bits) with no data: refused before anything is allocated
  NAME.input.npy      the model's input (uniform in [-1, 1), seed 7)
  NAME.expected.npy   onnxruntime's output for it (CPU provider, fp32)
  NAME.inputs.npz, NAME.expected.npz  the same for models with several inputs or outputs
                      (bert-encoder at batch=2, seq=8), by name
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


def alexnet_lrn(classes=10):
    rng = np.random.default_rng(12)
    inits = [
        numpy_helper.from_array(weight(rng, (16, 3, 5, 5), 75), "conv1.weight"),
        numpy_helper.from_array((0.1 * rng.standard_normal(16)).astype(np.float32), "conv1.bias"),
        numpy_helper.from_array(weight(rng, (24, 16, 3, 3), 144), "conv2.weight"),
        numpy_helper.from_array((0.1 * rng.standard_normal(24)).astype(np.float32), "conv2.bias"),
        numpy_helper.from_array(weight(rng, (24 * 3 * 3, 64), 216), "fc1.weight"),
        numpy_helper.from_array((0.1 * rng.standard_normal(64)).astype(np.float32), "fc1.bias"),
        numpy_helper.from_array(weight(rng, (64, classes), 64), "fc2.weight"),
        numpy_helper.from_array((0.1 * rng.standard_normal(classes)).astype(np.float32), "fc2.bias"),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "conv1.weight", "conv1.bias"], ["c1"], name="conv1", pads=[2, 2, 2, 2], strides=[2, 2], kernel_shape=[5, 5]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("LRN", ["r1"], ["n1"], name="lrn1", size=5, alpha=1e-4, beta=0.75, bias=1.0),
        helper.make_node("MaxPool", ["n1"], ["p1"], name="pool1", kernel_shape=[3, 3], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "conv2.weight", "conv2.bias"], ["c2"], name="conv2", pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("LRN", ["r2"], ["n2"], name="lrn2", size=3, alpha=2e-4, beta=0.75, bias=2.0),
        helper.make_node("MaxPool", ["n2"], ["p2"], name="pool2", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["p2"], ["f"], name="flatten", axis=1),
        helper.make_node("Gemm", ["f", "fc1.weight", "fc1.bias"], ["g1"], name="fc1"),
        helper.make_node("Relu", ["g1"], ["h1"], name="relu3"),
        helper.make_node("Dropout", ["h1"], ["d1", "d1.mask"], name="dropout", ratio=0.5),
        helper.make_node("Gemm", ["d1", "fc2.weight", "fc2.bias"], ["g2"], name="fc2"),
        helper.make_node("Softmax", ["g2"], ["y"], name="softmax", axis=1),
    ]
    graph = helper.make_graph(nodes, "alexnet-lrn",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 28, 28])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, classes])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 9)], ir_version=4,
                             producer_name="tunebench generate-onnx-zoo-patterns.py")


def mobilenet_block(classes=10):
    rng = np.random.default_rng(14)
    inits, nodes = [], []
    six = [numpy_helper.from_array(np.array(0, np.float32), "zero"), numpy_helper.from_array(np.array(6, np.float32), "six")]

    def conv(name, x, cin, cout, k, stride=1, group=1, activation="clip"):
        inits.append(numpy_helper.from_array(weight(rng, (cout, cin // group, k, k), cin // group * k * k), f"{name}.weight"))
        inits.extend(batch_norm_parameters(rng, f"{name}.bn", cout))
        nodes.append(helper.make_node("Conv", [x, f"{name}.weight"], [f"{name}.c"], name=name, kernel_shape=[k, k],
                                      strides=[stride, stride], pads=[k // 2] * 4, group=group))
        nodes.append(batch_norm(f"{name}.bn", f"{name}.c", f"{name}.n"))
        if activation == "clip":
            nodes.append(helper.make_node("Clip", [f"{name}.n", "zero", "six"], [f"{name}.y"], name=f"{name}.relu6"))
        elif activation == "relu":
            nodes.append(helper.make_node("Relu", [f"{name}.n"], [f"{name}.y"], name=f"{name}.relu"))
        else:
            return f"{name}.n"
        return f"{name}.y"

    stem = conv("stem", "x", 3, 16, 3, stride=2)
    expand = conv("block.expand", stem, 16, 32, 1)
    dw = conv("block.dw", expand, 32, 32, 3, group=32)
    project = conv("block.project", dw, 32, 16, 1, activation=None)
    nodes.append(helper.make_node("Add", [stem, project], ["block.y"], name="block.residual"))
    dw2 = conv("down.dw", "block.y", 16, 16, 3, stride=2, group=16, activation="relu")
    pw2 = conv("down.pw", dw2, 16, 24, 1, activation="relu")
    inits += six + [numpy_helper.from_array(weight(rng, (classes, 24), 24), "fc.weight"),
                    numpy_helper.from_array((0.1 * rng.standard_normal(classes)).astype(np.float32), "fc.bias")]
    nodes += [
        helper.make_node("GlobalAveragePool", [pw2], ["p"], name="pool"),
        helper.make_node("Flatten", ["p"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["y"], name="fc", transB=1),
    ]
    graph = helper.make_graph(nodes, "mobilenet-block",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 32, 32])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, classes])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="tunebench generate-onnx-zoo-patterns.py")


def shufflenet_block(channels=16, groups=4, size=16, classes=10):
    rng = np.random.default_rng(16)
    inits = [
        numpy_helper.from_array(weight(rng, (channels, channels // groups, 1, 1), channels // groups), "g1.weight"),
        numpy_helper.from_array(weight(rng, (channels, 1, 3, 3), 9), "dw.weight"),
        numpy_helper.from_array(weight(rng, (channels, channels // groups, 1, 1), channels // groups), "g2.weight"),
        numpy_helper.from_array(np.array([1, groups, channels // groups, size, size], np.int64), "shuffle.split"),
        numpy_helper.from_array(np.array([1, channels, size, size], np.int64), "shuffle.merge"),
        numpy_helper.from_array(weight(rng, (classes, channels), channels), "fc.weight"),
    ] + batch_norm_parameters(rng, "bn1", channels) + batch_norm_parameters(rng, "bn2", channels) + batch_norm_parameters(rng, "bn3", channels)
    nodes = [
        helper.make_node("Conv", ["x", "g1.weight"], ["a"], name="g1", group=groups),
        batch_norm("bn1", "a", "a.bn"),
        helper.make_node("Relu", ["a.bn"], ["a.relu"], name="relu1"),
        helper.make_node("Reshape", ["a.relu", "shuffle.split"], ["s1"], name="shuffle.split"),
        helper.make_node("Transpose", ["s1"], ["s2"], name="shuffle.transpose", perm=[0, 2, 1, 3, 4]),
        helper.make_node("Reshape", ["s2", "shuffle.merge"], ["s3"], name="shuffle.merge"),
        helper.make_node("Conv", ["s3", "dw.weight"], ["d"], name="dw", pads=[1, 1, 1, 1], group=channels),
        batch_norm("bn2", "d", "d.bn"),
        helper.make_node("Conv", ["d.bn", "g2.weight"], ["b"], name="g2", group=groups),
        batch_norm("bn3", "b", "b.bn"),
        helper.make_node("Add", ["x", "b.bn"], ["r"], name="residual"),
        helper.make_node("Relu", ["r"], ["r.relu"], name="relu2"),
        helper.make_node("GlobalAveragePool", ["r.relu"], ["p"], name="pool"),
        helper.make_node("Flatten", ["p"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "fc.weight"], ["y"], name="fc", transB=1),
    ]
    graph = helper.make_graph(nodes, "shufflenet-block",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, channels, size, size])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, classes])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="tunebench generate-onnx-zoo-patterns.py")


def scaled_conv(classes=10):
    rng = np.random.default_rng(17)
    inits = [
        numpy_helper.from_array(weight(rng, (8, 3, 3, 3), 27), "conv.weight"),
        numpy_helper.from_array((1 + 0.3 * rng.standard_normal((1, 8, 1, 1))).astype(np.float32), "conv.scale"),
        numpy_helper.from_array((0.1 * rng.standard_normal((8, 1, 1))).astype(np.float32), "conv.shift"),
        numpy_helper.from_array(weight(rng, (8, classes), 8), "fc.weight"),
        numpy_helper.from_array((0.1 * rng.standard_normal(classes)).astype(np.float32), "fc.bias"),
        numpy_helper.from_array(np.array(0.5, np.float32), "fc.scale"),
        numpy_helper.from_array((0.1 * rng.standard_normal((1, classes))).astype(np.float32), "fc.shift"),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "conv.weight"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("Mul", ["c", "conv.scale"], ["c.scaled"], name="conv.scale"),
        helper.make_node("Add", ["conv.shift", "c.scaled"], ["c.shifted"], name="conv.shift"),
        helper.make_node("Relu", ["c.shifted"], ["r"], name="relu"),
        helper.make_node("GlobalAveragePool", ["r"], ["p"], name="pool"),
        helper.make_node("Flatten", ["p"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["g"], name="fc", beta=2.0),
        helper.make_node("Mul", ["g", "fc.scale"], ["g.scaled"], name="fc.scale"),
        helper.make_node("Add", ["g.scaled", "fc.shift"], ["y"], name="fc.shift"),
    ]
    graph = helper.make_graph(nodes, "scaled-conv",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 12, 12])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, classes])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="tunebench generate-onnx-zoo-patterns.py")


def tf_same_pads(classes=10):
    rng = np.random.default_rng(15)
    inits = [
        numpy_helper.from_array(weight(rng, (8, 3, 3, 3), 27), "conv.weight"),
        numpy_helper.from_array((0.1 * rng.standard_normal(8)).astype(np.float32), "conv.bias"),
        numpy_helper.from_array(weight(rng, (8, 1, 3, 3), 9), "dw.weight"),
        numpy_helper.from_array(weight(rng, (16, 8, 1, 1), 8), "pw.weight"),
        numpy_helper.from_array(weight(rng, (16, classes), 16), "fc.weight"),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "conv.weight", "conv.bias"], ["c"], name="conv", strides=[2, 2], auto_pad="SAME_UPPER"),
        helper.make_node("Relu", ["c"], ["r"], name="relu"),
        helper.make_node("Conv", ["r", "dw.weight"], ["d"], name="dw", strides=[2, 2], auto_pad="SAME_UPPER", group=8),
        helper.make_node("Conv", ["d", "pw.weight"], ["p"], name="pw", pads=[0, 1, 1, 0]),
        helper.make_node("GlobalAveragePool", ["p"], ["g"], name="pool"),
        helper.make_node("Flatten", ["g"], ["f"], name="flatten"),
        helper.make_node("MatMul", ["f", "fc.weight"], ["y"], name="fc"),
    ]
    graph = helper.make_graph(nodes, "tf-same-pads",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 32, 32])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, classes])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="tunebench generate-onnx-zoo-patterns.py")


def upsample_value_info():
    rng = np.random.default_rng(13)
    inits = [
        numpy_helper.from_array(weight(rng, (8, 4, 3, 3), 36), "conv1.weight"),
        numpy_helper.from_array(weight(rng, (8, 8, 3, 3), 72), "conv2.weight"),
        numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales"),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "conv1.weight"], ["c1"], name="conv1", pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
        helper.make_node("Upsample", ["c1", "scales"], ["u"], name="upsample", mode="nearest"),
        helper.make_node("Conv", ["u", "conv2.weight"], ["y"], name="conv2", pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
    ]
    graph = helper.make_graph(nodes, "upsample-value-info",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 16, 16])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 9)], ir_version=4,
                              producer_name="tunebench generate-onnx-zoo-patterns.py")
    return onnx.shape_inference.infer_shapes(model)  # the value_info an exporter writes


def hostile_dims():
    huge = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[1 << 40, 1 << 40], raw_data=b"")
    nodes = [helper.make_node("Gemm", ["x", "w"], ["y"], name="gemm")]
    graph = helper.make_graph(nodes, "hostile-dims", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 1 << 40])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [huge])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="tunebench generate-onnx-zoo-patterns.py")
    path = os.path.join(FIXTURES, "hostile-dims.onnx")
    onnx.save(model, path)  # not checked: the checker refuses it, on purpose
    print(f"wrote {os.path.relpath(path, ROOT)}")


def bert_encoder(hidden=64, heads=4, inner=256):
    rng = np.random.default_rng(17)
    head = hidden // heads
    f = lambda values: np.array(values, np.float32)
    inits = [
        numpy_helper.from_array(weight(rng, (hidden, 3 * hidden), hidden), "attn.qkv.weight"),
        numpy_helper.from_array((0.1 * rng.standard_normal(3 * hidden)).astype(np.float32), "attn.qkv.bias"),
        numpy_helper.from_array(weight(rng, (hidden, hidden), hidden), "attn.out.weight"),
        numpy_helper.from_array((0.1 * rng.standard_normal(hidden)).astype(np.float32), "attn.out.bias"),
        numpy_helper.from_array(weight(rng, (hidden, inner), hidden), "ffn.in.weight"),
        numpy_helper.from_array((0.1 * rng.standard_normal(inner)).astype(np.float32), "ffn.in.bias"),
        numpy_helper.from_array(weight(rng, (inner, hidden), inner), "ffn.out.weight"),
        numpy_helper.from_array((0.1 * rng.standard_normal(hidden)).astype(np.float32), "ffn.out.bias"),
        numpy_helper.from_array(weight(rng, (hidden, hidden), hidden), "pooler.weight"),
        numpy_helper.from_array((0.1 * rng.standard_normal(hidden)).astype(np.float32), "pooler.bias"),
        numpy_helper.from_array(np.array([hidden] * 3, np.int64), "qkv.split"),
        numpy_helper.from_array(np.array([0], np.int64), "zero"),
        numpy_helper.from_array(np.array([1], np.int64), "one"),
        numpy_helper.from_array(np.array(0, np.int64), "index0"),
        numpy_helper.from_array(np.array(1, np.int64), "index1"),
        numpy_helper.from_array(np.array([heads], np.int64), "heads"),
        numpy_helper.from_array(np.array([head], np.int64), "head_size"),
        numpy_helper.from_array(np.array([hidden], np.int64), "hidden_size"),
        numpy_helper.from_array(f(np.sqrt(head)), "scale"),
        numpy_helper.from_array(np.array(0, np.int64), "mask_zero"),
        numpy_helper.from_array(f(np.finfo(np.float32).min), "mask_min"),
        numpy_helper.from_array(f(0.0), "mask_keep"),
        numpy_helper.from_array(f(np.sqrt(2.0)), "sqrt2"),
        numpy_helper.from_array(f(1.0), "f_one"),
        numpy_helper.from_array(f(0.5), "f_half"),
        numpy_helper.from_array(f(2.0), "f_two"),
    ]
    for name in ["ln1", "ln2"]:
        inits += [
            numpy_helper.from_array((1 + 0.1 * rng.standard_normal(hidden)).astype(np.float32), f"{name}.gamma"),
            numpy_helper.from_array((0.1 * rng.standard_normal(hidden)).astype(np.float32), f"{name}.beta"),
            numpy_helper.from_array(f(1e-12), f"{name}.eps"),
        ]

    def layer_norm(name, x, y):
        return [
            helper.make_node("ReduceMean", [x], [f"{name}.mean"], name=f"{name}.mean", axes=[-1]),
            helper.make_node("Sub", [x, f"{name}.mean"], [f"{name}.centered"], name=f"{name}.sub"),
            helper.make_node("Pow", [f"{name}.centered", "f_two"], [f"{name}.squared"], name=f"{name}.pow"),
            helper.make_node("ReduceMean", [f"{name}.squared"], [f"{name}.var"], name=f"{name}.var", axes=[-1]),
            helper.make_node("Add", [f"{name}.var", f"{name}.eps"], [f"{name}.var_eps"], name=f"{name}.add_eps"),
            helper.make_node("Sqrt", [f"{name}.var_eps"], [f"{name}.std"], name=f"{name}.sqrt"),
            helper.make_node("Div", [f"{name}.centered", f"{name}.std"], [f"{name}.normalized"], name=f"{name}.div"),
            helper.make_node("Mul", [f"{name}.normalized", f"{name}.gamma"], [f"{name}.scaled"], name=f"{name}.mul"),
            helper.make_node("Add", [f"{name}.scaled", f"{name}.beta"], [y], name=f"{name}.add"),
        ]

    def split_heads(name, x, perm):
        return [
            helper.make_node("Concat", ["batch_1d", "seq_1d", "heads", "head_size"], [f"{name}.shape"], name=f"{name}.shape", axis=0),
            helper.make_node("Reshape", [x, f"{name}.shape"], [f"{name}.heads"], name=f"{name}.reshape"),
            helper.make_node("Transpose", [f"{name}.heads"], [f"{name}.t"], name=f"{name}.transpose", perm=perm),
        ]

    nodes = [
        # Shape arithmetic: batch and seq from the input's shape.
        helper.make_node("Shape", ["hidden"], ["hidden.shape"], name="shape"),
        helper.make_node("Gather", ["hidden.shape", "index0"], ["batch"], name="gather_batch", axis=0),
        helper.make_node("Gather", ["hidden.shape", "index1"], ["seq"], name="gather_seq", axis=0),
        helper.make_node("Unsqueeze", ["batch", "zero"], ["batch_1d"], name="unsqueeze_batch"),
        helper.make_node("Unsqueeze", ["seq", "zero"], ["seq_1d"], name="unsqueeze_seq"),
        # The mask: [B, S] ids -> [B, 1, S, S] additive.
        helper.make_node("Unsqueeze", ["attention_mask", "one"], ["mask3"], name="mask.unsqueeze1"),
        helper.make_node("Unsqueeze", ["mask3", "one"], ["mask4"], name="mask.unsqueeze2"),
        helper.make_node("Equal", ["mask4", "mask_zero"], ["masked"], name="mask.equal"),
        helper.make_node("Concat", ["batch_1d", "one", "seq_1d", "seq_1d"], ["mask.shape"], name="mask.shape", axis=0),
        helper.make_node("Expand", ["masked", "mask.shape"], ["masked_full"], name="mask.expand"),
        helper.make_node("Where", ["masked_full", "mask_min", "mask_keep"], ["additive_mask"], name="mask.where"),
        # Fused QKV, split.
        helper.make_node("MatMul", ["hidden", "attn.qkv.weight"], ["qkv.mm"], name="attn.qkv"),
        helper.make_node("Add", ["qkv.mm", "attn.qkv.bias"], ["qkv"], name="attn.qkv.bias_add"),
        helper.make_node("Split", ["qkv", "qkv.split"], ["q", "k", "v"], name="attn.split", axis=2),
    ] + split_heads("q", "q", [0, 2, 1, 3]) + split_heads("k", "k", [0, 2, 3, 1]) + split_heads("v", "v", [0, 2, 1, 3]) + [
        helper.make_node("MatMul", ["q.t", "k.t"], ["scores.raw"], name="attn.scores"),
        helper.make_node("Div", ["scores.raw", "scale"], ["scores.scaled"], name="attn.scale"),
        helper.make_node("Add", ["scores.scaled", "additive_mask"], ["scores"], name="attn.mask"),
        helper.make_node("Softmax", ["scores"], ["probs"], name="attn.softmax", axis=-1),
        helper.make_node("MatMul", ["probs", "v.t"], ["context.heads"], name="attn.context"),
        helper.make_node("Transpose", ["context.heads"], ["context.t"], name="attn.context.transpose", perm=[0, 2, 1, 3]),
        helper.make_node("Concat", ["batch_1d", "seq_1d", "hidden_size"], ["context.shape"], name="context.shape", axis=0),
        helper.make_node("Reshape", ["context.t", "context.shape"], ["context"], name="attn.context.reshape"),
        helper.make_node("MatMul", ["context", "attn.out.weight"], ["attn.mm"], name="attn.out"),
        helper.make_node("Add", ["attn.mm", "attn.out.bias"], ["attn.projected"], name="attn.out.bias_add"),
        helper.make_node("Add", ["attn.projected", "hidden"], ["attn.residual"], name="attn.residual"),
    ] + layer_norm("ln1", "attn.residual", "attn.output") + [
        helper.make_node("MatMul", ["attn.output", "ffn.in.weight"], ["ffn.mm"], name="ffn.in"),
        helper.make_node("Add", ["ffn.mm", "ffn.in.bias"], ["ffn.pre"], name="ffn.in.bias_add"),
        # GELU, x * 0.5 * (1 + erf(x / sqrt(2))), as transformers' gelu exports.
        helper.make_node("Div", ["ffn.pre", "sqrt2"], ["gelu.scaled"], name="gelu.div"),
        helper.make_node("Erf", ["gelu.scaled"], ["gelu.erf"], name="gelu.erf"),
        helper.make_node("Add", ["gelu.erf", "f_one"], ["gelu.plus"], name="gelu.add"),
        helper.make_node("Mul", ["ffn.pre", "gelu.plus"], ["gelu.product"], name="gelu.mul"),
        helper.make_node("Mul", ["gelu.product", "f_half"], ["ffn.act"], name="gelu.half"),
        helper.make_node("MatMul", ["ffn.act", "ffn.out.weight"], ["ffn.out.mm"], name="ffn.out"),
        helper.make_node("Add", ["ffn.out.mm", "ffn.out.bias"], ["ffn.projected"], name="ffn.out.bias_add"),
        helper.make_node("Add", ["ffn.projected", "attn.output"], ["ffn.residual"], name="ffn.residual"),
    ] + layer_norm("ln2", "ffn.residual", "last_hidden_state") + [
        # Pooler: the first token, a dense layer and tanh.
        helper.make_node("Slice", ["last_hidden_state", "zero", "one", "one"], ["first.3d"], name="pooler.slice"),
        helper.make_node("Squeeze", ["first.3d", "one"], ["first"], name="pooler.squeeze"),
        helper.make_node("MatMul", ["first", "pooler.weight"], ["pooler.mm"], name="pooler.dense"),
        helper.make_node("Add", ["pooler.mm", "pooler.bias"], ["pooler.pre"], name="pooler.bias_add"),
        helper.make_node("Tanh", ["pooler.pre"], ["pooler_output"], name="pooler.tanh"),
    ]
    graph = helper.make_graph(nodes, "bert-encoder",
                              [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", "seq", hidden]),
                               helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"])],
                              [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "seq", hidden]),
                               helper.make_tensor_value_info("pooler_output", TensorProto.FLOAT, ["batch", hidden])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)], producer_name="tunebench generate-onnx-zoo-patterns.py")


def conv1d_decoder():
    rng = np.random.default_rng(19)
    inits = [
        numpy_helper.from_array(weight(rng, (8, 4, 3), 12), "conv1.weight"),
        numpy_helper.from_array((0.1 * rng.standard_normal(8)).astype(np.float32), "conv1.bias"),
        numpy_helper.from_array(weight(rng, (8, 4, 5), 20), "conv2.weight"),
        numpy_helper.from_array(weight(rng, (8, 1, 3), 3), "dw.weight"),
        numpy_helper.from_array(np.array([], np.float32), "roi"),
        numpy_helper.from_array(np.array([1, 1, 2], np.float32), "scales"),
        numpy_helper.from_array(weight(rng, (8, 4, 4), 32), "deconv.weight"),
        numpy_helper.from_array((0.1 * rng.standard_normal(4)).astype(np.float32), "deconv.bias"),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "conv1.weight", "conv1.bias"], ["c1"], name="conv1", pads=[1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "conv2.weight"], ["c2"], name="conv2", strides=[2], pads=[2, 1], group=2),
        helper.make_node("Conv", ["c2", "dw.weight"], ["c3"], name="dw", pads=[1, 1], group=8, dilations=[1]),
        helper.make_node("Resize", ["c3", "roi", "scales"], ["up"], name="resize", mode="nearest",
                         coordinate_transformation_mode="asymmetric", nearest_mode="floor"),
        helper.make_node("ConvTranspose", ["up", "deconv.weight", "deconv.bias"], ["y"], name="deconv", strides=[2], pads=[1, 1]),
    ]
    graph = helper.make_graph(nodes, "conv1d-decoder",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4, 32])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4, 64])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="tunebench generate-onnx-zoo-patterns.py")


def unet_block():
    rng = np.random.default_rng(23)
    inits = [
        numpy_helper.from_array(weight(rng, (8, 3, 3, 3), 27), "down.weight"),
        numpy_helper.from_array((0.1 * rng.standard_normal(8)).astype(np.float32), "down.bias"),
        numpy_helper.from_array(weight(rng, (16, 8, 3, 3), 72), "mid.weight"),
        numpy_helper.from_array(np.array([], np.float32), "roi"),
        numpy_helper.from_array(np.array([1, 16, 15, 15], np.int64), "sizes"),
        numpy_helper.from_array(weight(rng, (8, 24, 1, 1), 24), "merge.weight"),
        numpy_helper.from_array((0.1 * rng.standard_normal(8)).astype(np.float32), "merge.bias"),
        numpy_helper.from_array(weight(rng, (8, 4, 2, 2), 32), "deconv.weight"),
        numpy_helper.from_array(np.array(0, np.float32), "clip.min"),
        numpy_helper.from_array(np.array(6, np.float32), "clip.max"),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "down.weight", "down.bias"], ["d"], name="down", pads=[1, 1, 1, 1]),
        helper.make_node("Clip", ["d", "clip.min", "clip.max"], ["d6"], name="relu6"),
        helper.make_node("MaxPool", ["d6"], ["p"], name="pool", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1),
        helper.make_node("Conv", ["p", "mid.weight"], ["m"], name="mid", pads=[1, 1, 1, 1]),
        helper.make_node("Gelu", ["m"], ["g"], name="gelu"),
        helper.make_node("Resize", ["g", "roi", "", "sizes"], ["u"], name="resize", mode="linear"),
        helper.make_node("Concat", ["u", "d6"], ["cat"], name="skip", axis=1),
        helper.make_node("Conv", ["cat", "merge.weight", "merge.bias"], ["merged"], name="merge"),
        helper.make_node("ConvTranspose", ["merged", "deconv.weight"], ["t"], name="deconv", strides=[2, 2], group=2),
        helper.make_node("AveragePool", ["t"], ["y"], name="avg", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=1),
    ]
    graph = helper.make_graph(nodes, "unet-block",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 15, 15])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 15, 15])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)], producer_name="tunebench generate-onnx-zoo-patterns.py")


def explicit_pads():
    rng = np.random.default_rng(29)
    inits = [
        numpy_helper.from_array(weight(rng, (8, 3, 3, 3), 27), "conv1.weight"),
        numpy_helper.from_array((0.1 * rng.standard_normal(8)).astype(np.float32), "conv1.bias"),
        numpy_helper.from_array(weight(rng, (8, 8, 3, 3), 72), "conv2.weight"),
        numpy_helper.from_array(weight(rng, (4, 8, 3, 3), 72), "conv3.weight"),
        numpy_helper.from_array(np.array([0, 0, 0, 0, 0, 0, 1, 1], np.int64), "pads.same"),
        numpy_helper.from_array(np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64), "pads.one"),
        numpy_helper.from_array(np.array(0, np.float32), "zero"),
    ]
    nodes = [
        helper.make_node("Pad", ["x", "pads.same", "zero"], ["x_padded"], name="pad_same", mode="constant"),
        helper.make_node("Conv", ["x_padded", "conv1.weight", "conv1.bias"], ["c1"], name="conv1", strides=[2, 2]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Pad", ["r1", "pads.one"], ["r1_reflect"], name="pad_reflect", mode="reflect"),
        helper.make_node("Conv", ["r1_reflect", "conv2.weight"], ["c2"], name="conv2"),
        helper.make_node("Pad", ["c2", "pads.one"], ["c2_edge"], name="pad_edge", mode="edge"),
        helper.make_node("Conv", ["c2_edge", "conv3.weight"], ["y"], name="conv3"),
    ]
    graph = helper.make_graph(nodes, "explicit-pads",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8, 8])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="tunebench generate-onnx-zoo-patterns.py")


def save_with_named_references(model, name, dims):
    """Several inputs or outputs: inputs and expected outputs as .npz archives by name; float
    inputs uniform in [-1, 1) (seed 7), integer ones 0 and 1 with every row starting at 1 (a
    padding mask)."""
    onnx.checker.check_model(model, full_check=True)
    path = os.path.join(FIXTURES, f"{name}.onnx")
    onnx.save(model, path)
    rng = np.random.default_rng(7)
    inputs = {}
    for value in model.graph.input:
        shape = [d.dim_value or dims[d.dim_param] for d in value.type.tensor_type.shape.dim]
        if value.type.tensor_type.elem_type == TensorProto.FLOAT:
            inputs[value.name] = rng.uniform(-1, 1, shape).astype(np.float32)
        else:
            mask = (rng.random(shape) < 0.75).astype(np.int64)
            mask[..., 0] = 1
            inputs[value.name] = mask
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    outputs = session.run(None, inputs)
    np.savez(os.path.join(FIXTURES, f"{name}.inputs.npz"), **inputs)
    np.savez(os.path.join(FIXTURES, f"{name}.expected.npz"),
             **{value.name: output.astype(np.float32) for value, output in zip(model.graph.output, outputs)})
    print(f"wrote {os.path.relpath(path, ROOT)} and its inputs and onnxruntime {onnxruntime.__version__} outputs {[list(o.shape) for o in outputs]}")


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
    save_with_reference(alexnet_lrn(), "alexnet-lrn")
    save_with_reference(mobilenet_block(), "mobilenet-block")
    save_with_reference(tf_same_pads(), "tf-same-pads")
    save_with_reference(shufflenet_block(), "shufflenet-block")
    save_with_reference(scaled_conv(), "scaled-conv")
    save_with_reference(conv1d_decoder(), "conv1d-decoder")
    save_with_reference(unet_block(), "unet-block")
    save_with_reference(explicit_pads(), "explicit-pads")
    save_with_named_references(bert_encoder(), "bert-encoder", {"batch": 2, "seq": 8})
    save_with_reference(upsample_value_info(), "upsample-value-info")
    hostile_dims()
