import Foundation
import Testing
import TunebenchCore

@testable import Workloads

/// The committed models of scripts/generate-onnx-models.py.
enum ONNXModels {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func example(_ name: String) -> String { root.appendingPathComponent("examples/onnx/\(name)").path }
    static func fixture(_ name: String) -> String { root.appendingPathComponent("Tests/Fixtures/onnx/\(name)").path }
}

@Suite("ONNX import")
struct ONNXImportTests {
    @Test("MLP: Gemm transB, Gemm, MatMul + bias Add; Relu fused; one import per --dim value")
    func mlp() throws {
        let workload = try ONNXImport.load(path: ONNXModels.example("mlp.onnx"), dimensions: ["batch": [1, 32]])
        #expect(workload.instances.map(\.name) == [
            "fc1 + relu1 (batch=1)", "fc2 + relu2 (batch=1)", "fc3 + fc3.bias_add (batch=1)",
            "fc1 + relu1 (batch=32)", "fc2 + relu2 (batch=32)", "fc3 + fc3.bias_add (batch=32)",
        ])
        #expect(workload.instances.prefix(3).map(\.layer.description) == [
            "gemm m=1 n=128 k=64 bias relu", "gemm m=1 n=64 k=128 bias relu", "gemm m=1 n=10 k=64 bias",
        ])
        #expect(workload.instances[3].layer.description == "gemm m=32 n=128 k=64 bias relu")
        #expect(workload.unsupported.isEmpty)
        #expect(workload.notes.contains("not tuned (run outside the tuned kernels), per forward pass: Softmax x1"))
        #expect(workload.uniqueLayers.count == 6)
    }

    @Test("Gemm transB weights arrive as K x N: W[k][n] is the initializer's [n][k]")
    func transposedWeights() throws {
        let path = ONNXModels.example("mlp.onnx")
        let workload = try ONNXImport.load(path: path, dimensions: ["batch": [1]])
        let raw = try #require(try ONNXFile.load(path: path).tensor("fc1.weight"))
        #expect(raw.dims == [128, 64])
        let weights = try #require(workload.instances[0].weights)
        #expect(weights.source == "fc1.weight")
        #expect((weights.rows, weights.columns) == (64, 128))
        let floats = try #require(raw.floats)
        for (k, n) in [(0, 0), (5, 77), (63, 127)] { #expect(weights.values[k * 128 + n] == floats[n * 64 + k]) }
        // fc2 is stored [in, out] = [K, N]: no transposition.
        let fc2 = try #require(workload.instances[1].weights)
        #expect((fc2.rows, fc2.columns) == (128, 64))
        #expect(fc2.values == (try ONNXFile.load(path: path).tensor("fc2.weight"))?.floats)
    }

    @Test("Weights stored in float_data decode like raw_data")
    func floatData() throws {
        let workload = try ONNXImport.load(path: ONNXModels.fixture("float-data.onnx"))
        #expect(workload.instances.map(\.layer.description) == ["gemm m=2 n=3 k=4"])
        #expect(workload.instances[0].weights?.values == (0..<12).map { Float($0) / 10 })
    }

    @Test("Small CNN: Conv + bias + Relu, strided Conv after MaxPool, Flatten into a Gemm")
    func cnn() throws {
        let workload = try ONNXImport.load(path: ONNXModels.example("cnn.onnx"), dimensions: ["batch": [2]])
        #expect(workload.instances.map(\.layer.description) == [
            "conv2d n=2 c=3 h=32 w=32 k=16 r=3 s=3 stride=1 pad=1 dilation=1 bias relu",
            "conv2d n=2 c=16 h=16 w=16 k=32 r=3 s=3 stride=2 pad=1 dilation=1 bias relu",
            "gemm m=2 n=10 k=32 bias",
        ])
        #expect(workload.instances.map(\.name) == ["conv1 + relu1 (batch=2)", "conv2 + relu2 (batch=2)", "fc (batch=2)"])
        // Conv weights [K, C, R, S] become the GEMM operand [C·R·S, K].
        let weights = try #require(workload.instances[0].weights)
        #expect((weights.rows, weights.columns) == (27, 16))
        #expect(workload.notes.contains("not tuned (run outside the tuned kernels), per forward pass: Flatten x1, GlobalAveragePool x1, MaxPool x1"))
    }

    @Test("Transformer block: q/k/v/o projections merge, attention products are batched matmuls, bias+GELU fused")
    func transformerBlock() throws {
        let workload = try ONNXImport.load(path: ONNXModels.example("transformer-block.onnx"), dimensions: ["batch": [1], "seq": [128]])
        let unique = workload.uniqueLayers.map { "\($0.layer) x\($0.multiplicity)" }
        #expect(unique == [
            "gemm m=128 n=64 k=64 bias x4",       // attn.q, k, v, o
            "matmul m=128 n=128 k=16 x4",         // Q·Kᵀ per head
            "matmul m=128 n=16 k=128 x4",         // P·V per head
            "gemm m=128 n=256 k=64 bias gelu x1", // mlp.fc1 + bias + Gelu(tanh)
            "gemm m=128 n=64 k=256 bias x1",
        ])
        #expect(workload.uniqueLayers[0].weights.map(\.source) == ["attn.q.weight", "attn.k.weight", "attn.v.weight", "attn.o.weight"])
        #expect(workload.uniqueLayers[1].weights.isEmpty)
        #expect(workload.notes.contains { $0.hasPrefix("matmul layers multiply two activations") })
        #expect(workload.unsupported.isEmpty)
        // FLOPs: 4 projections, 2 x 4 heads of attention products, the MLP.
        let projections: Double = 4 * 64 * 64
        let attention: Double = 4 * 2 * 128 * 16
        let mlp: Double = 2 * 64 * 256
        #expect(workload.flops == 2 * 128 * (projections + attention + mlp))
    }

    @Test("Unsupported operators are listed, with what depends on them; the rest imports")
    func unsupportedOperators() throws {
        let workload = try ONNXImport.load(path: ONNXModels.fixture("unsupported-op.onnx"))
        #expect(workload.instances.map(\.layer.description) == ["gemm m=8 n=16 k=32"])
        #expect(workload.unsupported == [
            "unsupported operator TopK (node \"topk\"): skipped",
            "Gemm (node \"second\") not imported: input \"top\" has an unknown shape: it comes from the unsupported operator TopK (node \"topk\")",
            "unsupported operator com.example.FancyAttention (node \"custom\"): skipped",
        ])
    }

    @Test("Bad input: one error naming the file and the problem")
    func errors() throws {
        func message(_ path: String, _ dimensions: [String: [Int]] = [:]) -> String {
            do {
                _ = try ONNXImport.load(path: path, dimensions: dimensions)
                return "no error"
            } catch let error as FileError {
                #expect(error.path == path)
                return error.message
            } catch { return "unexpected \(error)" }
        }
        #expect(message(ONNXModels.fixture("truncated.onnx")) == "is not a valid ONNX model: the file is truncated (its data ends inside a field)")
        #expect(message(ONNXModels.fixture("not-onnx.onnx")).hasPrefix("is not a"))
        #expect(message(ONNXModels.fixture("missing.onnx")).hasPrefix("cannot be read"))
        #expect(message(ONNXModels.example("transformer-block.onnx"), ["batch": [1]]) == "symbolic dimension seq not bound: give --dim seq=N")
        #expect(message(ONNXModels.example("mlp.onnx")) == "symbolic dimension batch not bound: give --dim batch=N")
        #expect(message(ONNXModels.example("mlp.onnx"), ["batch": [1], "seq": [4]])
            == "--dim seq: the model has no dimension named \"seq\" (its symbolic dimensions: batch)")
        #expect(message(ONNXModels.example("mlp.onnx"), ["batch": [0]]) == "--dim batch: sizes must be positive integers, got [0]")
        let empty = try write("", name: "empty.onnx")
        #expect(message(empty) == "is empty, not an ONNX model")
    }
}

@Suite("ONNX shape rules")
struct ONNXShapeRuleTests {
    @Test("matmul, broadcast and reshape follow numpy and the ONNX reference")
    func rules() throws {
        #expect(try ONNXOperatorShapes.matmulShape([2, 4, 128, 16], [2, 4, 16, 128]) == [2, 4, 128, 128])
        #expect(try ONNXOperatorShapes.matmulShape([64], [64, 10]) == [10])
        #expect(try ONNXOperatorShapes.matmulShape([3, 5, 64], [64]) == [3, 5])
        #expect(try ONNXOperatorShapes.matmulShape([1, 8, 4], [3, 4, 2]) == [3, 8, 2])
        #expect(throws: ONNXShapeError.self) { try ONNXOperatorShapes.matmulShape([8, 4], [5, 2]) }
        #expect(try ONNXOperatorShapes.broadcast([4, 1, 3], [5, 1]) == [4, 5, 3])
        #expect(try ONNXOperatorShapes.reshape([2, 128, 64], to: [0, 0, 4, -1], allowZero: false) == [2, 128, 4, 16])
        #expect(throws: ONNXShapeError.self) { try ONNXOperatorShapes.reshape([2, 3], to: [4, -1], allowZero: false) }
    }
}
