/// One computation to tune, independent of precision and configuration: a GEMM
/// (C[M x N] = A[M x K] · W[K x N], M = tokens), a matmul (the same product with B an
/// activation, as attention's Q·Kᵀ), a 2-D convolution or a depthwise 2-D convolution (one
/// filter per channel, as MobileNet's), with its fused epilogue.
public struct Layer: Codable, Hashable, Sendable, CustomStringConvertible {
    public enum Operation: String, Codable, Sendable { case gemm, matmul, conv2d, dwconv2d }

    public var operation: Operation
    /// GEMM dimensions (nil for conv2d).
    public var m: Int?
    public var n: Int?
    public var k: Int?
    public var conv: Conv2DShape?
    public var epilogue: Epilogue

    public static func gemm(m: Int, n: Int, k: Int, epilogue: Epilogue = .none) -> Layer {
        Layer(operation: .gemm, m: m, n: n, k: k, conv: nil, epilogue: epilogue)
    }

    public static func matmul(m: Int, n: Int, k: Int, epilogue: Epilogue = .none) -> Layer {
        Layer(operation: .matmul, m: m, n: n, k: k, conv: nil, epilogue: epilogue)
    }

    public static func conv2d(_ shape: Conv2DShape, epilogue: Epilogue = .none) -> Layer {
        Layer(operation: .conv2d, m: nil, n: nil, k: nil, conv: shape, epilogue: epilogue)
    }

    /// A depthwise convolution: `shape.outChannels == shape.channels`, one R x S filter per channel.
    public static func depthwise(_ shape: Conv2DShape, epilogue: Epilogue = .none) throws -> Layer {
        guard shape.outChannels == shape.channels else {
            throw KernelError.invalidConfig("a depthwise convolution has as many output channels as input channels: \(shape)")
        }
        return Layer(operation: .dwconv2d, m: nil, n: nil, k: nil, conv: shape, epilogue: epilogue)
    }

    /// The canonical layer text of the tuning database (Layer+Key.swift), without a precision:
    /// "gemm m=32 n=4096 k=4096 bias relu".
    public var description: String {
        let tail = epilogue.description.isEmpty ? "" : " " + epilogue.description
        switch operation {
        case .gemm, .matmul: return "\(operation.rawValue) m=\(m ?? 0) n=\(n ?? 0) k=\(k ?? 0)\(tail)"
        case .conv2d, .dwconv2d: return "\(operation.rawValue) \(conv.map { "\($0)" } ?? "?")\(tail)"
        }
    }

    /// The `--shape` text of `tune` and `bench`: "MxNxK" or "N,C,H,W,K,R,S,stride,pad,dilation".
    public var shapeArgument: String {
        switch operation {
        case .gemm, .matmul: return "\(m ?? 0)x\(n ?? 0)x\(k ?? 0)"
        case .conv2d, .dwconv2d:
            guard let c = conv else { return "" }
            return ([c.batch, c.channels, c.height, c.width, c.outChannels, c.kernelHeight, c.kernelWidth, c.stride, c.padding, c.dilation]
                + (c.groups > 1 ? [c.groups] : [])).map(String.init).joined(separator: ",")
        }
    }

    /// The kernel that serves this layer (KernelKind.serving).
    public var kernel: KernelKind { KernelKind.serving(self) }
}

extension Layer {
    /// A layer from the words `tune`, `bench` and `race` take: a kernel and its `--shape`
    /// ("MxNxK" for gemm, gemv and matmul; "N,C,H,W,K,R,S[,stride[,pad[,dilation]]]" for conv2d).
    public init(kernel: KernelKind, shape: String, epilogue: Epilogue = .none) throws {
        switch kernel {
        case .gemm, .gemv, .matmul:
            let dims = shape.lowercased().split(separator: "x").map { Int($0) }
            guard dims.count == 3, let m = dims[0], let n = dims[1], let k = dims[2] else {
                throw KernelError.invalidConfig("--shape for \(kernel.rawValue) is MxNxK, e.g. 32x4096x4096; got \"\(shape)\"")
            }
            self = kernel == .matmul ? .matmul(m: m, n: n, k: k, epilogue: epilogue) : .gemm(m: m, n: n, k: k, epilogue: epilogue)
        case .conv2d:
            self = .conv2d(try Conv2DShape(parsing: shape), epilogue: epilogue)
        case .dwconv2d:
            self = try .depthwise(try Conv2DShape(parsing: shape), epilogue: epilogue)
        }
    }
}
