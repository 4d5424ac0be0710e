#!/usr/bin/env python3
"""Writes Tests/Fixtures/onnx/operators.onnx: one graph that applies each operator the reference
path computes beyond the common ones (element-wise math, the rarer activations, standalone
normalizations, position-wise selection, reductions) to one input, with an output per
operator, and onnxruntime's outputs as operators.expected.npz (pip install onnx onnxruntime
numpy; the files are committed, so neither the tests nor CI need Python packages).
Deterministic: fixed seed.

  operators.onnx            input x [2, 4, 3, 4] (uniform in [-2, 2), seed 11, with exact
                            halves to test Round's ties); outputs named after the operator
                            and its variant (e.g. "Mod_fmod", "DepthToSpace_CRD")
  operators.input.npy       the input
  operators.expected.npz    onnxruntime's outputs by name (integer outputs cast to float32)
  contrib-operators.onnx, .input.npy, .expected.npz  the same for the operators onnxruntime's
                            transformer optimizer fuses graphs into (com.microsoft Gelu, BiasGelu,
                            FastGelu, SkipLayerNormalization with its sum output read,
                            SkipSimplifiedLayerNormalization; SimplifiedLayerNormalization),
                            input x [2, 3, 8]
  contrib-bert.onnx, .inputs.npz, .expected.npz  a BERT as the optimizer fused models before
                            transformers 5: EmbedLayerNormalization (token, position and segment
                            lookups, its mask index), an Attention masked by that index, a
                            SkipLayerNormalization, a causal Attention masked by the 0/1 mask with
                            a narrower V (qkv_hidden_sizes), a MatMul and a BiasGelu; int32 ids,
                            segments and a mask padding the second row
"""
import os
import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures", "onnx")
SHAPE = [2, 4, 3, 4]


def main():
    rng = np.random.default_rng(11)
    x = rng.uniform(-2, 2, SHAPE).astype(np.float32)
    x.flat[:6] = [0.5, 1.5, -0.5, -2.5 / 2, 2.5 - 0.0, 0.0]  # Round's ties go to even
    nodes, outputs, initializers = [], [], []

    def constant(name, array):
        initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def emit(name, op, inputs, integer=False, **attributes):
        out = name if not integer else name + "_int"
        nodes.append(helper.make_node(op, inputs, [out], name=name, **attributes))
        if integer:  # compared as floats
            nodes.append(helper.make_node("Cast", [out], [name], to=TensorProto.FLOAT))
        outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, None))

    # A layer, so that the graph is a model to tune.
    emit("MatMul", "MatMul", ["x", constant("weight", rng.uniform(-1, 1, [SHAPE[3], 5]).astype(np.float32))])
    for op in ["Sin", "Cos", "Tan", "Atan", "Floor", "Ceil", "Round", "Sign", "Softplus", "Softsign", "Mish"]:
        emit(op, op, ["x"])
    emit("Elu", "Elu", ["x"], alpha=0.7)
    emit("Selu", "Selu", ["x"])
    emit("Celu", "Celu", ["x"], alpha=1.3)
    emit("ThresholdedRelu", "ThresholdedRelu", ["x"], alpha=0.4)
    emit("Mod_fmod", "Mod", ["x", constant("divisor", np.float32(0.75))], fmod=1)
    emit("PRelu", "PRelu", ["x", constant("slope", rng.uniform(0, 0.5, [4, 1, 1]).astype(np.float32))])
    emit("Mean", "Mean", ["x", constant("other", rng.uniform(-1, 1, [4]).astype(np.float32)), "x"])
    emit("LogSoftmax", "LogSoftmax", ["x"], axis=1)
    # Integer operators on an integer view of x.
    nodes.append(helper.make_node("Cast", ["x"], ["xi"], to=TensorProto.INT64))
    emit("Mod_int", "Mod", ["xi", constant("three", np.int64(-3))], integer=True)
    emit("CumSum_int", "CumSum", ["xi", constant("axis3", np.int64(3))], integer=True)
    # IsNaN and IsInf on x / (x > 0), which has both (0/0 and 1/0 where x <= 0).
    nodes.append(helper.make_node("Greater", ["x", constant("zero", np.float32(0))], ["positive"]))
    nodes.append(helper.make_node("Cast", ["positive"], ["positive_f"], to=TensorProto.FLOAT))
    nodes.append(helper.make_node("Floor", ["x"], ["floor_x"]))
    nodes.append(helper.make_node("Div", ["floor_x", "positive_f"], ["ratio"]))
    emit("IsNaN", "IsNaN", ["ratio"], integer=True)
    emit("IsInf", "IsInf", ["ratio"], integer=True)
    emit("IsInf_negative", "IsInf", ["ratio"], integer=True, detect_positive=0)
    # Normalizations.
    c = SHAPE[1]
    emit("BatchNormalization", "BatchNormalization", ["x", constant("bn_scale", rng.uniform(0.5, 1.5, c).astype(np.float32)),
         constant("bn_bias", rng.uniform(-1, 1, c).astype(np.float32)), constant("bn_mean", rng.uniform(-0.5, 0.5, c).astype(np.float32)),
         constant("bn_var", rng.uniform(0.5, 2, c).astype(np.float32))], epsilon=1e-3)
    emit("InstanceNormalization", "InstanceNormalization", ["x", "bn_scale", "bn_bias"], epsilon=1e-4)
    emit("GroupNormalization", "GroupNormalization", ["x", "bn_scale", "bn_bias"], num_groups=2, epsilon=1e-4)
    emit("RMSNormalization", "RMSNormalization", ["x", constant("rms_scale", rng.uniform(0.5, 1.5, [SHAPE[3]]).astype(np.float32))], epsilon=1e-5)
    # Selection by position.
    indices = rng.integers(-3, 3, [2, 4, 2, 4]).astype(np.int64)
    emit("GatherElements", "GatherElements", ["x", constant("gather_indices", indices)], axis=2)
    emit("GatherND", "GatherND", ["x", constant("nd_indices", np.stack([rng.integers(-2, 2, [2, 3]), rng.integers(0, 4, [2, 3])], -1).astype(np.int64))])
    emit("GatherND_batch", "GatherND", ["x", constant("nd_batch_indices", rng.integers(-4, 4, [2, 5, 1]).astype(np.int64))], batch_dims=1)
    emit("Tile", "Tile", ["x", constant("repeats", np.array([1, 1, 2, 3], np.int64))])
    emit("Trilu_upper", "Trilu", ["x", constant("diagonal", np.int64(1))])
    emit("Trilu_lower", "Trilu", ["x"], upper=0)
    emit("CumSum", "CumSum", ["x", constant("axis2", np.int64(-2))])
    emit("CumSum_exclusive_reverse", "CumSum", ["x", "axis3"], exclusive=1, reverse=1)
    emit("ArgMax", "ArgMax", ["x"], integer=True, axis=1)
    emit("ArgMin_last", "ArgMin", ["Round"], integer=True, axis=3, keepdims=0, select_last_index=1)
    emit("DepthToSpace_DCR", "DepthToSpace", ["x"], blocksize=2)
    emit("DepthToSpace_CRD", "DepthToSpace", ["x"], blocksize=2, mode="CRD")
    emit("SpaceToDepth", "SpaceToDepth", ["Tile"], blocksize=2)
    constant("axes13", np.array([1, 3], np.int64))
    for op in ["ReduceProd", "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSumExp"]:
        emit(op, op, ["x", "axes13"], keepdims=0)
    emit("ReduceLogSum", "ReduceLogSum", ["ReduceL2", constant("axes1", np.array([1], np.int64))])

    def build(outputs):
        graph = helper.make_graph(nodes, "operators", [helper.make_tensor_value_info("x", TensorProto.FLOAT, SHAPE)], outputs,
                                  initializer=initializers)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 23)])
        model.ir_version = 10
        return model

    # onnxruntime's outputs give the output shapes the saved model declares.
    session = onnxruntime.InferenceSession(build(outputs).SerializeToString(), providers=["CPUExecutionProvider"])
    results = session.run(None, {"x": x})
    outputs = [helper.make_tensor_value_info(o.name, TensorProto.FLOAT, r.shape) for o, r in zip(outputs, results)]
    model = build(outputs)
    onnx.checker.check_model(model)
    path = os.path.join(FIXTURES, "operators.onnx")
    onnx.save(model, path)
    np.save(os.path.join(FIXTURES, "operators.input.npy"), x)
    np.savez(os.path.join(FIXTURES, "operators.expected.npz"), **{o.name: r for o, r in zip(outputs, results)})
    print(f"wrote {path} ({len(outputs)} outputs)")


def contrib():
    rng = np.random.default_rng(12)
    x = rng.uniform(-2, 2, [2, 3, 8]).astype(np.float32)

    def constant(name, shape):
        return numpy_helper.from_array(rng.uniform(-1, 1, shape).astype(np.float32), name)

    initializers = [constant("w", [8, 8]), constant("bias", [8]), constant("gamma", [8]), constant("beta", [8])]
    ms = "com.microsoft"
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["MatMul"]),
        helper.make_node("Gelu", ["x"], ["Gelu"], domain=ms),
        helper.make_node("BiasGelu", ["x", "bias"], ["BiasGelu"], domain=ms),
        helper.make_node("FastGelu", ["x", "bias"], ["FastGelu"], domain=ms),
        helper.make_node("FastGelu", ["x"], ["FastGelu_nobias"], domain=ms),
        helper.make_node("SkipLayerNormalization", ["x", "MatMul", "gamma", "beta", "bias"], ["SkipLayerNormalization", "", "", "SkipSum"],
                         domain=ms, epsilon=1e-5),
        helper.make_node("SkipLayerNormalization", ["x", "SkipSum", "gamma"], ["SkipLayerNormalization_plain"], domain=ms, epsilon=1e-5),
        helper.make_node("SkipSimplifiedLayerNormalization", ["x", "MatMul", "gamma", "bias"], ["SkipSimplifiedLayerNormalization"],
                         domain=ms, epsilon=1e-6),
        helper.make_node("SimplifiedLayerNormalization", ["x", "gamma"], ["SimplifiedLayerNormalization"], axis=-1, epsilon=1e-6),
    ]
    for node in nodes:  # named as exporters name them (the rewrite keeps names unique)
        node.name = f"{node.op_type}_{node.output[0]}"
    names = [n.output[0] for n in nodes] + ["SkipSum"]
    outputs = [helper.make_tensor_value_info(name, TensorProto.FLOAT, [2, 3, 8]) for name in names]
    graph = helper.make_graph(nodes, "contrib-operators", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 8])], outputs,
                              initializer=initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(ms, 1)])
    model.ir_version = 8
    path = os.path.join(FIXTURES, "contrib-operators.onnx")
    onnx.save(model, path)
    results = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"x": x})
    np.save(os.path.join(FIXTURES, "contrib-operators.input.npy"), x)
    np.savez(os.path.join(FIXTURES, "contrib-operators.expected.npz"), **dict(zip(names, results)))
    print(f"wrote {path} ({len(names)} outputs)")


def contrib_bert():
    rng = np.random.default_rng(13)
    batch, seq, hidden = 2, 6, 16

    def constant(name, shape, scale=1.0):
        return numpy_helper.from_array((rng.uniform(-1, 1, shape) * scale).astype(np.float32), name)

    initializers = [constant("word", [50, hidden]), constant("position", [seq, hidden]), constant("segment", [2, hidden]),
                    constant("gamma", [hidden], 0.5), constant("beta", [hidden], 0.1), constant("qkv", [hidden, 3 * hidden], 0.5),
                    constant("qkv_bias", [3 * hidden], 0.1), constant("qkv2", [hidden, 40], 0.5), constant("qkv2_bias", [40], 0.1),
                    constant("out", [8, hidden], 0.5), constant("out_bias", [hidden], 0.1)]
    ms = "com.microsoft"
    nodes = [
        helper.make_node("EmbedLayerNormalization", ["ids", "segments", "word", "position", "segment", "gamma", "beta", "mask"],
                         ["embedded", "mask_index"], domain=ms, epsilon=1e-12),
        helper.make_node("Attention", ["embedded", "qkv", "qkv_bias", "mask_index"], ["attention1"], domain=ms, num_heads=2),
        helper.make_node("SkipLayerNormalization", ["attention1", "embedded", "gamma", "beta"], ["normalized"], domain=ms, epsilon=1e-12),
        helper.make_node("Attention", ["normalized", "qkv2", "qkv2_bias", "mask"], ["attention2"], domain=ms, num_heads=4, unidirectional=1,
                         qkv_hidden_sizes=[16, 16, 8]),
        helper.make_node("MatMul", ["attention2", "out"], ["projected"]),
        helper.make_node("BiasGelu", ["projected", "out_bias"], ["y"], domain=ms),
    ]
    ints = [helper.make_tensor_value_info(name, TensorProto.INT32, [batch, seq]) for name in ["ids", "segments", "mask"]]
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, seq, hidden]),
               helper.make_tensor_value_info("embedded", TensorProto.FLOAT, [batch, seq, hidden]),
               helper.make_tensor_value_info("attention1", TensorProto.FLOAT, [batch, seq, hidden]),
               helper.make_tensor_value_info("attention2", TensorProto.FLOAT, [batch, seq, 8])]
    graph = helper.make_graph(nodes, "contrib-bert", ints, outputs, initializer=initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(ms, 1)])
    model.ir_version = 8
    path = os.path.join(FIXTURES, "contrib-bert.onnx")
    onnx.save(model, path)
    mask = np.ones([batch, seq], np.int32)
    mask[1, 4:] = 0
    feed = {"ids": rng.integers(0, 50, [batch, seq]).astype(np.int32), "segments": (np.arange(seq) >= 3).astype(np.int32)[None].repeat(batch, 0),
            "mask": mask}
    results = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, feed)
    np.savez(os.path.join(FIXTURES, "contrib-bert.inputs.npz"), **feed)
    np.savez(os.path.join(FIXTURES, "contrib-bert.expected.npz"), **{o.name: r for o, r in zip(outputs, results)})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
    contrib()
    contrib_bert()
