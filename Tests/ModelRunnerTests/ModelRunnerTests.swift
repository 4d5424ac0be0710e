import Foundation
import Kernels
import MachineIdentity
import ModelEngine
import ONNXProto
import TunebenchCore

@testable import ModelRunner
import Testing
import TunebenchRuntime
import Workloads

/// The committed example models, run end to end.
enum Models {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func path(_ name: String) -> String { root.appendingPathComponent("examples/onnx/\(name)").path }
    static let machine = try! LiveMachine.identify()
    /// No records: every layer runs its analytical configuration.
    static let empty = DeploymentArtifact(kernelLibraryVersion: KernelLibrary.version, exportedAt: "test", profiles: [], entries: [])
}

@Suite("model runner")
struct ModelRunnerTests {
    @Test("MLP: the kernels match the reference path, whose softmax rows sum to one")
    func mlpByHand() throws {
        let plan = try ONNXImport.plan(path: Models.path("mlp.onnx"), dimensions: ["batch": 2])
        let runtime = try TuningRuntime(artifact: Models.empty, machine: Models.machine, warn: { _ in })
        let run = ModelRun(plan: plan, runtime: runtime, machine: Models.machine)
        let inputs = run.randomInputs()
        let report = try run.run(inputs: inputs, passes: 2)
        #expect(report.outputShapes == [[2, 10]])
        // fp32 kernels against the double-accumulating reference.
        #expect(report.tunedError < 1e-5 && report.defaultError < 1e-5)
        // The softmax rows of the reference sum to one.
        let reference = ModelExecutor(plan: plan, initializers: try ModelBinding.initializers(plan), steps: [])
        let output = try reference.run(inputs).outputs[0]
        for row in 0..<2 {
            let sum: Float = output.data[row * 10..<(row + 1) * 10].reduce(0, +)
            #expect(abs(sum - 1) < 1e-5)
        }
    }

    @Test("CNN and transformer block: every layer bound, outputs within fp32 tolerance of the reference", arguments: [
        ("cnn.onnx", ["batch": 2], [[2, 10]]), ("transformer-block.onnx", ["batch": 1, "seq": 16], [[1, 16, 64]]),
    ])
    func models(file: String, dimensions: [String: Int], shapes: [[Int]]) throws {
        let plan = try ONNXImport.plan(path: Models.path(file), dimensions: dimensions)
        let runtime = try TuningRuntime(artifact: Models.empty, machine: Models.machine, warn: { _ in })
        let run = ModelRun(plan: plan, runtime: runtime, machine: Models.machine)
        let report = try run.run(inputs: run.randomInputs(), passes: 2)
        #expect(report.outputShapes == shapes)
        #expect(report.layers.count == plan.bindings.count && report.layers.allSatisfy { $0.fallbackReason == nil })
        #expect(report.tunedError < 1e-5, "\(report.tunedError)")
    }

    @Test("an int8 configuration from the artifact runs with its quantization error, well within int8's tolerance")
    func quantized() throws {
        let plan = try ONNXImport.plan(path: Models.path("mlp.onnx"), dimensions: ["batch": 32])
        let limits = MachineSizes(profile: Models.machine)
        let entries = plan.bindings.map { binding in
            DeploymentArtifact.Entry(profile: Models.machine.id, layer: binding.layer.description, precision: .int8, kernel: "gemm",
                                     parameters: AnalyticalDefaults.gemm(limits: limits, quantized: true).values, expectedSeconds: 1, gflops: 1,
                                     chosenBy: "max-error 0.01 over fp32,int8")
        }
        let artifact = DeploymentArtifact(kernelLibraryVersion: KernelLibrary.version, exportedAt: "test", profiles: [Models.machine], entries: entries)
        let run = ModelRun(plan: plan, runtime: try TuningRuntime(artifact: artifact, machine: Models.machine, warn: { _ in }), machine: Models.machine)
        let report = try run.run(inputs: run.randomInputs(), passes: 2)
        #expect(report.layers.allSatisfy { $0.answer.step == .exact && $0.answer.precision == .int8 })
        #expect(report.tunedError > 1e-5 && report.tunedError < Precision.int8.tolerance, "\(report.tunedError)")
        #expect(report.defaultError < 1e-5)
    }

    @Test("inputs of the wrong shape are refused with the input's name")
    func wrongInput() throws {
        let plan = try ONNXImport.plan(path: Models.path("mlp.onnx"), dimensions: ["batch": 2])
        let run = ModelRun(plan: plan, runtime: try TuningRuntime(artifact: Models.empty, machine: Models.machine, warn: { _ in }), machine: Models.machine)
        let error = #expect(throws: FileError.self) { try run.run(inputs: ["x": Tensor(shape: [3, 64], data: Array(repeating: 0, count: 192))]) }
        #expect(error?.message == "input \"x\" has shape [3, 64], the model at these dimensions takes [2, 64]")
    }
}

@Suite("reference operators and inputs")
struct ReferenceOperatorTests {
    @Test("transpose and broadcasting match index arithmetic")
    func transposeAndBroadcast() throws {
        let x = Tensor(shape: [2, 3, 4], data: (0..<24).map(Float.init))
        let t = ReferenceOperators.transpose(x, perm: [2, 0, 1])
        #expect(t.shape == [4, 2, 3])
        for i in 0..<4 { for j in 0..<2 { for k in 0..<3 { #expect(t.data[(i * 2 + j) * 3 + k] == x.data[(j * 3 + k) * 4 + i]) } } }
        let bias = Tensor(shape: [4], data: [10, 20, 30, 40])
        let sum = try ReferenceOperators.broadcastBinary(x, bias, op: "Add")
        #expect(sum.data[5] == 5 + 20 && sum.data[23] == 23 + 40)
        let column = Tensor(shape: [3, 1], data: [1, 2, 3]) // not trailing: the general path
        let product = try ReferenceOperators.broadcastBinary(x, column, op: "Mul")
        #expect(product.data[4] == 4 * 2 && product.data[23] == 23 * 3)
        #expect(throws: ReferenceOperators.Failure.self) { try ReferenceOperators.broadcastBinary(x, Tensor(shape: [5], data: Array(repeating: 0, count: 5)), op: "Add") }
    }

    @Test(".npy inputs: C order read; other dtypes and sizes refused")
    func npy() throws {
        func file(_ header: String, _ values: [Float]) throws -> String {
            var text = "{'descr': \(header), 'shape': (2, 3), }"
            while (10 + text.utf8.count + 1) % 64 != 0 { text += " " }
            text += "\n"
            var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(text.utf8.count & 0xff), UInt8(text.utf8.count >> 8)])
            data += Data(text.utf8)
            for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { data += Data($0) } }
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("tb-npy-\(UUID().uuidString).npy").path
            try data.write(to: URL(fileURLWithPath: path))
            return path
        }
        let good = try file("'<f4', 'fortran_order': False", [1, 2, 3, 4, 5, 6])
        let tensor = try NPYFile.load(path: good)
        #expect(tensor.shape == [2, 3] && tensor.data == [1, 2, 3, 4, 5, 6])
        let complex = try file("'<c8', 'fortran_order': False", [1, 2, 3, 4, 5, 6])
        #expect((#expect(throws: FileError.self) { try NPYFile.load(path: complex) })?.message.hasPrefix("holds <c8 values; float32, float64") == true)
        let short = try file("'<f4', 'fortran_order': False", [1, 2])
        #expect((#expect(throws: FileError.self) { try NPYFile.load(path: short) })?.message == "holds 8 bytes of data; shape [2, 3] of <f4 needs 24")
    }
}

/// Graphs as exporters and model zoos write them (scripts/generate-onnx-zoo-patterns.py), with
/// onnxruntime's output committed beside each.
@Suite("exported graphs against onnxruntime")
struct ExportedGraphTests {
    static func fixture(_ name: String) -> String { Models.root.appendingPathComponent("Tests/Fixtures/onnx/\(name)").path }

    static func relativeError(_ output: [Float], _ expected: [Float]) -> Double {
        var accumulator = ErrorAccumulator()
        for (value, reference) in zip(output, expected) { accumulator.add(output: value, reference: Double(reference)) }
        return accumulator.validation(tolerance: .infinity).relativeError
    }

    @Test("a ResNet-style block: weights behind constant subgraphs, BN, Dropout, Sum and Identity are cleaned up; every Conv and Gemm is a layer")
    func resnetBlockImports() throws {
        let workload = try ONNXImport.load(path: Self.fixture("resnet-block.onnx"))
        #expect(workload.unsupported.isEmpty, "\(workload.unsupported)")
        #expect(workload.instances.map(\.layer.description) == [
            "conv2d n=1 c=8 h=16 w=16 k=8 r=3 s=3 stride=1 pad=1 dilation=1 bias relu",
            "conv2d n=1 c=8 h=16 w=16 k=8 r=3 s=3 stride=1 pad=1 dilation=1 bias",
            "gemm m=1 n=10 k=8 bias",
        ])
        #expect(workload.notes.contains(
            "graph clean-up: 4 constant node(s) evaluated into initializers, 1 Dropout removed, 1 Identity removed, 1 Sum of two read as Add, 3 BatchNormalization folded into the preceding Conv/Gemm"),
            "\(workload.notes)")
        // As written, the first convolution's weight is no initializer, and nothing runs BN.
        let raw = try ONNXFile.load(path: Self.fixture("resnet-block.onnx"), cleanUp: false)
        #expect(raw.graph.node.map(\.opType).filter { $0 == "BatchNormalization" }.count == 3)
        #expect(!raw.isInitializer("conv_a.weight"))
    }

    @Test("the cleaned graph computes onnxruntime's output: reference path and kernels", arguments: [
        ("resnet-block", 3), ("alexnet-lrn", 4), ("mobilenet-block", 7), ("tf-same-pads", 4), ("shufflenet-block", 4), ("scaled-conv", 2),
        ("conv1d-decoder", 3), ("unet-block", 3), ("upsample-value-info", 2), ("explicit-pads", 3),
        ("quantized-mlp-qdq", 2), ("quantized-cnn-qdq", 3), ("quantized-mlp-dynamic", 2), ("quantized-mlp-qoperator", 2),
    ])
    func matchesOnnxruntime(model: String, layers: Int) throws {
        let plan = try ONNXImport.plan(path: Self.fixture("\(model).onnx"))
        #expect(plan.workload.unsupported.isEmpty, "\(plan.workload.unsupported)")
        let input = try NPYFile.load(path: Self.fixture("\(model).input.npy"))
        let expected = try NPYFile.load(path: Self.fixture("\(model).expected.npy"))
        let reference = ModelExecutor(plan: plan, initializers: try ModelBinding.initializers(plan), steps: [])
        let output = try reference.run(["x": input]).outputs[0]
        #expect(output.shape == expected.shape)
        #expect(Self.relativeError(output.data, expected.data) < 1e-4, "\(Self.relativeError(output.data, expected.data))")
        // Through the kernels (analytical fp32 configurations) as `tunebench run` runs it.
        let runtime = try TuningRuntime(artifact: Models.empty, machine: Models.machine, warn: { _ in })
        let report = try ModelRun(plan: plan, runtime: runtime, machine: Models.machine).run(inputs: ["x": input], passes: 1)
        #expect(report.layers.count == layers && report.layers.allSatisfy { $0.fallbackReason == nil })
        #expect(report.tunedError < 1e-5)
    }

    @Test("quantized models (onnxruntime's QDQ, dynamic and QOperator formats) import as their float graphs: the float model's layers, dequantized weights")
    func quantizedModels() throws {
        let qdq = try ONNXImport.load(path: Self.fixture("quantized-mlp-qdq.onnx"))
        // The Relu the quantizer dropped (the pair after Add clips at 0) is back in the epilogue.
        #expect(qdq.instances.map(\.layer.description) == ["gemm m=4 n=128 k=64 bias relu", "gemm m=4 n=32 k=128"])
        #expect(qdq.unsupported.isEmpty, "\(qdq.unsupported)")
        #expect(qdq.notes.contains { $0.contains("4 QuantizeLinear → DequantizeLinear pair(s) on activations removed, 1 of them read as the Relu") })
        // The weights are the int8 values dequantized per channel, as the error checks read them.
        let weights = try #require(qdq.instances.first?.weights)
        #expect(weights.rows == 64 && weights.columns == 128)
        let cnn = try ONNXImport.load(path: Self.fixture("quantized-cnn-qdq.onnx"))
        #expect(cnn.instances.map(\.layer.description) == [
            "conv2d n=1 c=3 h=16 w=16 k=8 r=3 s=3 stride=1 pad=1 dilation=1 bias relu",
            "conv2d n=1 c=8 h=16 w=16 k=16 r=3 s=3 stride=2 pad=1 dilation=1 bias relu", "gemm m=1 n=10 k=16 bias"])
        let dynamic = try ONNXImport.load(path: Self.fixture("quantized-mlp-dynamic.onnx"))
        #expect(dynamic.instances.map(\.layer.description) == ["gemm m=4 n=128 k=64 bias relu", "gemm m=4 n=32 k=128"])
        #expect(dynamic.notes.contains { $0.contains("2 dynamically quantized MatMulInteger read as MatMul") })
        let plan = try ONNXImport.plan(path: Self.fixture("quantized-mlp-dynamic.onnx"))
        #expect(!plan.file.graph.node.contains { ["DynamicQuantizeLinear", "MatMulInteger", "Cast"].contains($0.opType) })
        // The QOperator format of the CNN's quantization: QLinearConv (its Relu in the output's
        // range), QLinearGlobalAveragePool, a Flatten of quantized values and QGemm read as the
        // float graph of its QDQ twin, whose output it computes.
        let operators = try ONNXImport.plan(path: Self.fixture("quantized-cnn-qoperator.onnx"))
        #expect(operators.workload.instances.map(\.layer.description) == cnn.instances.map(\.layer.description))
        #expect(operators.workload.unsupported.isEmpty, "\(operators.workload.unsupported)")
        #expect(try ONNXImport.load(path: Self.fixture("quantized-cnn-qoperator.onnx")).notes.contains { $0.contains("4 quantized operator(s)") })
        let input = try NPYFile.load(path: Self.fixture("quantized-cnn-qdq.input.npy"))
        let expected = try NPYFile.load(path: Self.fixture("quantized-cnn-qdq.expected.npy"))
        let output = try ModelExecutor(plan: operators, initializers: try ModelBinding.initializers(operators), steps: []).run(["x": input]).outputs[0]
        #expect(Self.relativeError(output.data, expected.data) < 1e-4, "\(Self.relativeError(output.data, expected.data))")
    }

    @Test("a QOperator graph that reads a quantized tensor's codes as numbers is left as it is: its operators are listed, nothing misread")
    func quantizedCodesRead() throws {
        var model = try Onnx_ModelProto(serializedBytes: try Data(contentsOf: URL(fileURLWithPath: Self.fixture("quantized-cnn-qoperator.onnx"))))
        // A Cast of the quantized pooling output to float: its codes, not its values.
        let index = try #require(model.graph.node.firstIndex { $0.opType == "Flatten" })
        model.graph.node[index].opType = "Cast"
        model.graph.node[index].attribute = [Onnx_AttributeProto.with { $0.name = "to"; $0.type = .int; $0.i = 1 }]
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tb-codes-\(UUID().uuidString).onnx").path
        try model.serializedData().write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: FileError.self) { try ONNXImport.load(path: path) }
        #expect(error?.message.contains("unsupported operator QLinearConv") == true, "\(error?.message ?? "-")")
    }

    @Test("a zero Pad before a Conv becomes the Conv's pads; reflect and edge Pads run before theirs")
    func explicitPads() throws {
        let plan = try ONNXImport.plan(path: Self.fixture("explicit-pads.onnx"))
        #expect(plan.file.graph.node.map(\.opType) == ["Conv", "Relu", "Pad", "Conv", "Pad", "Conv"])
        #expect(plan.workload.instances.map(\.layer.description) == [
            "conv2d n=1 c=3 h=17 w=17 k=8 r=3 s=3 stride=2 pad=0 dilation=1 bias relu",
            "conv2d n=1 c=8 h=10 w=10 k=8 r=3 s=3 stride=1 pad=0 dilation=1", "conv2d n=1 c=8 h=10 w=10 k=4 r=3 s=3 stride=1 pad=0 dilation=1",
        ])
    }

    @Test("an operator without a shape rule takes its output shape from the model's value_info: the layers after it import")
    func valueInfoKeepsShapes() throws {
        // The fixture's Upsample renamed to an operator nothing here knows.
        var model = try Onnx_ModelProto(serializedBytes: try Data(contentsOf: URL(fileURLWithPath: Self.fixture("upsample-value-info.onnx"))))
        let index = try #require(model.graph.node.firstIndex { $0.opType == "Upsample" })
        model.graph.node[index].opType = "FancyUpsample"
        model.graph.node[index].domain = "com.example"
        model.opsetImport.append(Onnx_OperatorSetIdProto.with { $0.domain = "com.example"; $0.version = 1 })
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tb-value-info-\(UUID().uuidString).onnx").path
        try model.serializedData().write(to: URL(fileURLWithPath: path))
        let workload = try ONNXImport.load(path: path)
        #expect(workload.instances.map(\.layer.description) == [
            "conv2d n=1 c=4 h=8 w=8 k=8 r=3 s=3 stride=1 pad=1 dilation=1", "conv2d n=1 c=8 h=16 w=16 k=8 r=3 s=3 stride=1 pad=1 dilation=1",
        ])
        #expect(workload.unsupported == [
            "unsupported operator com.example.FancyUpsample (node \"upsample\"), its output shapes taken from the model's value_info: skipped",
        ])
    }

    @Test("a BERT encoder layer as exporters write it: every MatMul a layer, GELU and LayerNorm recognized, masks and fused QKV run; outputs match onnxruntime")
    func bertEncoder() throws {
        let plan = try ONNXImport.plan(path: Self.fixture("bert-encoder.onnx"), dimensions: ["batch": 2, "seq": 8])
        #expect(plan.workload.unsupported.isEmpty, "\(plan.workload.unsupported)")
        #expect(plan.workload.instances.map(\.layer.description) == [
            "gemm m=16 n=192 k=64 bias", "matmul m=8 n=8 k=16", "matmul m=8 n=16 k=8", "gemm m=16 n=64 k=64 bias",
            "gemm m=16 n=256 k=64 bias gelu_erf", "gemm m=16 n=64 k=256 bias", "gemm m=2 n=64 k=64 bias",
        ])
        let operators = plan.file.graph.node.map(\.opType)
        #expect(operators.filter { $0 == "LayerNormalization" }.count == 2 && !operators.contains("Erf") && !operators.contains("ReduceMean"))
        // The Gelu was fused into ffn.in's epilogue.
        let fused = Set(plan.bindings.flatMap(\.fusedNodes))
        #expect(plan.file.graph.node.indices.filter { plan.file.graph.node[$0].opType == "Gelu" }.allSatisfy(fused.contains))
        #expect(plan.inputs.map(\.isInteger) == [false, true])
        let inputs = try ModelInputs.load(path: Self.fixture("bert-encoder.inputs.npz"), plan: plan)
        #expect(inputs["attention_mask"]?.ints?.contains(0) == true)
        let expected = try NPZFile.load(path: Self.fixture("bert-encoder.expected.npz"))
        #expect(expected.map(\.name) == ["last_hidden_state", "pooler_output"])
        let reference = try ModelExecutor(plan: plan, initializers: try ModelBinding.initializers(plan), steps: []).run(inputs).outputs
        for (output, wanted) in zip(reference, expected) {
            #expect(output.shape == wanted.tensor.shape)
            #expect(Self.relativeError(output.data, wanted.tensor.data) < 1e-4, "\(wanted.name): \(Self.relativeError(output.data, wanted.tensor.data))")
        }
        let runtime = try TuningRuntime(artifact: Models.empty, machine: Models.machine, warn: { _ in })
        let report = try ModelRun(plan: plan, runtime: runtime, machine: Models.machine).run(inputs: inputs, passes: 1)
        #expect(report.layers.count == 7 && report.layers.allSatisfy { $0.fallbackReason == nil })
        for (output, wanted) in zip(report.outputs, expected) {
            #expect(output.name == wanted.name)
            #expect(Self.relativeError(output.tensor.data, wanted.tensor.data) < 1e-4, "\(wanted.name) through the kernels")
        }
        // The mask matters: with every position kept the output differs.
        var unmasked = inputs
        unmasked["attention_mask"] = Tensor(shape: [2, 8], ints: Array(repeating: 1, count: 16))
        let changed = try ModelExecutor(plan: plan, initializers: try ModelBinding.initializers(plan), steps: []).run(unmasked).outputs
        #expect(Self.relativeError(changed[0].data, expected[0].tensor.data) > 1e-3)
    }

    @Test("inputs: a .npz by name, a .npy for a one-input model; missing names, wrong shapes and compressed archives are refused naming the file")
    func inputFiles() throws {
        let plan = try ONNXImport.plan(path: Self.fixture("bert-encoder.onnx"), dimensions: ["batch": 2, "seq": 8])
        let npy = Self.fixture("alexnet-lrn.input.npy")
        #expect((#expect(throws: FileError.self) { try ModelInputs.load(path: npy, plan: plan) })?.message.contains("the model has 2 inputs (hidden, attention_mask)") == true)
        let small = try ONNXImport.plan(path: Self.fixture("bert-encoder.onnx"), dimensions: ["batch": 1, "seq": 8])
        let wrongShape = #expect(throws: FileError.self) { try ModelInputs.load(path: Self.fixture("bert-encoder.inputs.npz"), plan: small) }
        #expect(wrongShape?.message == "input \"hidden\" has shape [2, 8, 64], the model at these dimensions takes [1, 8, 64]")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tb-npz-in-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try NPZFile.encode([("hidden", Tensor(shape: [2, 8, 64], data: Array(repeating: 0.5, count: 1024)))]).write(to: URL(fileURLWithPath: folder + "/partial.npz"))
        #expect((#expect(throws: FileError.self) { try ModelInputs.load(path: folder + "/partial.npz", plan: plan) })?.message.hasPrefix("no value for input \"attention_mask\"") == true)
        // numpy.savez_compressed's deflated members, written by Python's zipfile.
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c", "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED); z.write(sys.argv[2], 'hidden.npy'); z.close()",
                            folder + "/compressed.npz", npy]
        try python.run()
        python.waitUntilExit()
        let compressed = #expect(throws: FileError.self) { try ModelInputs.load(path: folder + "/compressed.npz", plan: plan) }
        #expect(compressed?.message.contains("is compressed (numpy.savez_compressed)") == true)
        // Calibration from a directory: every .npz in name order.
        try FileManager.default.copyItem(atPath: Self.fixture("bert-encoder.inputs.npz"), toPath: folder + "/calibration-a.npz")
        try FileManager.default.createDirectory(atPath: folder + "/sets", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.fixture("bert-encoder.inputs.npz"), toPath: folder + "/sets/1.npz")
        try FileManager.default.copyItem(atPath: Self.fixture("bert-encoder.inputs.npz"), toPath: folder + "/sets/2.npz")
        #expect(try ModelInputs.calibration(path: folder + "/sets", plans: [small, plan]).count == 2)
        #expect(throws: FileError.self) { try ModelInputs.calibration(path: folder + "/sets", plans: [small]) }
        #expect(throws: FileError.self) { try ModelInputs.calibration(path: folder + "/none", plans: [plan]) }
    }

    @Test("seeded inputs: floats in [-1, 1), integer inputs 0 and 1 with each row starting at 1")
    func seededInputs() throws {
        let plan = try ONNXImport.plan(path: Self.fixture("bert-encoder.onnx"), dimensions: ["batch": 3, "seq": 16])
        let inputs = ModelInputs.seeded(plan, seed: 5)
        let mask = try #require(inputs["attention_mask"]?.ints)
        #expect(Set(mask) == [0, 1] && stride(from: 0, to: 48, by: 16).allSatisfy { mask[$0] == 1 })
        #expect(inputs["hidden"]!.data.allSatisfy { $0 >= -1 && $0 < 1 } && inputs["hidden"]!.ints == nil)
        #expect(ModelInputs.seeded(plan, seed: 5)["hidden"]!.data == inputs["hidden"]!.data)
    }

    @Test("metrics: relative L2, 1 - cosine, 1 - top-1 agreement")
    func metrics() {
        let reference = [Tensor(shape: [2, 3], data: [1, 2, 3, 3, 2, 1])]
        let scaled = [Tensor(shape: [2, 3], data: [2, 4, 6, 6, 4, 2])]
        #expect(abs(ModelMetric.relativeL2.error(scaled, against: reference) - 1) < 1e-9)
        #expect(ModelMetric.cosine.error(scaled, against: reference) < 1e-9) // same direction
        #expect(ModelMetric.top1.error(scaled, against: reference) == 0)
        let swapped = [Tensor(shape: [2, 3], data: [1, 2, 3, 1, 2, 3])] // the second row's top class moves
        #expect(ModelMetric.top1.error(swapped, against: reference) == 0.5)
        let orthogonal = [Tensor(shape: [2], data: [0, 1])]
        #expect(abs(ModelMetric.cosine.error(orthogonal, against: [Tensor(shape: [2], data: [1, 0])]) - 1) < 1e-12)
    }
}

@Suite("run --output files")
struct OutputFileTests {
    @Test(".npy written and read back exactly; .npz read by an independent zip reader (Python's zipfile, CRCs checked)")
    func roundTrips() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tb-npz-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let a = Tensor(shape: [2, 3], data: [1, -2.5, 3, .pi, 0, -0])
        let b = Tensor(shape: [4], data: [7, 8, 9, 1e-30])
        try NPYFile.encode(a).write(to: URL(fileURLWithPath: folder + "/a.npy"))
        let back = try NPYFile.load(path: folder + "/a.npy")
        #expect(back.shape == a.shape && back.data.map(\.bitPattern) == a.data.map(\.bitPattern))
        // NumPy's layout: the data starts on a 64-byte boundary.
        #expect((try Data(contentsOf: URL(fileURLWithPath: folder + "/a.npy")).count - 24) % 64 == 0)
        try NPZFile.encode([("logits", a), ("probs", b)]).write(to: URL(fileURLWithPath: folder + "/out.npz"))
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c", "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; z.extractall(sys.argv[2]); print(','.join(z.namelist()))",
                            folder + "/out.npz", folder + "/extracted"]
        let out = Pipe()
        python.standardOutput = out
        try python.run()
        let names = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        python.waitUntilExit()
        #expect(python.terminationStatus == 0)
        #expect(names.trimmingCharacters(in: .whitespacesAndNewlines) == "logits.npy,probs.npy")
        let probs = try NPYFile.load(path: folder + "/extracted/probs.npy")
        #expect(probs.shape == [4] && probs.data == b.data)
    }

    @Test("run's outputs: .npy for one output, .npz by name; another suffix or .npy for several is refused")
    func reportOutputs() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tb-out-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let plan = try ONNXImport.plan(path: ExportedGraphTests.fixture("alexnet-lrn.onnx"))
        let runtime = try TuningRuntime(artifact: Models.empty, machine: Models.machine, warn: { _ in })
        let input = try NPYFile.load(path: ExportedGraphTests.fixture("alexnet-lrn.input.npy"))
        var report = try ModelRun(plan: plan, runtime: runtime, machine: Models.machine).run(inputs: ["x": input], passes: 1)
        try report.writeOutputs(to: folder + "/y.npy")
        let written = try NPYFile.load(path: folder + "/y.npy")
        let expected = try NPYFile.load(path: ExportedGraphTests.fixture("alexnet-lrn.expected.npy"))
        #expect(written.shape == [1, 10] && ExportedGraphTests.relativeError(written.data, expected.data) < 1e-4)
        #expect(throws: OptionError.self) { try report.writeOutputs(to: folder + "/y.txt") }
        report.outputs.append(report.outputs[0])
        #expect(throws: OptionError.self) { try report.writeOutputs(to: folder + "/y.npy") }
    }
}
