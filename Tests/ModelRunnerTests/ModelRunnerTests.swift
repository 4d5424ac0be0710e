import Foundation
import Kernels
import MachineIdentity
import ModelEngine
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

    @Test(".npy inputs: float32 C order read; other dtypes and sizes refused")
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
        let double = try file("'<f8', 'fortran_order': False", [1, 2, 3, 4, 5, 6])
        #expect((#expect(throws: FileError.self) { try NPYFile.load(path: double) })?.message == "holds <f8 values; float32 ('<f4') is needed")
        let short = try file("'<f4', 'fortran_order': False", [1, 2])
        #expect((#expect(throws: FileError.self) { try NPYFile.load(path: short) })?.message == "holds 8 bytes of data; shape [2, 3] needs 24")
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

    @Test("the cleaned graph computes onnxruntime's output: reference path and kernels", arguments: [("resnet-block", 3), ("alexnet-lrn", 4), ("mobilenet-block", 7), ("tf-same-pads", 4), ("shufflenet-block", 4), ("scaled-conv", 2)])
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

    @Test("an operator without a shape rule takes its output shape from the model's value_info: the layers after it import")
    func valueInfoKeepsShapes() throws {
        let workload = try ONNXImport.load(path: Self.fixture("upsample-value-info.onnx"))
        #expect(workload.instances.map(\.layer.description) == [
            "conv2d n=1 c=4 h=8 w=8 k=8 r=3 s=3 stride=1 pad=1 dilation=1", "conv2d n=1 c=8 h=16 w=16 k=8 r=3 s=3 stride=1 pad=1 dilation=1",
        ])
        #expect(workload.unsupported == [
            "unsupported operator Upsample (node \"upsample\"), its output shapes taken from the model's value_info: skipped",
        ])
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
