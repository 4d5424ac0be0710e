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
