import Foundation
import Kernels
import ONNXProto
import Testing
import Workloads

@testable import ModelEngine

/// The fused attention step against the same graph run node by node and against the reference
/// path, on shapes no example has: query rows and keys that differ and are not multiples of 16
/// (37 and 29), key width 20, value width 24, masks per row and broadcast, -inf and fully
/// masked rows, both Softmax opsets, scales as Div and as Mul on either side.
@Suite("fused attention")
struct FusedAttentionTests {
    struct Variant: CustomTestStringConvertible, Sendable {
        var opset = 13
        /// "div" (scores / 4.47), "mul-left" (0.25 · scores), "operands" (Q · 0.5 and Kᵀ · 0.45
        /// before the product, as torch's dynamo exporter writes it), "none".
        var scale = "div"
        /// "input" ([2, 1, 37, 29], per batch and row), "constant" ([29], -inf on some keys), "none".
        var mask = "input"
        var queryTransposed = true
        var outputTransposed = true
        /// The scores are also a graph output: the pattern must then run node by node.
        var scoresObserved = false
        /// Q, K and V cut from one projection [b, s, h·(2d + dv)] by a Split (self-attention:
        /// keys = rows); with `extraPart`, the Split has a fourth part read elsewhere.
        var packed = false
        var extraPart = false
        /// Where(IsNaN(P), 0, P) after the softmax (torch's dynamo exporter); with an input mask,
        /// one query row then has every key at -inf, and its output must be 0.
        var nanGuard = false
        var threads = 1
        var testDescription: String {
            "opset \(opset), scale \(scale), mask \(mask), q \(queryTransposed ? "transposed" : "plain"), out \(outputTransposed ? "transposed" : "plain")"
                + (scoresObserved ? ", scores observed" : "") + (packed ? ", packed QKV" + (extraPart ? " with a fourth part" : "") : "")
                + (nanGuard ? ", NaN guard" : "")
                + ", \(threads) thread(s)"
        }
    }

    static let (batch, heads, rows, width, valueWidth) = (2, 3, 37, 20, 24)
    static func keys(_ variant: Variant) -> Int { variant.packed ? rows : 29 }

    static func model(_ variant: Variant) throws -> String {
        func value(_ name: String, _ shape: [Int]) -> Onnx_ValueInfoProto {
            Onnx_ValueInfoProto.with {
                $0.name = name
                $0.type.tensorType.elemType = 1
                $0.type.tensorType.shape.dim = shape.map { size in Onnx_TensorShapeProto.Dimension.with { $0.dimValue = Int64(size) } }
            }
        }
        func node(_ op: String, _ inputs: [String], _ output: String, perm: [Int64]? = nil, axis: Int64? = nil, outputs: [String]? = nil) -> Onnx_NodeProto {
            Onnx_NodeProto.with {
                $0.opType = op
                $0.input = inputs
                $0.output = outputs ?? [output]
                $0.name = output
                if let perm { $0.attribute = [Onnx_AttributeProto.with { $0.name = "perm"; $0.type = .ints; $0.ints = perm }] }
                if let axis { $0.attribute = [Onnx_AttributeProto.with { $0.name = "axis"; $0.type = .int; $0.i = axis }] }
            }
        }
        func constant(_ name: String, _ values: [Float], dims: [Int64]) -> Onnx_TensorProto {
            Onnx_TensorProto.with { $0.name = name; $0.dataType = 1; $0.dims = dims; $0.floatData = values }
        }
        let (b, h, s, k, d, dv) = (batch, heads, rows, keys(variant), width, valueWidth)
        var inputs: [Onnx_ValueInfoProto] = []
        var nodes: [Onnx_NodeProto] = []
        var initializers: [Onnx_TensorProto] = []
        var extraOutputs: [Onnx_ValueInfoProto] = []
        func int64s(_ name: String, _ values: [Int]) -> Onnx_TensorProto {
            Onnx_TensorProto.with { $0.name = name; $0.dataType = 7; $0.dims = [Int64(values.count)]; $0.int64Data = values.map(Int64.init) }
        }
        if variant.packed {
            let extra = variant.extraPart ? 8 : 0
            inputs.append(value("qkv", [b, s, h * (2 * d + dv) + extra]))
            initializers += [int64s("sizes", [h * d, h * d, h * dv] + (extra > 0 ? [extra] : [])), int64s("heads_d", [b, s, h, d]),
                             int64s("heads_dv", [b, s, h, dv])]
            nodes.append(node("Split", ["qkv", "sizes"], "split", axis: 2, outputs: ["q_flat", "k_flat", "v_flat"] + (extra > 0 ? ["rest"] : [])))
            if extra > 0 {
                nodes.append(node("Relu", ["rest"], "rest_relu"))
                extraOutputs.append(value("rest_relu", [b, s, extra]))
            }
            nodes += [node("Reshape", ["q_flat", "heads_d"], "queries"), node("Reshape", ["k_flat", "heads_d"], "keys"),
                      node("Reshape", ["v_flat", "heads_dv"], "values_heads"), node("Transpose", ["values_heads"], "values", perm: [0, 2, 1, 3])]
        } else {
            inputs += [value("keys", [b, k, h, d]), value("values", [b, h, k, dv])]
        }
        if variant.packed || variant.queryTransposed {
            if !variant.packed { inputs.append(value("queries", [b, s, h, d])) }
            nodes.append(node("Transpose", ["queries"], "q", perm: [0, 2, 1, 3]))
        } else {
            inputs.append(value("q", [b, h, s, d]))
        }
        nodes.append(node("Transpose", ["keys"], "kt", perm: [0, 2, 3, 1]))
        if variant.scale == "operands" {
            initializers += [constant("half", [0.5], dims: []), constant("part", [0.45], dims: [])]
            nodes += [node("Mul", ["q", "half"], "q_scaled"), node("Mul", ["part", "kt"], "kt_scaled"), node("MatMul", ["q_scaled", "kt_scaled"], "scores")]
        } else {
            nodes.append(node("MatMul", ["q", "kt"], "scores"))
        }
        var current = "scores"
        switch variant.scale {
        case "div":
            initializers.append(constant("root", [4.47], dims: []))
            nodes.append(node("Div", [current, "root"], "scaled"))
            current = "scaled"
        case "mul-left":
            initializers.append(constant("quarter", [0.25], dims: [1]))
            nodes.append(node("Mul", ["quarter", current], "scaled"))
            current = "scaled"
        default: break
        }
        switch variant.mask {
        case "input":
            inputs.append(value("mask", [b, 1, s, k]))
            nodes.append(node("Add", ["mask", current], "masked"))
            current = "masked"
        case "constant":
            let mask: [Float] = (0..<k).map { key -> Float in
                if key % 5 == 3 { return -.infinity }
                return key % 7 == 1 ? -10_000 : Float(key % 3) * 0.5
            }
            initializers.append(constant("mask", mask, dims: [Int64(k)]))
            nodes.append(node("Add", [current, "mask"], "masked"))
            current = "masked"
        default: break
        }
        nodes.append(node("Softmax", [current], "probs", axis: variant.opset < 13 ? 3 : -1))
        if variant.nanGuard {
            initializers.append(constant("zero", [0], dims: []))
            nodes += [node("IsNaN", ["probs"], "nan"), node("Where", ["nan", "zero", "probs"], "guarded"), node("MatMul", ["guarded", "values"], "context")]
        } else {
            nodes.append(node("MatMul", ["probs", "values"], "context"))
        }
        var outputs = [value("context", [b, h, s, dv])]
        if variant.outputTransposed {
            nodes.append(node("Transpose", ["context"], "out", perm: [0, 2, 1, 3]))
            nodes.append(node("Relu", ["out"], "y"))
            outputs = [value("y", [b, s, h, dv])]
        }
        if variant.scoresObserved { outputs.append(value("scores", [b, h, s, k])) }
        outputs += extraOutputs
        let model = Onnx_ModelProto.with {
            $0.irVersion = 8
            $0.opsetImport = [Onnx_OperatorSetIdProto.with { $0.version = Int64(variant.opset) }]
            $0.graph = Onnx_GraphProto.with {
                $0.name = "attention"
                $0.node = nodes
                $0.initializer = initializers
                $0.input = inputs
                $0.output = outputs
            }
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tb-attention-\(UUID().uuidString).onnx").path
        try model.serializedData().write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("same outputs as the nodes one by one and as the reference path", arguments: [
        Variant(),
        Variant(opset: 11, scale: "mul-left", mask: "constant", queryTransposed: false, threads: 2),
        Variant(scale: "none", mask: "none", outputTransposed: false, threads: 2),
        Variant(mask: "input", threads: 2),
        Variant(scoresObserved: true),
        Variant(packed: true),
        Variant(mask: "none", packed: true, extraPart: true, threads: 2),
        Variant(scale: "operands", nanGuard: true),
        Variant(scale: "operands", mask: "none", packed: true, nanGuard: true, threads: 2),
    ])
    func matches(variant: Variant) throws {
        let path = try Self.model(variant)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let plan = try ONNXImport.plan(path: path)
        let initializers = try ModelBinding.initializers(plan)
        let steps = try CompiledModelTests.steps(plan)
        let team = ParallelTeam(size: variant.threads)
        let fused = try CompiledModel(plan: plan, initializers: initializers, steps: steps, team: team)
        let unfused = try CompiledModel(plan: plan, initializers: initializers, steps: steps, team: team, fuseAttention: false)
        let reference = ModelExecutor(plan: plan, initializers: initializers, steps: [])
        #expect(fused.fusedAttentions == (variant.scoresObserved ? [] : ["scores → probs → context"]), "\(fused.fusedAttentions)")
        #expect(unfused.fusedAttentions.isEmpty)
        #expect(fused.referenceNodes.isEmpty, "\(fused.referenceNodes)")
        for seed in [3, 4] as [UInt64] {
            var inputs = ModelInputs.seeded(plan, seed: seed)
            if variant.mask == "input" {
                // Per row: some keys masked with -10000 or -inf, and one query row masked entirely
                // with -10000 (its softmax is then uniform, not NaN).
                let (b, s, k) = (Self.batch, Self.rows, Self.keys(variant))
                var mask = [Float](repeating: 0, count: b * s * k)
                for n in 0..<b {
                    for i in 0..<s {
                        for j in 0..<k {
                            let index = (n * s + i) * k + j
                            if variant.nanGuard && i == 6 {
                                mask[index] = -.infinity
                            } else if i == 5 || (i + j + n) % 4 == 0 {
                                mask[index] = -10_000
                            } else if (i * j) % 11 == 7 {
                                mask[index] = -.infinity
                            }
                        }
                    }
                }
                inputs["mask"] = Tensor(shape: [b, 1, s, k], data: mask)
            }
            let expected = try reference.run(inputs).outputs
            let (a, c) = (try fused.run(inputs).outputs, try unfused.run(inputs).outputs)
            if variant.nanGuard && variant.mask == "input" {
                // Query row 6, every key masked: zeros in every head ([b, s, h, dv] after the Transpose).
                let perRow = Self.heads * Self.valueWidth
                for n in 0..<Self.batch {
                    let start = (n * Self.rows + 6) * perRow
                    #expect(a[0].data[start..<start + perRow].allSatisfy { $0 == 0 } && expected[0].data[start..<start + perRow].allSatisfy { $0 == 0 })
                }
            }
            #expect(a.map(\.shape) == expected.map(\.shape))
            #expect(a.allSatisfy { $0.data.allSatisfy(\.isFinite) })
            #expect(ModelExecutor.relativeError(a, against: expected) < 1e-5, "\(ModelExecutor.relativeError(a, against: expected))")
            #expect(ModelExecutor.relativeError(c, against: expected) < 1e-5, "\(ModelExecutor.relativeError(c, against: expected))")
        }
        // Q, K and V read the packed projection in place: the Split does not run, unless a part
        // of it is read elsewhere.
        fused.profiling = true
        _ = try fused.run(ModelInputs.seeded(plan, seed: 5))
        #expect((fused.profile["Split"] != nil) == (variant.packed && variant.extraPart), "\(fused.profile.keys.sorted())")
    }

    @Test("the example transformer block and the BERT encoder run their attention fused; the arena shrinks")
    func examples() throws {
        let transformer = try ONNXImport.plan(path: Models.path("transformer-block.onnx"), dimensions: ["batch": 1, "seq": 128])
        let bert = try ONNXImport.plan(path: ExportedGraphTests.fixture("bert-encoder.onnx"), dimensions: ["batch": 2, "seq": 8])
        for (plan, peaksInAttention) in [(transformer, true), (bert, false)] {
            let initializers = try ModelBinding.initializers(plan)
            let steps = try CompiledModelTests.steps(plan)
            let fused = try CompiledModel(plan: plan, initializers: initializers, steps: steps)
            let unfused = try CompiledModel(plan: plan, initializers: initializers, steps: steps, fuseAttention: false)
            #expect(fused.fusedAttentions == ["attn.scores → attn.softmax → attn.context"])
            // The scores, probabilities and the transposed copies of Q, K, V and the context are never
            // made: at seq 128 they were the arena's peak (the BERT encoder at seq 8 peaks elsewhere).
            #expect(!peaksInAttention || fused.arenaBytes < unfused.arenaBytes / 2, "\(fused.arenaBytes) vs \(unfused.arenaBytes)")
        }
    }
}
