import CUDALibraries
import KernelModel

/// tunebench's CUDA kernel for a GEMM layer by its database name (GPUDefaults' names): what
/// `tune --gpu` and `autotune --gpu` tune, made for a device's limits.
public enum GPULayerKernels {
    /// The kernel named `kernel` for C[M,N] = A[M,K]·W[N,K]ᵀ in `precision` (`group`: int4's
    /// scale group of the GEMV).
    public static func family(kernel: String, m: Int, n: Int, k: Int, precision: Precision, limits: GPULimits,
                              group: Int = 128) throws -> any GPUKernelFamily {
        switch kernel {
        case "cuda-gemm-f32": return CUDAGEMMF32(m: m, n: n, k: k, limits: limits)
        case "cuda-gemm-wgmma": return try CUDAGEMMHopper(m: m, n: n, k: k, precision: precision, limits: limits)
        case "cuda-gemm-tc": return try CUDAGEMMTensorCore(m: m, n: n, k: k, precision: precision, limits: limits)
        case "cuda-gemv":
            guard m == 1 else { throw GPUError(.unsupported, "the GPU gemv computes one row (M = 1), not \(m)") }
            return try CUDAGEMV(n: n, k: k, precision: precision, group: group, limits: limits)
        default: throw GPUError(.unsupported, "no GPU kernel is named \(kernel)")
        }
    }

    /// The kernel a deployment runs `layer` with on a device of `limits` (GPUDefaults.kernel);
    /// nil when no GPU kernel computes it (a convolution, a product of two activations, int8 or
    /// int4 weights with more than one row).
    public static func family(for layer: Layer, precision: Precision, limits: GPULimits) throws -> (any GPUKernelFamily)? {
        let capability = "\(limits.computeCapabilityMajor).\(limits.computeCapabilityMinor)"
        guard let kernel = GPUDefaults.kernel(for: layer, precision: precision, computeCapability: capability),
              let m = layer.m, let n = layer.n, let k = layer.k else { return nil }
        return try family(kernel: kernel, m: m, n: n, k: k, precision: precision, limits: limits, group: int4Group(k: k) ?? 128)
    }

    /// int4's scale group for a row of K weights: 128 (the default), else the largest of 64 and
    /// 32 that divides K; nil when none does.
    public static func int4Group(k: Int) -> Int? {
        [128, 64, 32].first { k % $0 == 0 }
    }
}
