import Foundation
import Kernels
import ModelEngine
import ONNXProto
import Testing
import TunebenchCore
import TunebenchRuntime

@testable import ModelRunner
@testable import Workloads

/// Models as PyTorch's two exporters write them and as onnxruntime's transformer optimizer
/// rewrites them (scripts/generate-onnx-torch-exports.py), and the operators they and other
/// exporters use beyond the common ones (scripts/generate-onnx-operators.py), against
/// onnxruntime's outputs.
@Suite("torch.onnx exports, onnxruntime-optimized graphs and the operators they use")
struct TorchExportTests {
    @Test("each operator computes onnxruntime's values: element-wise math, activations, normalizations, selection by position, reductions")
    func operators() throws {
        let plan = try ONNXImport.plan(path: ExportedGraphTests.fixture("operators.onnx"))
        let inspection = try ONNXImport.inspect(path: ExportedGraphTests.fixture("operators.onnx"))
        #expect(inspection.summary.withoutImplementation.isEmpty, "\(inspection.summary.withoutImplementation)")
        #expect(inspection.summary.unsupported.isEmpty, "\(inspection.summary.unsupported)")
        let input = try NPYFile.load(path: ExportedGraphTests.fixture("operators.input.npy"))
        let expected = try NPZFile.load(path: ExportedGraphTests.fixture("operators.expected.npz"))
        #expect(expected.count == 48)
        let reference = try ModelExecutor(plan: plan, initializers: try ModelBinding.initializers(plan), steps: []).run(["x": input]).outputs
        let compiled = try CompiledModel(plan: plan, initializers: try ModelBinding.initializers(plan), steps: []).run(["x": input]).outputs
        Self.expectOutputs(plan, reference: reference, compiled: compiled, match: expected, within: 2e-6)
    }

    /// Each graph output of the reference path and of the compiled engine against onnxruntime's
    /// (by position; the names must agree): same shape, relative L2 error below `tolerance`.
    static func expectOutputs(_ plan: ONNXPlan, reference: [Tensor], compiled: [Tensor], match expected: [(name: String, tensor: Tensor)],
                              within tolerance: Double) {
        #expect(reference.count == expected.count && compiled.count == expected.count)
        for (index, wanted) in expected.enumerated() {
            #expect(plan.file.graph.output[index].name == wanted.name)
            for (path, output) in [("reference", reference[index]), ("compiled", compiled[index])] {
                let error = ExportedGraphTests.relativeError(output.data, wanted.tensor.data)
                #expect(output.shape == wanted.tensor.shape && error < tolerance, "\(wanted.name) \(path): \(error)")
            }
        }
    }

    @Test("the embedding lookup runs as row copies by the token ids; an id outside the table is refused naming the node")
    func embeddingLookup() throws {
        let plan = try ONNXImport.plan(path: ExportedGraphTests.fixture("torch-gpt2-dynamo.onnx"))
        let compiled = try CompiledModel(plan: plan, initializers: try ModelBinding.initializers(plan), steps: try CompiledModelTests.steps(plan))
        #expect(compiled.referenceNodes["Gather"] == nil, "\(compiled.referenceNodes)")
        var inputs = try ModelInputs.load(path: ExportedGraphTests.fixture("torch-gpt2-dynamo.inputs.npz"), plan: plan)
        let ids = try #require(inputs["input_ids"])
        // The vocabulary has 100 tokens.
        inputs["input_ids"] = Tensor(shape: ids.shape, ints: (ids.ints ?? []).enumerated().map { $0.offset == 3 ? 100 : $0.element })
        let error = #expect(throws: FileError.self) { try compiled.run(inputs) }
        #expect(error?.message.contains("(Gather): index 100 is out of range for an axis of size 100") == true, "\(error?.message ?? "-")")
    }

    @Test("hostile operands are refused naming the node, not trapped: short normalization parameters, GatherElements past the data, Int64.min mod -1")
    func hostileOperands() throws {
        func model(_ nodes: [Onnx_NodeProto], _ initializers: [Onnx_TensorProto]) throws -> String {
            let value = { (name: String, shape: [Int64]) in
                Onnx_ValueInfoProto.with {
                    $0.name = name
                    $0.type.tensorType.elemType = 1
                    $0.type.tensorType.shape.dim = shape.map { size in Onnx_TensorShapeProto.Dimension.with { $0.dimValue = size } }
                }
            }
            let weight = Onnx_TensorProto.with { $0.name = "w"; $0.dataType = 1; $0.dims = [2, 3]; $0.floatData = [1, 2, 3, 4, 5, 6] }
            let graph = Onnx_GraphProto.with {
                $0.name = "hostile"
                $0.node = nodes + [Onnx_NodeProto.with { $0.opType = "MatMul"; $0.name = "layer"; $0.input = ["h", "w"]; $0.output = ["y"] }]
                $0.initializer = initializers + [weight]
                $0.input = [value("x", [1, 4, 2, 2])]
                $0.output = [value("y", [1, 4, 2, 3])]
            }
            let proto = Onnx_ModelProto.with { $0.irVersion = 8; $0.opsetImport = [Onnx_OperatorSetIdProto.with { $0.version = 21 }]; $0.graph = graph }
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("tb-hostile-\(UUID().uuidString).onnx").path
            try proto.serializedData().write(to: URL(fileURLWithPath: path))
            return path
        }
        func floats(_ name: String, _ values: [Float]) -> Onnx_TensorProto {
            Onnx_TensorProto.with { $0.name = name; $0.dataType = 1; $0.dims = [Int64(values.count)]; $0.floatData = values }
        }
        func int(_ name: String, _ value: Int64) -> Onnx_AttributeProto { Onnx_AttributeProto.with { $0.name = name; $0.type = .int; $0.i = value } }
        // GroupNormalization over 2 groups with one scale value.
        let group = try model([Onnx_NodeProto.with {
            $0.opType = "GroupNormalization"; $0.name = "norm"; $0.input = ["x", "scale", "bias"]; $0.output = ["h"]; $0.attribute = [int("num_groups", 2)]
        }], [floats("scale", [1]), floats("bias", [0])])
        let plan = try ONNXImport.plan(path: group)
        let error = #expect(throws: FileError.self) {
            try ModelExecutor(plan: plan, initializers: try ModelBinding.initializers(plan), steps: []).run(ModelInputs.seeded(plan, seed: 1))
        }
        #expect(error?.message.contains("node \"norm\" (GroupNormalization): its scale, bias, mean or variance has fewer than the 2 values") == true,
                "\(error?.message ?? "-")")
        // GatherElements whose indices are wider than the data off the gathered axis.
        let indices = Onnx_TensorProto.with { $0.name = "picks"; $0.dataType = 7; $0.dims = [1, 4, 2, 3]; $0.int64Data = Array(repeating: 0, count: 24) }
        let gather = try model([Onnx_NodeProto.with {
            $0.opType = "GatherElements"; $0.name = "pick"; $0.input = ["x", "picks"]; $0.output = ["h"]; $0.attribute = [int("axis", 1)]
        }], [indices])
        let gatherError = #expect(throws: FileError.self) { try ONNXImport.plan(path: gather) }
        #expect(gatherError?.message.contains("node \"pick\" (GatherElements): indices [1, 4, 2, 3] reach past data [1, 4, 2, 2] off axis 1") == true,
                "\(gatherError?.message ?? "-")")
        // Integer Mod at the one quotient that overflows.
        var mod = Onnx_NodeProto()
        mod.opType = "Mod"
        let result = try ReferenceOperators.evaluate(mod, [Tensor(shape: [2], ints: [.min, 7]), Tensor(shape: [], ints: [-1])], opset: 13)
        #expect(result.first?.ints == [0, 0])
    }

    @Test("RMSNorm written out by torch.onnx (Pow, ReduceMean, Add, Sqrt, Reciprocal, Mul, Mul γ) is read as RMSNormalization")
    func rmsNorm() throws {
        let file = try ONNXFile.load(path: ExportedGraphTests.fixture("torch-llama-dynamo.onnx"))
        // Two per block and the final norm.
        #expect(file.cleanup.rmsNormsRecognized == 5)
        #expect(file.graph.node.filter { $0.opType == "RMSNormalization" }.count == 5)
        #expect(!file.graph.node.contains { ["Pow", "Sqrt", "Reciprocal", "ReduceMean"].contains($0.opType) })
        let raw = try ONNXFile.load(path: ExportedGraphTests.fixture("torch-llama-dynamo.onnx"), cleanUp: false)
        #expect(raw.graph.node.filter { $0.opType == "Pow" }.count == 5)
    }

    @Test("onnxruntime's fused operators (com.microsoft Gelu, BiasGelu, FastGelu, SkipLayerNormalization, SkipSimplifiedLayerNormalization; SimplifiedLayerNormalization) compute onnxruntime's values as standard operators")
    func contribOperators() throws {
        let path = ExportedGraphTests.fixture("contrib-operators.onnx")
        let inspection = try ONNXImport.inspect(path: path)
        #expect(inspection.summary.withoutImplementation.isEmpty && inspection.summary.unsupported.isEmpty,
                "\(inspection.summary.withoutImplementation) \(inspection.summary.unsupported)")
        #expect(inspection.summary.cleanup.contains { $0.contains("8 onnxruntime fused operator(s)") }, "\(inspection.summary.cleanup)")
        let plan = try ONNXImport.plan(path: path)
        #expect(!plan.file.graph.node.contains { !$0.domain.isEmpty })
        // Each written-out node named uniquely; the last of each keeps the fused node's name.
        #expect(Set(plan.file.graph.node.map(\.name)).count == plan.file.graph.node.count)
        let input = try NPYFile.load(path: ExportedGraphTests.fixture("contrib-operators.input.npy"))
        let expected = try NPZFile.load(path: ExportedGraphTests.fixture("contrib-operators.expected.npz"))
        let reference = try ModelExecutor(plan: plan, initializers: try ModelBinding.initializers(plan), steps: []).run(["x": input]).outputs
        let compiled = try CompiledModel(plan: plan, initializers: try ModelBinding.initializers(plan), steps: try CompiledModelTests.steps(plan))
            .run(["x": input]).outputs
        #expect(expected.count == 10 && reference.count == 10)
        Self.expectOutputs(plan, reference: reference, compiled: compiled, match: expected, within: 2e-6)
    }

    @Test("onnxruntime's fused BERT (EmbedLayerNormalization, Attention by mask index and by a causal 0/1 mask) is written out: a QKV layer per attention, both attentions fused, onnxruntime's outputs")
    func contribBert() throws {
        let path = ExportedGraphTests.fixture("contrib-bert.onnx")
        let inspection = try ONNXImport.inspect(path: path)
        #expect(inspection.summary.withoutImplementation.isEmpty && inspection.summary.unsupported.isEmpty,
                "\(inspection.summary.withoutImplementation) \(inspection.summary.unsupported)")
        #expect(inspection.summary.cleanup.contains { $0.contains("5 onnxruntime fused operator(s)") }, "\(inspection.summary.cleanup)")
        // Each Attention's projection is a layer with its bias; the final MatMul takes BiasGelu's bias and GELU.
        #expect(inspection.summary.layers.map(\.key).filter { $0.hasPrefix("gemm") } == [
            "gemm m=12 n=48 k=16 bias", "gemm m=12 n=40 k=16 bias", "gemm m=12 n=16 k=8 bias gelu_erf",
        ], "\(inspection.summary.layers.map(\.key))")
        let plan = try ONNXImport.plan(path: path)
        let inputs = try ModelInputs.load(path: ExportedGraphTests.fixture("contrib-bert.inputs.npz"), plan: plan)
        let expected = try NPZFile.load(path: ExportedGraphTests.fixture("contrib-bert.expected.npz"))
        let reference = try ModelExecutor(plan: plan, initializers: try ModelBinding.initializers(plan), steps: []).run(inputs).outputs
        let compiled = try CompiledModel(plan: plan, initializers: try ModelBinding.initializers(plan), steps: try CompiledModelTests.steps(plan))
        #expect(compiled.fusedAttentions.count == 2, "\(compiled.fusedAttentions)")
        let outputs = try compiled.run(inputs).outputs
        Self.expectOutputs(plan, reference: reference, compiled: outputs, match: expected, within: 1e-5)
    }

    @Test("shape arithmetic the rules do not fold (Equal, Where, Max, Neg, Mod …) is computed once the axes are bound")
    func integerFolding() throws {
        func node(_ op: String, _ inputs: [String]) -> Onnx_NodeProto {
            var node = Onnx_NodeProto()
            node.opType = op
            node.input = inputs
            node.output = ["y"]
            return node
        }
        let shape = ONNXValue(shape: [3], ints: [2, -1, 7])
        let ones = ONNXValue(shape: [3], ints: [1, 1, 1])
        func folded(_ op: String, _ inputs: [ONNXValue]) throws -> [Int64]? {
            let outputs = try ONNXOperatorShapes.outputs(of: node(op, inputs.indices.map { "i\($0)" }), inputs: inputs, opset: 17) ?? []
            return ONNXShapeInference.foldingIntegers(node(op, inputs.indices.map { "i\($0)" }), inputs: inputs, outputs: outputs, opset: 17).first??.ints
        }
        // Expand's target as the TorchScript exporter writes it: Where(Equal(shape, -1), ones, shape).
        let isMinusOne = try #require(try folded("Equal", [shape, ONNXValue(shape: [], ints: [-1])]))
        #expect(isMinusOne == [0, 1, 0])
        #expect(try folded("Where", [ONNXValue(shape: [3], ints: isMinusOne), ones, shape]) == [2, 1, 7])
        #expect(try folded("Neg", [shape]) == [-2, 1, -7])
        #expect(try folded("Max", [shape, ones]) == [2, 1, 7])
        #expect(try folded("Mod", [shape, ONNXValue(shape: [], ints: [3])]) == [2, 2, 1])
        #expect(try folded("ReduceProd", [shape]) == [-14])
        // Floats are no shape arithmetic: nothing is folded.
        #expect(try folded("Neg", [ONNXValue(shape: [3], floats: [1, 2, 3])]) == nil)
    }

    @Test("torch.onnx exports (dynamo and TorchScript) import whole and compute onnxruntime's outputs through the kernels", arguments: [
        // Layers: each Gemm, MatMul and Conv (two attention MatMuls per block, the projections, the heads).
        // On the reference operators: integer values only (the padding mask's arithmetic over
        // the dynamic axes, GPT-2's position ids).
        ("torch-bert-dynamo", [String: Int](), 16, [String]()), ("torch-bert-legacy", ["batch": 2, "seq": 12], 16, ["And", "Cast", "Flatten", "Gather", "Reshape"]),
        ("torch-vit-legacy", [:], 18, []), ("torch-llama-dynamo", ["seq": 12], 19, []), ("torch-gpt2-dynamo", [:], 13, ["Reshape"]),
        // The same through onnxruntime's transformer optimizer (com.microsoft fused operators).
        ("torch-bert-legacy-optimized", ["batch": 2, "seq": 12], 16, ["And", "Cast", "Flatten", "Gather", "Reshape"]),
        ("torch-llama-dynamo-optimized", ["seq": 12], 19, []), ("torch-gpt2-dynamo-optimized", [:], 13, []),
    ])
    func exports(model: String, dimensions: [String: Int], layers: Int, onReference: [String]) throws {
        let path = ExportedGraphTests.fixture("\(model).onnx")
        let inspection = try ONNXImport.inspect(path: path, dimensions: dimensions.mapValues { [$0] })
        #expect(inspection.summary.withoutImplementation.isEmpty, "\(inspection.summary.withoutImplementation)")
        #expect(inspection.summary.unsupported.isEmpty, "\(inspection.summary.unsupported)")
        let plan = try ONNXImport.plan(path: path, dimensions: dimensions)
        // An optimized model computes its export's outputs from its export's inputs.
        let source = model.replacingOccurrences(of: "-optimized", with: "")
        let inputs = try ModelInputs.load(path: ExportedGraphTests.fixture("\(source).inputs.npz"), plan: plan)
        let expected = try #require(try NPZFile.load(path: ExportedGraphTests.fixture("\(source).expected.npz")).first?.tensor)
        let reference = try ModelExecutor(plan: plan, initializers: try ModelBinding.initializers(plan), steps: []).run(inputs).outputs[0]
        #expect(reference.shape == expected.shape)
        #expect(ExportedGraphTests.relativeError(reference.data, expected.data) < 1e-5, "\(ExportedGraphTests.relativeError(reference.data, expected.data))")
        // As `tunebench run` runs it: the compiled engine with every layer bound.
        let runtime = try TuningRuntime(artifact: Models.empty, machine: Models.machine, warn: { _ in })
        let report = try ModelRun(plan: plan, runtime: runtime, machine: Models.machine).run(inputs: inputs, passes: 1)
        #expect(report.layers.count == layers)
        #expect(report.layers.allSatisfy { $0.fallbackReason == nil })
        #expect(report.tunedError < 1e-5)
        // Both blocks' attentions run fused (the dynamo exporter's operand scales and NaN guard included).
        let compiled = try CompiledModel(plan: plan, initializers: try ModelBinding.initializers(plan), steps: try CompiledModelTests.steps(plan))
        #expect(compiled.fusedAttentions.count == 2, "\(compiled.fusedAttentions)")
        #expect(compiled.referenceNodes.keys.sorted() == onReference, "\(compiled.referenceNodes)")
        let output = try compiled.run(inputs).outputs[0]
        #expect(ExportedGraphTests.relativeError(output.data, expected.data) < 1e-5, "\(ExportedGraphTests.relativeError(output.data, expected.data))")
    }
}
