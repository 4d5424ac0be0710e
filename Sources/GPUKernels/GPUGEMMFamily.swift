import Kernels
import KernelModel

/// What tunebench's GPU GEMMs share: C[M,N] = A[M,K]·W[N,K]ᵀ with A, W and C in one element
/// type, the default configuration from `GPUDefaults`, the parameters passed as they are.
public protocol GPUGEMMFamily: GPUKernelFamily {
    var m: Int { get }
    var n: Int { get }
    var k: Int { get }
    var precision: Precision { get }
}

extension GPUGEMMFamily {
    public var defaultConfig: KernelConfig {
        GPUDefaults.config(kernel: kernel, layer: Layer.gemm(m: m, n: n, k: k), precision: precision)!
    }

    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }

    /// A, W and C read or written once, in the element type (4 bytes fp32, else 2).
    public var minimumBytes: Double {
        Double(precision == .fp32 ? 4 : 2) * (Double(m) * Double(k) + Double(n) * Double(k) + Double(m) * Double(n))
    }

    public func defines(_ config: KernelConfig) -> [String: Int] { integerDefines(config) }
}
