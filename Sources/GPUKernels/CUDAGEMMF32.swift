import Kernels
import KernelModel

/// The fp32 GEMM on CUDA cores (`gemm_f32.cu`): C[M,N] = A[M,K]·W[N,K]ᵀ. Block tile, k tile,
/// warp tile, thread tile and pipeline stages are searched; the lanes of a warp along N and
/// the load width follow from them and the problem.
public struct CUDAGEMMF32: GPUGEMMFamily {
    public let m: Int, n: Int, k: Int
    public let precision = Precision.fp32
    public let limits: GPULimits
    public let kernel = "cuda-gemm-f32"
    public let source = CUDASource.gemmF32
    public let entry = "gemm_f32"
    public let space: ParameterSpace

    public init(m: Int, n: Int, k: Int, limits: GPULimits) {
        (self.m, self.n, self.k, self.limits) = (m, n, k, limits)
        let vector = k % 4 == 0 ? 4 : 1
        let maxThreads = min(512, limits.maxThreadsPerBlock)
        let sharedLimit = limits.sharedMemoryPerBlockBytes
        space = ParameterSpace(
            kernel: kernel,
            parameters: [
                .init("BM", [64, 128, 256].map { .int($0) }, help: "block tile rows"),
                .init("BN", [64, 128].map { .int($0) }, help: "block tile columns"),
                .init("BK", [8, 16].map { .int($0) }, help: "k tile"),
                .init("WM", [32, 64].map { .int($0) }, help: "warp tile rows"),
                .init("WN", [32, 64].map { .int($0) }, help: "warp tile columns"),
                .init("TM", [4, 8].map { .int($0) }, help: "thread tile rows"),
                .init("TN", [4, 8].map { .int($0) }, help: "thread tile columns"),
                // The source also runs STAGES=1 (one buffer); two, loading the next tile into
                // registers while multiplying, is what every fast configuration used. Three and
                // four are the cp.async pipeline (16-byte copies, no register staging), what
                // cuBLAS's fp32 kernel runs on Hopper; not yet measured on a GPU.
                .init("STAGES", [2, 3, 4].map { .int($0) }, help: "shared-memory buffers (3 and more: a cp.async pipeline)"),
            ],
            constraints: [
                .init("BM % WM == 0 && BN % WN == 0") { c in c.int("BM")! % c.int("WM")! == 0 && c.int("BN")! % c.int("WN")! == 0 },
                .init("64 <= threads <= \(maxThreads)") { c in
                    let threads = Self.threads(c)
                    return threads >= 64 && threads <= maxThreads
                },
                .init("WM % (32 / LN * TM) == 0") { c in c.int("WM")! % (32 / Self.lanesN(c) * c.int("TM")!) == 0 },
                // ptxas (sm_90): outputs plus about 72 registers of tiles and addresses must fit
                // (64 outputs spill at 512 threads, 128 registers each). 128 outputs a thread
                // (the classic 128x128 tile of 128 threads) fit in 255 registers with BK = 8 and
                // 16-byte loads; BK = 16's or scalar loads' larger staging spills.
                .init("16 <= WM * WN / 32 <= 128 and threads * (WM * WN / 32 + 72) <= 65536 and (WM * WN / 32 <= 64 or BK == 8 and VEC == 4) (registers)") { c in
                    let outputs = c.int("WM")! * c.int("WN")! / 32
                    return outputs >= 16 && outputs <= 128 && Self.threads(c) * (outputs + 72) <= 65536
                        && (outputs <= 64 || (c.int("BK")! == 8 && vector == 4))
                },
                .init("shared memory <= \(sharedLimit) bytes") { c in Self.sharedBytes(c) <= sharedLimit },
                // The cp.async pipeline copies 16 bytes of a row at a time, and holds a thread's
                // rows of four k-steps in registers besides its outputs. ptxas (sm_90) spilled
                // with BK = 16 (4 x 8 thread tiles) and with 64 outputs beside eight interleaved
                // W rows (TN = 8); cuBLAS's fp32 kernel uses k tiles of 8.
                .init("STAGES <= 2 or BK == 8 and VEC == 4 and outputs <= 64 and not (outputs == 64 and TN == 8) and threads * (outputs + 4 * (WM / LM + TN) + 32) <= 65536 (cp.async)") { c in
                    guard c.int("STAGES")! >= 3 else { return true }
                    let outputs = c.int("WM")! * c.int("WN")! / 32
                    let rows = c.int("WM")! / (32 / Self.lanesN(c))
                    return c.int("BK")! == 8 && vector == 4 && outputs <= 64 && !(outputs == 64 && c.int("TN")! == 8)
                        && Self.threads(c) * (outputs + 4 * (rows + c.int("TN")!) + 32) <= 65536
                },
            ],
            derived: [
                .init("LN") { c in .int(Self.lanesN(c)) },
                .init("VEC") { _ in .int(vector) },
            ]
        )
    }

    static func threads(_ c: KernelConfig) -> Int { (c.int("BM")! / c.int("WM")!) * (c.int("BN")! / c.int("WN")!) * 32 }
    /// Threads of a warp side by side along N: one thread tile each across the warp tile, at most 32.
    static func lanesN(_ c: KernelConfig) -> Int { max(1, min(32, c.int("WN")! / c.int("TN")!)) }
    static func sharedBytes(_ c: KernelConfig) -> Int {
        let stages = c.int("STAGES")!
        // The register-staged loop keeps M-major tiles (rows of BM + 4 and BN + 4); the
        // cp.async pipeline K-contiguous ones (rows of BK + 4).
        if stages >= 3 { return stages * (c.int("BM")! + c.int("BN")!) * (c.int("BK")! + 4) * 4 }
        return stages * c.int("BK")! * (c.int("BM")! + c.int("BN")! + 8) * 4
    }

    public func launch(_ config: KernelConfig) -> LaunchShape {
        let c = space.completing(config)
        return LaunchShape(grid: (ceilDiv(n, c.int("BN")!), ceilDiv(m, c.int("BM")!), 1), threads: Self.threads(c),
                           sharedBytes: Self.sharedBytes(c))
    }
}
