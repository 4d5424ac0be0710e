import Kernels

/// Builds a tunable kernel from the words a user types: a kernel name, a shape, a precision.
public enum KernelCatalog {
    /// matmul: the GEMM with B an activation (changing every call: packed per call, fp32).
    public static let names = ["gemm", "gemv", "matmul", "conv2d"]

    /// - Parameters:
    ///   - shape: "MxNxK" for gemm, gemv and matmul; for conv2d
    ///     "N,C,H,W,K,R,S[,stride[,pad[,dilation]]]".
    public static func kernel(
        named name: String, shape: String, precision: Precision, epilogue: Epilogue, limits: HardwareLimits
    ) throws -> any TunableKernel {
        switch name {
        case "gemm", "gemv", "matmul":
            let dims = shape.lowercased().split(separator: "x").map { Int($0) }
            guard dims.count == 3, let m = dims[0], let n = dims[1], let k = dims[2] else {
                throw KernelError.invalidConfig("--shape for \(name) is MxNxK, e.g. 32x4096x4096; got \"\(shape)\"")
            }
            if name == "gemv" {
                return try GEMVKernel(m: m, n: n, k: k, epilogue: epilogue, precision: precision, limits: limits)
            }
            return try GEMMKernel(m: m, n: n, k: k, epilogue: epilogue, precision: precision, limits: limits, activationB: name == "matmul")
        case "conv2d":
            return try Conv2DKernel(shape: Conv2DShape(parsing: shape), epilogue: epilogue, precision: precision, limits: limits)
        default:
            throw KernelError.invalidConfig("unknown kernel \"\(name)\" (known: \(names.joined(separator: ", ")))")
        }
    }
}
