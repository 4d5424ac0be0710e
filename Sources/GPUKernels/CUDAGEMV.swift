import CUDALibraries
import Kernels
import KernelModel

/// The decode GEMV (`gemv.cu`): y[N] = W[N,K]·x[K] with fp16, int8 (a scale per row) or int4
/// (a scale per `group` weights of a row) weights, fp32 x and y. Memory-bound: the space is the
/// block size, rows per warp and the width of each weight load.
public struct CUDAGEMV: GPUKernelFamily {
    public let n: Int, k: Int
    public let precision: Precision
    /// int4's scale group (weights of a row per scale).
    public let group: Int
    public let limits: GPULimits
    public let kernel = "cuda-gemv"
    public let source = CUDASource.gemv
    public let entry = "gemv"
    public let space: ParameterSpace

    /// WTYPE of gemv.cu.
    static func weightType(_ precision: Precision) -> Int? {
        switch precision {
        case .fp16: 0
        case .int8: 1
        case .int4: 2
        default: nil
        }
    }

    public init(n: Int, k: Int, precision: Precision, group: Int = 128, limits: GPULimits) throws {
        guard let weightType = Self.weightType(precision) else {
            throw GPUError(.unsupported, "the GPU GEMV reads fp16, int8 or int4 weights, not \(precision.rawValue)")
        }
        guard k % 8 == 0 else { throw GPUError(.unsupported, "the GPU GEMV needs K to be a multiple of 8, not \(k)") }
        if precision == .int4, group <= 0 || group % 8 != 0 || k % group != 0 {
            throw GPUError(.unsupported, "int4 groups must be a multiple of 8 that divides K=\(k), not \(group)")
        }
        (self.n, self.k, self.precision, self.group, self.limits) = (n, k, precision, group, limits)
        let maxThreads = min(1024, limits.maxThreadsPerBlock)
        let rowBytes = Int(Double(k) * precision.bytesPerWeight)
        space = ParameterSpace(
            kernel: kernel,
            parameters: [
                .init("THREADS", [64, 128, 256, 512].map { .int($0) }, help: "threads per block"),
                .init("ROWS", [1, 2, 4, 8].map { .int($0) }, help: "rows per warp"),
                .init("VEC", [4, 8, 16].map { .int($0) }, help: "bytes per weight load"),
            ],
            constraints: [
                .init("THREADS <= \(maxThreads)") { c in c.int("THREADS")! <= maxThreads },
                .init("row bytes (\(rowBytes)) % VEC == 0 and K % weights per load == 0") { c in
                    let vector = c.int("VEC")!
                    return rowBytes % vector == 0 && k % Self.elementsPerLoad(vector: vector, precision: precision) == 0
                },
                .init("GROUP % weights per load == 0 (int4: one scale per load)") { c in
                    precision != .int4 || group % Self.elementsPerLoad(vector: c.int("VEC")!, precision: precision) == 0
                },
            ],
            derived: [.init("WTYPE") { _ in .int(weightType) }, .init("GROUP") { _ in .int(group) }]
        )
    }

    static func elementsPerLoad(vector: Int, precision: Precision) -> Int { Int(Double(vector) / precision.bytesPerWeight) }

    public var defaultConfig: KernelConfig {
        GPUDefaults.config(kernel: kernel, layer: Layer.gemm(m: 1, n: n, k: k), precision: precision, group: group)!
    }

    public var flops: Double { 2 * Double(n) * Double(k) }
    public var scaleCount: Int {
        switch precision {
        case .int8: n
        case .int4: n * (k / group)
        default: 0
        }
    }
    public var minimumBytes: Double {
        Double(n) * Double(k) * precision.bytesPerWeight + 4 * Double(scaleCount) + 4 * Double(k + n)
    }

    public func defines(_ config: KernelConfig) -> [String: Int] { integerDefines(config) }

    public func launch(_ config: KernelConfig) -> LaunchShape {
        let c = space.completing(config)
        let rowsPerBlock = c.int("THREADS")! / 32 * c.int("ROWS")!
        return LaunchShape(grid: (ceilDiv(n, rowsPerBlock), 1, 1), threads: c.int("THREADS")!, sharedBytes: 0)
    }
}
