/// The one kernel factory: the tunable kernel that runs a problem. `bench`, `tune`, the
/// worker process, `verify` and the model runner all build their kernels here.
public enum KernelCatalog {
    public static func kernel(for problem: KernelProblem, limits: MachineSizes) throws -> any TunableKernel {
        let layer = problem.layer
        switch problem.kernel {
        case .gemm, .gemv, .matmul:
            guard layer.operation == .gemm || layer.operation == .matmul, let m = layer.m, let n = layer.n, let k = layer.k else {
                throw KernelError.invalidConfig("the \(problem.kernel.rawValue) kernel computes products, not \(layer)")
            }
            if problem.kernel == .gemv {
                return try GEMVKernel(m: m, n: n, k: k, epilogue: layer.epilogue, precision: problem.precision, limits: limits)
            }
            return try GEMMKernel(m: m, n: n, k: k, epilogue: layer.epilogue, precision: problem.precision, limits: limits,
                                  activationB: layer.operation == .matmul)
        case .conv2d:
            guard layer.operation == .conv2d, let shape = layer.conv else {
                throw KernelError.invalidConfig("the conv2d kernel computes convolutions, not \(layer)")
            }
            return try Conv2DKernel(shape: shape, epilogue: layer.epilogue, precision: problem.precision, limits: limits)
        case .dwconv2d:
            guard layer.operation == .dwconv2d, let shape = layer.conv else {
                throw KernelError.invalidConfig("the dwconv2d kernel computes depthwise convolutions, not \(layer)")
            }
            return try DepthwiseConv2DKernel(shape: shape, epilogue: layer.epilogue, precision: problem.precision, limits: limits)
        }
    }
}
