import CUDALibraries
import Kernels
import KernelModel

/// The fp16 / bf16 GEMM on tensor cores (`gemm_tc.cu`, mma.sync m16n8k16 with fp32 sums, a
/// cp.async pipeline): C[M,N] = A[M,K]·W[N,K]ᵀ with C in the inputs' type. Needs compute
/// capability 8.0 and K a multiple of 8.
public struct CUDAGEMMTensorCore: GPUGEMMFamily {
    public let m: Int, n: Int, k: Int
    public let precision: Precision
    public let limits: GPULimits
    public let kernel = "cuda-gemm-tc"
    public let source = CUDASource.gemmTensorCore
    public let entry = "gemm_tc"
    public let space: ParameterSpace

    public init(m: Int, n: Int, k: Int, precision: Precision, limits: GPULimits) throws {
        guard precision == .fp16 || precision == .bf16 else {
            throw GPUError(.unsupported, "the tensor-core GEMM computes fp16 or bf16, not \(precision.rawValue)")
        }
        guard limits.hasTensorCoreMMA else {
            throw GPUError(.unsupported, "the tensor-core GEMM needs compute capability 8.0 or later (this GPU: \(limits.computeCapabilityMajor).\(limits.computeCapabilityMinor))")
        }
        guard k % 8 == 0 else {
            throw GPUError(.unsupported, "the tensor-core GEMM needs K to be a multiple of 8 (16-byte rows), not \(k)")
        }
        (self.m, self.n, self.k, self.precision, self.limits) = (m, n, k, precision, limits)
        let maxThreads = min(512, limits.maxThreadsPerBlock)
        let sharedLimit = limits.sharedMemoryPerBlockBytes
        let bf16 = precision == .bf16 ? 1 : 0
        space = ParameterSpace(
            kernel: kernel,
            parameters: [
                .init("BM", [64, 128, 256].map { .int($0) }, help: "block tile rows"),
                .init("BN", [64, 128, 256].map { .int($0) }, help: "block tile columns"),
                .init("BK", [32, 64].map { .int($0) }, help: "k tile"),
                .init("WM", [32, 64].map { .int($0) }, help: "warp tile rows (16 per mma)"),
                .init("WN", [32, 64].map { .int($0) }, help: "warp tile columns (8 per mma)"),
                .init("STAGES", [2, 3, 4].map { .int($0) }, help: "cp.async pipeline stages"),
            ],
            constraints: [
                .init("BM % WM == 0 && BN % WN == 0") { c in c.int("BM")! % c.int("WM")! == 0 && c.int("BN")! % c.int("WN")! == 0 },
                .init("64 <= threads <= \(maxThreads)") { c in
                    let threads = Self.threads(c)
                    return threads >= 64 && threads <= maxThreads
                },
                // 512 threads leave 128 registers each: 128 accumulators and the fragments spill.
                .init("threads * (WM * WN / 32 + 48) <= 65536 (registers: accumulators and fragments)") { c in
                    Self.threads(c) * (c.int("WM")! * c.int("WN")! / 32 + 48) <= 65536
                },
                .init("shared memory <= \(sharedLimit) bytes") { c in Self.sharedBytes(c) <= sharedLimit },
            ],
            derived: [.init("BF16") { _ in .int(bf16) }]
        )
    }

    static func threads(_ c: KernelConfig) -> Int { (c.int("BM")! / c.int("WM")!) * (c.int("BN")! / c.int("WN")!) * 32 }
    static func sharedBytes(_ c: KernelConfig) -> Int {
        c.int("STAGES")! * (c.int("BM")! + c.int("BN")!) * (c.int("BK")! + 8) * 2
    }

    public func launch(_ config: KernelConfig) -> LaunchShape {
        let c = space.completing(config)
        return LaunchShape(grid: (ceilDiv(n, c.int("BN")!), ceilDiv(m, c.int("BM")!), 1), threads: Self.threads(c),
                           sharedBytes: Self.sharedBytes(c))
    }
}
