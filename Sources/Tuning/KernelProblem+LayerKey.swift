import Kernels
import TunebenchRuntime

extension KernelProblem {
    /// The problem a database layer key describes ("gemm m=32 n=4096 k=4096 bias relu int8",
    /// "conv2d n=1 c=64 h=56 w=56 k=64 r=3 s=3 stride=1 pad=1 dilation=1 bias"), run by `kernel`.
    public init(layerKey text: String, kernel: String) throws {
        let (layer, precision) = LayerKey.splitPrecision(text)
        guard let key = LayerKey(layer) else { throw KernelError.invalidConfig("\"\(text)\" is not a layer key") }
        let words = layer.split(separator: " ").dropFirst().filter { !$0.contains("=") }.map(String.init)
        let epilogue = words.isEmpty ? "none" : words.joined(separator: "+")
        func dimension(_ name: String) throws -> Int {
            guard let value = key.dimensions[name] else { throw KernelError.invalidConfig("layer key \"\(text)\" has no \(name)=") }
            return value
        }
        let shape: String
        switch key.operation {
        case "conv2d":
            shape = try ["n", "c", "h", "w", "k", "r", "s", "stride", "pad", "dilation"].map { String(try dimension($0)) }.joined(separator: ",")
        default:
            shape = "\(try dimension("m"))x\(try dimension("n"))x\(try dimension("k"))"
        }
        self.init(kernel: kernel, shape: shape, precision: precision, epilogue: epilogue)
    }
}
