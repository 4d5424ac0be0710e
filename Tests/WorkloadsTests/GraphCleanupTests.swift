import Foundation
import ONNXProto
import Testing
import TunebenchCore

@testable import Workloads

@Suite("ONNX graph clean-up and inspection")
struct GraphCleanupTests {
    @Test("inspect: layers with multiplicities and FLOPs, the clean-up, operators split by whether they run")
    func inspection() throws {
        let inspection = try ONNXImport.inspect(path: ONNXModels.fixture("resnet-block.onnx"))
        let summary = inspection.summary
        #expect(summary.layers.map(\.key) == [
            "conv2d n=1 c=8 h=16 w=16 k=8 r=3 s=3 stride=1 pad=1 dilation=1 bias relu",
            "conv2d n=1 c=8 h=16 w=16 k=8 r=3 s=3 stride=1 pad=1 dilation=1 bias",
            "gemm m=1 n=10 k=8 bias",
        ])
        #expect(summary.layers.map(\.kernel) == ["conv2d", "conv2d", "gemv"])
        let convFLOPs: Double = 2 * 256 * 8 * 72 // 2 x output pixels x output channels x C·R·S
        let gemmFLOPs: Double = 2 * 10 * 8
        #expect(summary.layers[0].flops == convFLOPs)
        #expect(summary.flopsPerPass == 2 * convFLOPs + gemmFLOPs)
        #expect(summary.cleanup.count == 1 && summary.cleanup[0].contains("3 BatchNormalization folded"))
        #expect(summary.onReferenceCode == ["Add": 1, "Relu": 1, "GlobalAveragePool": 1, "Flatten": 1])
        #expect(summary.withoutImplementation.isEmpty)
        let json = try JSONDecoder().decode(ModelInspection.Summary.self, from: try StableJSON.encode(summary))
        #expect(json == summary)
    }

    @Test("the reference operators' list is what evaluate computes")
    func referenceOperatorsListed() throws {
        func message(_ op: String) -> String {
            var node = Onnx_NodeProto()
            node.opType = op
            do { _ = try ReferenceOperators.evaluate(node, [], opset: 17) } catch let failure as ReferenceOperators.Failure { return failure.message } catch {
                return "\(error)"
            }
            return ""
        }
        for op in ReferenceOperators.operators where op != "Constant" {
            #expect(!message(op).hasPrefix("operator \(op) is not in the runner"), "\(op)")
        }
        #expect(message("TopK").hasPrefix("operator TopK is not in the runner"))
    }

    @Test("a model read without the clean-up keeps its graph as written")
    func rawGraph() throws {
        let raw = try ONNXFile.load(path: ONNXModels.fixture("resnet-block.onnx"), cleanUp: false)
        let cleaned = try ONNXFile.load(path: ONNXModels.fixture("resnet-block.onnx"))
        #expect(raw.graph.node.count == 17)
        #expect(cleaned.graph.node.map(\.opType) == ["Conv", "Relu", "Conv", "Add", "Relu", "GlobalAveragePool", "Flatten", "Gemm"])
        // The first convolution's weight: evaluated from its Constant chain, then BN folded into it.
        #expect(cleaned.graph.node[0].input[1] == "conv_a.weight.bn_folded" && cleaned.isInitializer("conv_a.weight.bn_folded"))
        #expect(!raw.isInitializer("conv_a.weight"))
    }

    @Test("shapes larger than memory or overflowing 64 bits are refused in one line, before anything is allocated")
    func hostileSizes() throws {
        let hostile = ONNXModels.fixture("hostile-dims.onnx")
        let error = #expect(throws: FileError.self) { try ONNXImport.load(path: hostile) }
        #expect(error?.message.hasPrefix("initializer \"w\" would have shape [1099511627776, 1099511627776]: more elements than fit") == true,
                "\(String(describing: error))")
        for batch in [1 << 40, 1 << 62] {
            let bound = #expect(throws: FileError.self) { try ONNXImport.load(path: ONNXModels.example("mlp.onnx"), dimensions: ["batch": [batch]]) }
            #expect(bound?.message.hasPrefix("graph input \"x\" would have shape [\(batch), 64]") == true)
        }
        #expect([1 << 40, 1 << 40].saturatingProduct == .max && [3, 5].saturatingProduct == 15)
    }

    @Test("Mul and Add by per-channel or scalar constants after a Conv or Gemm fold into its weights and bias; beta too")
    func channelOperations() throws {
        let file = try ONNXFile.load(path: ONNXModels.fixture("scaled-conv.onnx"))
        #expect(file.graph.node.map(\.opType) == ["Conv", "Relu", "GlobalAveragePool", "Flatten", "Gemm"])
        #expect(file.cleanup.channelOpsFolded == 4 && file.cleanup.batchNormsFolded == 0)
        let gemm = try #require(file.graph.node.last)
        #expect(gemm.float("beta") == 1 && gemm.output == ["y"])
    }
}

@Suite("operators written out, recognized")
struct GraphPatternTests {
    @Test("exact GELU in both exporter orders, LayerNorm with and without gamma/beta, and a reshape of a reshape; the rewritten graph computes the same")
    func patterns() throws {
        // y = LN(x) ; g = gelu(y) in the (x·0.5)·(1+erf(x·(1/√2))) order; r = Reshape(Reshape(g)).
        func constant(_ name: String, _ values: [Float], dims: [Int64] = []) -> Onnx_TensorProto {
            Onnx_TensorProto.with {
                $0.name = name
                $0.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
                $0.dims = dims
                $0.floatData = values
            }
        }
        func node(_ op: String, _ inputs: [String], _ output: String, axes: [Int64]? = nil) -> Onnx_NodeProto {
            Onnx_NodeProto.with {
                $0.opType = op
                $0.input = inputs
                $0.output = [output]
                $0.name = output
                if let axes { $0.attribute = [Onnx_AttributeProto.with { $0.name = "axes"; $0.type = .ints; $0.ints = axes }] }
            }
        }
        let nodes = [
            node("ReduceMean", ["x"], "mean", axes: [-1]), node("Sub", ["x", "mean"], "centered"), node("Mul", ["centered", "centered"], "squared"),
            node("ReduceMean", ["squared"], "variance", axes: [-1]), node("Add", ["variance", "eps"], "shifted"), node("Sqrt", ["shifted"], "std"),
            node("Div", ["centered", "std"], "y"),
            node("Mul", ["y", "half"], "h"), node("Mul", ["y", "inv_sqrt2"], "s"), node("Erf", ["s"], "e"), node("Add", ["one", "e"], "p"),
            node("Mul", ["h", "p"], "g"),
            node("Reshape", ["g", "flat"], "g_flat"), node("Reshape", ["g_flat", "back"], "r"),
        ]
        let graph = Onnx_GraphProto.with {
            $0.name = "patterns"
            $0.node = nodes
            $0.initializer = [constant("eps", [1e-5]), constant("half", [0.5]), constant("inv_sqrt2", [0.707_106_77]), constant("one", [1]),
                              Onnx_TensorProto.with { $0.name = "flat"; $0.dataType = 7; $0.dims = [1]; $0.int64Data = [-1] },
                              Onnx_TensorProto.with { $0.name = "back"; $0.dataType = 7; $0.dims = [2]; $0.int64Data = [3, 8] }]
            $0.input = [Onnx_ValueInfoProto.with {
                $0.name = "x"
                $0.type.tensorType.elemType = 1
                $0.type.tensorType.shape.dim = [3, 8].map { size in Onnx_TensorShapeProto.Dimension.with { $0.dimValue = size } }
            }]
            $0.output = [Onnx_ValueInfoProto.with { $0.name = "r"; $0.type.tensorType.elemType = 1 }]
        }
        let model = Onnx_ModelProto.with {
            $0.irVersion = 8
            $0.graph = graph
            $0.opsetImport = [Onnx_OperatorSetIdProto.with { $0.version = 13 }]
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tb-patterns-\(UUID().uuidString).onnx").path
        try model.serializedData().write(to: URL(fileURLWithPath: path))
        let raw = try ONNXFile.load(path: path, cleanUp: false)
        let cleaned = try ONNXFile.load(path: path)
        #expect(cleaned.graph.node.map(\.opType) == ["LayerNormalization", "Gelu", "Reshape"])
        #expect(cleaned.cleanup.gelusRecognized == 1 && cleaned.cleanup.layerNormsRecognized == 1 && cleaned.cleanup.removed["Reshape of a reshape"] == 1)
        // Same values through both graphs, on the reference operators.
        var data = [Float]()
        for i in 0..<24 { data.append(Float(i % 7) - 2.5 + Float(i) / 10) }
        func run(_ file: ONNXFile) throws -> Tensor {
            var values: [String: Tensor] = ["x": Tensor(shape: [3, 8], data: data)]
            for proto in file.graph.initializer { values[proto.name] = Tensor(try ONNXTensor(proto, file: file)) }
            for node in file.graph.node {
                let outputs = try ReferenceOperators.evaluate(node, node.input.map { values[$0] }, opset: file.opset)
                for (name, value) in zip(node.output, outputs) { values[name] = value }
            }
            return values["r"]!
        }
        let (before, after) = (try run(raw), try run(cleaned))
        #expect(before.shape == [3, 8] && after.shape == [3, 8])
        #expect(zip(before.data, after.data).allSatisfy { abs($0 - $1) < 1e-5 }, "\(before.data) vs \(after.data)")
        // A pattern whose intermediate value has another reader is left alone.
        var observed = graph
        observed.output.append(Onnx_ValueInfoProto.with { $0.name = "e"; $0.type.tensorType.elemType = 1 })
        let kept = try ONNXFile.load(path: try write(observed))
        #expect(kept.graph.node.contains { $0.opType == "Erf" } && kept.cleanup.gelusRecognized == 0)
    }

    @Test("a value defined twice (two graph inputs, two nodes, a node and an input) or an output listed twice: one line naming both places")
    func definedTwice() throws {
        let model = try Onnx_ModelProto(serializedBytes: try Data(contentsOf: URL(fileURLWithPath: ONNXModels.example("mlp.onnx"))))
        func message(_ change: (inout Onnx_GraphProto) -> Void) throws -> String? {
            var graph = model.graph
            change(&graph)
            let path = try write(graph)
            defer { try? FileManager.default.removeItem(atPath: path) }
            do { _ = try ONNXImport.load(path: path, dimensions: ["batch": [1]]) } catch let error as FileError { return error.message }
            return nil
        }
        let first = model.graph.node[0]
        #expect(try message { $0.input.append($0.input[0]) } == "graph input \"\(model.graph.input[0].name)\" is declared twice: not a valid ONNX graph")
        #expect(try message { $0.node[1].output = first.output }
            == "value \"\(first.output[0])\" is defined twice (by node \"\(first.name)\" and by node \"\(model.graph.node[1].name)\"): not a valid ONNX graph")
        #expect(try message { $0.node[0].output = [$0.input[0].name] }
            == "value \"\(model.graph.input[0].name)\" is defined twice (by a graph input and by node \"\(first.name)\"): not a valid ONNX graph")
        #expect(try message { $0.output.append($0.output[0]) } == "graph output \"\(model.graph.output[0].name)\" is listed twice: not a valid ONNX graph")
        #expect(try message { _ in } == nil)
    }

    private func write(_ graph: Onnx_GraphProto) throws -> String {
        let model = Onnx_ModelProto.with {
            $0.irVersion = 8
            $0.graph = graph
            $0.opsetImport = [Onnx_OperatorSetIdProto.with { $0.version = 13 }]
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tb-patterns-\(UUID().uuidString).onnx").path
        try model.serializedData().write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("masks: Equal, Where and comparisons broadcast; booleans are 0 and 1; Cast truncates to integers")
    func logic() throws {
        func op(_ name: String) -> Onnx_NodeProto { Onnx_NodeProto.with { $0.opType = name } }
        let mask = Tensor(shape: [1, 3], ints: [1, 0, 1])
        let zero = Tensor(shape: [], ints: [0])
        let equal = try ReferenceOperators.evaluate(op("Equal"), [mask, zero], opset: 14)[0]
        #expect(equal.ints == [0, 1, 0])
        let chosen = try ReferenceOperators.evaluate(op("Where"), [equal, Tensor(shape: [], data: [-1e9]), Tensor(shape: [2, 1], data: [0, 5])], opset: 14)[0]
        #expect(chosen.shape == [2, 3] && chosen.data == [0, -1e9, 0, 5, -1e9, 5])
        let cast = ReferenceOperators.cast(Tensor(shape: [3], data: [2.7, -2.7, .nan]), to: 7)
        #expect(cast.ints == [2, -2, 0])
        let reduced = try ReferenceOperators.evaluate(Onnx_NodeProto.with {
            $0.opType = "ReduceMean"
            $0.attribute = [Onnx_AttributeProto.with { $0.name = "axes"; $0.type = .ints; $0.ints = [1] }, Onnx_AttributeProto.with { $0.name = "keepdims"; $0.i = 0; $0.type = .int }]
        }, [Tensor(shape: [2, 3, 2], data: (0..<12).map(Float.init))], opset: 13)[0]
        #expect(reduced.shape == [2, 2] && reduced.data == [2, 3, 8, 9])
    }
}
