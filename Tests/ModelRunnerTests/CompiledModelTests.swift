import Foundation
import Kernels
import ONNXProto
import Testing
import Workloads

@testable import ModelEngine
@testable import ModelRunner

/// The compiled model against the interpreting executor (same kernels, same configurations):
/// every example and fixture, the arena smaller than one buffer per value, and the operators it
/// leaves to the reference code counted.
@Suite("compiled model")
struct CompiledModelTests {
    static func steps(_ plan: ONNXPlan) throws -> [BoundStep] {
        let limits = MachineSizes(profile: Models.machine)
        let team = ParallelTeam(size: max(1, Models.machine.topology.cores))
        return try plan.bindings.map { binding in
            let config = ModelBinding.analytical(binding.layer, limits: limits)
            return try ModelBinding.bind(binding, plan: plan, kernel: config.kernel, config: config, precision: .fp32, limits: limits, team: team)
        }
    }

    static func relativeError(_ a: [Tensor], _ b: [Tensor]) -> Double { ModelExecutor.relativeError(a, against: b) }

    @Test("examples: same outputs as the executor, nothing on the reference operators, the arena smaller than a buffer per value", arguments: [
        ("mlp.onnx", ["batch": 4], 1), ("cnn.onnx", ["batch": 2], 1), ("transformer-block.onnx", ["batch": 1, "seq": 16], 1),
        // Large enough that the operators split their work over two threads.
        ("cnn.onnx", ["batch": 16], 2), ("transformer-block.onnx", ["batch": 2, "seq": 128], 2),
    ])
    func examples(model: String, dims: [String: Int], threads: Int) throws {
        let plan = try ONNXImport.plan(path: Models.path(model), dimensions: dims)
        let steps = try Self.steps(plan)
        let initializers = try ModelBinding.initializers(plan)
        let compiled = try CompiledModel(plan: plan, initializers: initializers, steps: steps, team: ParallelTeam(size: threads))
        let executor = ModelExecutor(plan: plan, initializers: initializers, steps: steps)
        for seed in [1, 2] as [UInt64] {
            let inputs = ModelInputs.seeded(plan, seed: seed)
            let expected = try executor.run(inputs).outputs
            let (outputs, layerSeconds) = try compiled.run(inputs)
            #expect(outputs.map(\.shape) == expected.map(\.shape))
            #expect(Self.relativeError(outputs, expected) < 1e-5, "\(Self.relativeError(outputs, expected))")
            #expect(layerSeconds > 0)
        }
        #expect(compiled.referenceNodes.isEmpty, "\(compiled.referenceNodes)")
        #expect(compiled.allocationsPerPass == plan.file.graph.output.count)
        #expect(compiled.arenaBytes < compiled.unplannedBytes, "\(compiled.arenaBytes) vs \(compiled.unplannedBytes)")
    }

    @Test("fixtures: same outputs as onnxruntime; integer masks and the rest run on the reference operators", arguments: [
        "resnet-block", "alexnet-lrn", "mobilenet-block", "tf-same-pads", "shufflenet-block", "scaled-conv", "conv1d-decoder", "unet-block",
        "explicit-pads", "upsample-value-info",
    ])
    func fixtures(model: String) throws {
        let plan = try ONNXImport.plan(path: ExportedGraphTests.fixture("\(model).onnx"))
        let compiled = try CompiledModel(plan: plan, initializers: try ModelBinding.initializers(plan), steps: try Self.steps(plan))
        let input = try NPYFile.load(path: ExportedGraphTests.fixture("\(model).input.npy"))
        let expected = try NPYFile.load(path: ExportedGraphTests.fixture("\(model).expected.npy"))
        let output = try compiled.run([plan.inputs[0].name: input]).outputs[0]
        #expect(output.shape == expected.shape)
        #expect(ExportedGraphTests.relativeError(output.data, expected.data) < 1e-4, "\(ExportedGraphTests.relativeError(output.data, expected.data))")
    }

    @Test("the BERT encoder: masks from an int64 input, both outputs as onnxruntime's, on one and two threads", arguments: [1, 2])
    func bert(threads: Int) throws {
        let plan = try ONNXImport.plan(path: ExportedGraphTests.fixture("bert-encoder.onnx"), dimensions: ["batch": 2, "seq": 8])
        let compiled = try CompiledModel(plan: plan, initializers: try ModelBinding.initializers(plan), steps: try Self.steps(plan),
                                         team: ParallelTeam(size: threads))
        let inputs = try ModelInputs.load(path: ExportedGraphTests.fixture("bert-encoder.inputs.npz"), plan: plan)
        let expected = try NPZFile.load(path: ExportedGraphTests.fixture("bert-encoder.expected.npz"))
        for _ in 0..<2 {
            let outputs = try compiled.run(inputs).outputs
            for (output, wanted) in zip(outputs, expected) {
                #expect(output.shape == wanted.tensor.shape)
                #expect(ExportedGraphTests.relativeError(output.data, wanted.tensor.data) < 1e-4, "\(wanted.name)")
            }
        }
        // The mask's integer part (Unsqueeze, Equal of an int64 input) runs on the reference
        // operators; its Expand is skipped (Where broadcasts the mask as it is) and Where reads the
        // boolean mask where it is and writes floats into the arena.
        #expect(compiled.referenceNodes["Where"] == nil && compiled.referenceNodes["Equal"] == 1 && compiled.referenceNodes["Expand"] == nil)
        #expect(compiled.referenceNodes["Softmax"] == nil && compiled.referenceNodes["LayerNormalization"] == nil)
    }

    @Test("Softmax before opset 13 is over everything from the axis on (the input flattened there), after it over the axis: fast and reference agree")
    func softmaxOpsets() throws {
        let values: [Float] = (0..<12).map { Float($0 % 5) - 1.5 }
        let node = Onnx_NodeProto.with { $0.opType = "Softmax"; $0.attribute = [Onnx_AttributeProto.with { $0.name = "axis"; $0.type = .int; $0.i = 1 }] }
        for opset in [11, 13] {
            let reference = try ReferenceOperators.evaluate(node, [Tensor(shape: [2, 2, 3], data: values)], opset: opset)[0]
            let input = FloatBuffer(count: 12), output = FloatBuffer(count: 12)
            for i in 0..<12 { input.pointer[i] = values[i] }
            let run = try #require(FastOperators.make(node, inputs: [Operand(shape: [2, 2, 3], pointer: input.pointer)],
                                                      output: Operand(shape: [2, 2, 3], pointer: output.pointer), opset: opset, parallel: .init(team: nil)))
            run()
            let fast = (0..<12).map { output.pointer[$0] }
            #expect(zip(fast, reference.data).allSatisfy { abs($0 - $1) < 1e-6 }, "opset \(opset): \(fast) vs \(reference.data)")
            // Opset 11: each batch's 6 values sum to one; opset 13: each group of 2 along axis 1.
            var sums: [Float] = []
            if opset < 13 {
                for start in [0, 6] { sums.append(fast[start..<start + 6].reduce(0, +)) }
            } else {
                for start in [0, 1, 2, 6, 7, 8] { sums.append(fast[start] + fast[start + 3]) }
            }
            #expect(sums.allSatisfy { abs($0 - 1) < 1e-5 }, "opset \(opset): \(sums)")
        }
    }

    @Test("pooling's vector spans over the interior and scalar edges agree with the direct definition", arguments: [
        ("MaxPool", [2, 2], [2, 2], [0, 0], [1, 1], 0), ("MaxPool", [3, 3], [1, 1], [1, 1], [1, 1], 0), ("MaxPool", [3, 3], [2, 2], [1, 1], [1, 1], 0),
        ("MaxPool", [3, 2], [3, 3], [1, 0], [1, 2], 0), ("AveragePool", [3, 3], [2, 2], [1, 1], [1, 1], 0),
        ("AveragePool", [3, 3], [1, 1], [1, 1], [1, 1], 1), ("AveragePool", [2, 2], [2, 2], [0, 0], [1, 1], 0),
    ])
    func pooling(op: String, kernel: [Int], strides: [Int], pads: [Int], dilations: [Int], includePad: Int) throws {
        func ints(_ name: String, _ values: [Int]) -> Onnx_AttributeProto {
            Onnx_AttributeProto.with { $0.name = name; $0.type = .ints; $0.ints = values.map(Int64.init) }
        }
        let node = Onnx_NodeProto.with {
            $0.opType = op
            $0.attribute = [ints("kernel_shape", kernel), ints("strides", strides), ints("pads", pads + pads), ints("dilations", dilations),
                            Onnx_AttributeProto.with { $0.name = "count_include_pad"; $0.type = .int; $0.i = Int64(includePad) }]
        }
        for width in [24, 37, 70] {
            let shape = [1, 2, 7, width]
            let pooling = try Pooling(node: node, input: shape, isMax: op == "MaxPool")
            let (oh, ow) = (pooling.outputShape[2], pooling.outputShape[3])
            let input = (0..<2 * 7 * width).map { Float(($0 * 7919) % 211) / 10 - 10 }
            var output = [Float](repeating: .nan, count: 2 * oh * ow)
            input.withUnsafeBufferPointer { x in output.withUnsafeMutableBufferPointer { pooling.run(x.baseAddress!, $0.baseAddress!, planes: 0..<2) } }
            for index in output.indices {
                let (plane, y, x) = (index / (oh * ow), index / ow % oh, index % ow)
                var values: [Float] = []
                for i in 0..<kernel[0] {
                    for j in 0..<kernel[1] {
                        let (row, column) = (y * strides[0] - pads[0] + i * dilations[0], x * strides[1] - pads[1] + j * dilations[1])
                        if row >= 0, row < 7, column >= 0, column < width { values.append(input[(plane * 7 + row) * width + column]) }
                    }
                }
                let expected = op == "MaxPool" ? values.max()! : values.reduce(0, +) / Float(includePad == 1 ? kernel[0] * kernel[1] : values.count)
                #expect(abs(output[index] - expected) < 1e-5, "\(op) width \(width): output \(index) is \(output[index]), not \(expected)")
            }
            #expect(width < 70 || pooling.interior.count >= 16, "the vector path ran")
        }
    }

    @Test("Where: a mask repeated along the leading axes (the fill path) and any other broadcast (index tables) pick as broadcasting says",
          arguments: [[1, 1, 1, 5], [2, 1, 1, 5], [1, 1, 3, 5], [1], [2, 3, 3, 5]])
    func whereSelect(conditionShape: [Int]) throws {
        let outShape = [2, 3, 3, 5]
        let (count, conditionCount) = (outShape.reduce(1, *), conditionShape.reduce(1, *))
        let buffers = (condition: FloatBuffer(count: conditionCount), x: FloatBuffer(count: count), y: FloatBuffer(count: 1), out: FloatBuffer(count: count))
        for i in 0..<conditionCount { buffers.condition.pointer[i] = i % 3 == 0 ? 0 : 1 }
        for i in 0..<count { buffers.x.pointer[i] = Float(i) }
        buffers.y.pointer[0] = -1
        let (x, y, out) = (Operand(shape: outShape, pointer: buffers.x.pointer), Operand(shape: [1], pointer: buffers.y.pointer),
                           Operand(shape: outShape, pointer: buffers.out.pointer))
        let run = try #require(CompiledModel.select(.arena(offset: 0, count: conditionCount), conditionShape, x, y, out,
                                                    base: buffers.condition.pointer, boxes: CompiledModel.BoxStore()))
        try run()
        let offsets = ReferenceOperators.broadcastOffsets(conditionShape, to: outShape)
        for i in 0..<count {
            let expected: Float = buffers.condition.pointer[offsets[i]] != 0 ? Float(i) : -1
            #expect(buffers.out.pointer[i] == expected, "\(conditionShape): output \(i)")
        }
    }

    @Test("arena layout: values alive together never overlap; dead ones share")
    func layout() {
        let items = [(100, 0, 2), (50, 1, 3), (100, 3, 5), (10, 4, 4), (60, 0, 0)].map { ArenaLayout.Item(size: $0.0, first: $0.1, last: $0.2) }
        let (offsets, total) = ArenaLayout.place(items)
        for i in items.indices {
            for j in items.indices where i < j && items[i].first <= items[j].last && items[j].first <= items[i].last {
                let (a, b) = (offsets[i]..<offsets[i] + items[i].size, offsets[j]..<offsets[j] + items[j].size)
                #expect(!a.overlaps(b), "\(i) and \(j)")
            }
        }
        #expect(total < items.reduce(0) { $0 + ($1.size + 15) / 16 * 16 })
    }
}
