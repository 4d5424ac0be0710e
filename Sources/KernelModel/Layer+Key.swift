/// The layer key: the text a tuning database and a deployment artifact name a layer by,
/// "gemm m=32 n=4096 k=4096 bias relu", optionally followed by a weight precision ("… int8";
/// fp32 is written without one). Only those boundaries turn layers into text and back.
extension Layer {
    /// The key with `precision` appended (nothing for fp32, nor for matmul, which is fp32 only).
    public func key(precision: Precision) -> String {
        precision == .fp32 || operation == .matmul ? description : "\(description) \(precision.rawValue)"
    }

    /// Reads a key `key(precision:)` wrote: "gemm m=1 n=4096 k=4096 int8" → (gemm 1x4096x4096, int8).
    public static func parse(key text: String) throws -> (layer: Layer, precision: Precision) {
        var words = text.split(separator: " ").map(String.init)
        var precision = Precision.fp32
        if words.count > 1, let last = words.last, let named = Precision(rawValue: last) {
            precision = named
            words.removeLast()
        }
        let invalid = KernelError.invalidConfig("\"\(text)\" is not a layer key (e.g. \"gemm m=32 n=4096 k=4096 bias\")")
        guard let first = words.first, let operation = Operation(rawValue: first) else { throw invalid }
        var dimensions: [String: Int] = [:]
        var epilogue = Epilogue()
        for word in words.dropFirst() {
            let parts = word.split(separator: "=", maxSplits: 1)
            if parts.count == 2 {
                guard let value = Int(parts[1]) else { throw invalid }
                dimensions[String(parts[0])] = value
            } else {
                switch word {
                case "bias": epilogue.bias = true
                case let name where Epilogue.Activation(rawValue: name) != nil && name != "none": epilogue.activation = Epilogue.Activation(rawValue: name)!
                default: throw invalid
                }
            }
        }
        func dimension(_ name: String) throws -> Int {
            guard let value = dimensions[name] else { throw KernelError.invalidConfig("layer key \"\(text)\" has no \(name)=") }
            return value
        }
        switch operation {
        case .gemm, .matmul:
            let layer = Layer(operation: operation, m: try dimension("m"), n: try dimension("n"), k: try dimension("k"), conv: nil, epilogue: epilogue)
            return (layer, precision)
        case .conv2d, .dwconv2d:
            let shape = try Conv2DShape(batch: try dimension("n"), channels: try dimension("c"), height: try dimension("h"), width: try dimension("w"),
                                        outChannels: try dimension("k"), kernelHeight: try dimension("r"), kernelWidth: try dimension("s"),
                                        stride: dimensions["stride"] ?? 1, padding: dimensions["pad"] ?? 0, dilation: dimensions["dilation"] ?? 1,
                                        groups: dimensions["groups"] ?? 1)
            return (operation == .conv2d ? .conv2d(shape, epilogue: epilogue) : try .depthwise(shape, epilogue: epilogue), precision)
        }
    }

    /// The numeric dimensions as the key names them (m, n, k; or n, c, h, w, k, r, s, stride,
    /// pad, dilation).
    public var dimensions: [String: Int] {
        switch operation {
        case .gemm, .matmul: return ["m": m ?? 0, "n": n ?? 0, "k": k ?? 0]
        case .conv2d, .dwconv2d:
            guard let c = conv else { return [:] }
            var dimensions = ["n": c.batch, "c": c.channels, "h": c.height, "w": c.width, "k": c.outChannels, "r": c.kernelHeight,
                              "s": c.kernelWidth, "stride": c.stride, "pad": c.padding, "dilation": c.dilation]
            if c.groups > 1 { dimensions["groups"] = c.groups }
            return dimensions
        }
    }
}
