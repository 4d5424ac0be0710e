#!/usr/bin/env python3
"""Writes quantized ONNX models as onnxruntime's quantizer writes them (and Optimum, Olive and
NNCF through it) into Tests/Fixtures/onnx/, each with an input and the output tunebench's
import must compute (pip install onnx onnxruntime numpy; the files are committed, so neither
the tests nor CI need Python packages). Deterministic: fixed seeds and calibration data.

  quantized-mlp-qdq.onnx      MatMul -> Add -> Relu -> MatMul quantized statically in the QDQ
                              format: int8 weights per channel behind DequantizeLinear, int8
                              activations as QuantizeLinear -> DequantizeLinear pairs; the
                              quantizer drops the Relu (the pair after Add clips at 0)
  quantized-cnn-qdq.onnx      Conv -> Relu -> Conv -> Relu -> GlobalAveragePool -> Flatten -> Gemm,
                              QDQ with uint8 activations, per-channel weights and int32 biases
  quantized-mlp-dynamic.onnx  the MLP quantized dynamically: DynamicQuantizeLinear ->
                              MatMulInteger (int8 weights) -> Cast -> Mul by the scales' product
  quantized-mlp-qoperator.onnx, quantized-cnn-qoperator.onnx  the same quantizations in the
                              QOperator format (QLinearMatMul, QLinearConv, com.microsoft QLinearAdd,
                              QLinearGlobalAveragePool, QGemm). The CNN's float graph is the QDQ
                              CNN's (its expected output); the MLP's bias is quantized otherwise than
                              in QDQ, so its expected output is the float MLP on the weights it holds
  NAME.input.npy              the input (uniform in [-1, 1), seed 7)
  NAME.expected.npy           onnxruntime's output of the float graph tunebench imports: the same
                              model with each quantized weight dequantized by DequantizeLinear, each
                              activation pair removed (a Relu where its range starts at 0 after an
                              operator a dropped Relu could have followed), each dynamic MatMulInteger
                              a MatMul on its dequantized weights
"""
import os
import tempfile
import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_dynamic, quantize_static

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures", "onnx")


def mlp():
    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array((rng.standard_normal((64, 128)) / 8).astype(np.float32), "fc1.weight"),
             numpy_helper.from_array((rng.standard_normal(128) / 10).astype(np.float32), "fc1.bias"),
             numpy_helper.from_array((rng.standard_normal((128, 32)) / 11).astype(np.float32), "fc2.weight")]
    nodes = [helper.make_node("MatMul", ["x", "fc1.weight"], ["h"], name="fc1"), helper.make_node("Add", ["h", "fc1.bias"], ["h_biased"], name="fc1_bias"),
             helper.make_node("Relu", ["h_biased"], ["h_relu"], name="relu"), helper.make_node("MatMul", ["h_relu", "fc2.weight"], ["y"], name="fc2")]
    graph = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 64])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 32])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def cnn():
    rng = np.random.default_rng(1)
    inits = [numpy_helper.from_array((rng.standard_normal((8, 3, 3, 3)) / 5).astype(np.float32), "conv1.weight"),
             numpy_helper.from_array((rng.standard_normal(8) / 10).astype(np.float32), "conv1.bias"),
             numpy_helper.from_array((rng.standard_normal((16, 8, 3, 3)) / 8).astype(np.float32), "conv2.weight"),
             numpy_helper.from_array((rng.standard_normal(16) / 10).astype(np.float32), "conv2.bias"),
             numpy_helper.from_array((rng.standard_normal((10, 16)) / 4).astype(np.float32), "fc.weight"),
             numpy_helper.from_array((rng.standard_normal(10) / 10).astype(np.float32), "fc.bias")]
    nodes = [helper.make_node("Conv", ["x", "conv1.weight", "conv1.bias"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
             helper.make_node("Conv", ["r1", "conv2.weight", "conv2.bias"], ["c2"], name="conv2", pads=[1, 1, 1, 1], strides=[2, 2]),
             helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
             helper.make_node("GlobalAveragePool", ["r2"], ["p"], name="pool"), helper.make_node("Flatten", ["p"], ["f"], name="flatten"),
             helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["y"], name="fc", transB=1)]
    graph = helper.make_graph(nodes, "cnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


class Calibration(CalibrationDataReader):
    def __init__(self, shape):
        rng = np.random.default_rng(3)
        self.batches = iter([{"x": rng.uniform(-1, 1, shape).astype(np.float32)} for _ in range(8)])

    def get_next(self):
        return next(self.batches, None)


# Operators whose output is non-negative when their input is: a pair after them whose range
# starts at 0 stands for no dropped Relu.
KEEPS_SIGN = {"MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Flatten", "Reshape", "Transpose", "Squeeze",
              "Unsqueeze", "Concat", "Slice", "Gather", "Split", "Resize", "Upsample", "Pad", "Identity", "Relu", "Sigmoid", "Softmax"}


def float_equivalent(model):
    """The float graph tunebench reads a quantized model as (see the module's docstring)."""
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    producers = {o: n for n in graph.node for o in n.output}
    # Each dynamic MatMulInteger's Cast and scaling Mul: replaced with it.
    replaced = set()
    for node in graph.node:
        if node.op_type == "MatMulInteger":
            cast = next(n for n in graph.node if node.output[0] in n.input)
            scaling = next(n for n in graph.node if cast.output[0] in n.input)
            replaced |= {cast.output[0], scaling.output[0]}
    nodes = []
    for node in graph.node:
        if node.op_type in ("Cast", "Mul") and node.output[0] in replaced:
            continue
        if node.op_type == "DequantizeLinear" and node.input[0] in producers and producers[node.input[0]].op_type == "QuantizeLinear":
            q = producers[node.input[0]]
            zero = numpy_helper.to_array(inits[q.input[2]]) if len(q.input) > 2 and q.input[2] else np.uint8(0)
            least = np.iinfo(zero.dtype).min
            after = producers[q.input[0]].op_type if q.input[0] in producers else None
            rectifies = after is not None and after not in KEEPS_SIGN and int(zero) == least
            nodes.append(helper.make_node("Relu" if rectifies else "Identity", [q.input[0]], list(node.output)))
        elif node.op_type == "QuantizeLinear":
            continue
        elif node.op_type == "MatMulInteger":
            quantizer = producers[node.input[0]]
            cast = next(n for n in graph.node if node.output[0] in n.input)
            scaling = next(n for n in graph.node if cast.output[0] in n.input)
            product = producers[next(i for i in scaling.input if i != cast.output[0])]
            weight_scale = next(i for i in product.input if i != quantizer.output[1])
            dq_inputs = [node.input[1], weight_scale] + ([node.input[3]] if len(node.input) > 3 and node.input[3] else [])
            nodes.append(helper.make_node("DequantizeLinear", dq_inputs, [node.input[1] + "_float"]))
            nodes.append(helper.make_node("MatMul", [quantizer.input[0], node.input[1] + "_float"], list(scaling.output)))
        else:
            nodes.append(node)
    read = {i for n in nodes for i in n.input} | {o.name for o in graph.output}
    # What the dynamic rewrite left unread (DynamicQuantizeLinear, Cast, the Muls of scales).
    while True:
        dead = [n for n in nodes if n.op_type != "MatMul" and not any(o in read for o in n.output)]
        if not dead:
            break
        nodes = [n for n in nodes if n not in dead]
        read = {i for n in nodes for i in n.input} | {o.name for o in graph.output}
    clone = onnx.ModelProto()
    clone.CopyFrom(model)
    del clone.graph.node[:]
    clone.graph.node.extend(nodes)
    return clone


def quantize_fixture(model, name, quantize):
    """Quantizes the float `model` into Tests/Fixtures/onnx/NAME.onnx; its path, its input shape
    and the seeded input (uniform in [-1, 1), seed 7)."""
    shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    with tempfile.TemporaryDirectory() as scratch:
        source = os.path.join(scratch, "float.onnx")
        onnx.save(model, source)
        path = os.path.join(FIXTURES, f"{name}.onnx")
        quantize(source, path, shape)
    return path, np.random.default_rng(7).uniform(-1, 1, shape).astype(np.float32)


def save_expected(path, name, float_model, x, what):
    """onnxruntime's output of `float_model` on x, beside the input. Without graph optimizations:
    onnxruntime would fuse DequantizeLinear -> MatMul back into a dynamically quantized MatMul,
    and quantize the activations again."""
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    (y,) = onnxruntime.InferenceSession(float_model.SerializeToString(), options, providers=["CPUExecutionProvider"]).run(None, {"x": x})
    np.save(os.path.join(FIXTURES, f"{name}.input.npy"), x)
    np.save(os.path.join(FIXTURES, f"{name}.expected.npy"), y.astype(np.float32))
    print(f"wrote {os.path.relpath(path, ROOT)} ({[n.op_type for n in onnx.load(path).graph.node]}) and its input and onnxruntime "
          f"{onnxruntime.__version__} output of {what} {list(y.shape)}")


def save(model, name, quantize):
    path, x = quantize_fixture(model, name, quantize)
    save_expected(path, name, float_equivalent(onnx.load(path)), x, "its float graph")


def static_qdq(activations, quant_format=QuantFormat.QDQ):
    def run(source, path, shape):
        quantize_static(source, path, Calibration(shape), quant_format=quant_format, per_channel=True,
                        weight_type=QuantType.QInt8, activation_type=activations)
    return run


def save_operators(model, name, activations):
    """The QOperator format: the float model run with each weight the quantized model holds as
    NAME_quantized (with NAME_scale, NAME_zero_point) dequantized, per channel on the last axis
    of a MatMul weight. (A Conv's int32 bias has no scale of its own: use MLPs here.)"""
    path, x = quantize_fixture(model, name, static_qdq(activations, QuantFormat.QOperator))
    quantized = {i.name: numpy_helper.to_array(i) for i in onnx.load(path).graph.initializer}
    dequantized = onnx.ModelProto()
    dequantized.CopyFrom(model)
    for index, init in enumerate(dequantized.graph.initializer):
        codes = quantized.get(init.name + "_quantized")
        if codes is None:
            continue
        scale, zero = quantized[init.name + "_scale"], quantized[init.name + "_zero_point"]
        values = (codes.astype(np.float32) - zero.astype(np.float32)) * scale.astype(np.float32)
        dequantized.graph.initializer[index].CopyFrom(numpy_helper.from_array(values.astype(np.float32), init.name))
    save_expected(path, name, dequantized, x, "the float model on its dequantized weights")


def save_operators_like(model, name, activations, twin):
    """The QOperator format of a model whose QDQ twin quantizes every weight alike: the same
    float graph, so the twin's expected output."""
    path, _ = quantize_fixture(model, name, static_qdq(activations, QuantFormat.QOperator))
    print(f"wrote {os.path.relpath(path, ROOT)} ({[n.op_type for n in onnx.load(path).graph.node]}); expected: {twin}.expected.npy")


def dynamic(source, path, shape):
    quantize_dynamic(source, path, weight_type=QuantType.QInt8)


if __name__ == "__main__":
    os.makedirs(FIXTURES, exist_ok=True)
    save(mlp(), "quantized-mlp-qdq", static_qdq(QuantType.QInt8))
    save(cnn(), "quantized-cnn-qdq", static_qdq(QuantType.QUInt8))
    save(mlp(), "quantized-mlp-dynamic", dynamic)
    save_operators(mlp(), "quantized-mlp-qoperator", QuantType.QInt8)
    save_operators_like(cnn(), "quantized-cnn-qoperator", QuantType.QUInt8, "quantized-cnn-qdq")
