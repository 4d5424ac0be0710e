import CUDALibraries
import Kernels
import KernelModel

/// The fp16 / bf16 GEMM for Hopper (`gemm_wgmma.cu`): tiles loaded by the tensor memory
/// accelerator into a ring of shared-memory stages, multiplied by warpgroup MMA (wgmma) with
/// fp32 sums; C[M,N] = A[M,K]·W[N,K]ᵀ with C in the inputs' type. mma.sync, which
/// `CUDAGEMMTensorCore` uses, reaches about a third of what cuBLAS does on an H200 (measured:
/// results/device-check-gpu-*.md); wgmma and TMA are how Hopper's tensor cores are fed. Needs
/// compute capability 9.0 exactly (sm_90a code) and K a multiple of 8 (TMA's 16-byte strides).
public struct CUDAGEMMHopper: GPUGEMMFamily {
    public let m: Int, n: Int, k: Int
    public let precision: Precision
    public let limits: GPULimits
    public let kernel = "cuda-gemm-wgmma"
    public let source = CUDASource.gemmWGMMA
    public let entry = "gemm_wgmma"
    public let space: ParameterSpace

    /// The k tile: 64 16-bit values are one 128-byte swizzle row.
    static let kTile = 64

    public init(m: Int, n: Int, k: Int, precision: Precision, limits: GPULimits) throws {
        guard precision == .fp16 || precision == .bf16 else {
            throw GPUError(.unsupported, "the wgmma GEMM computes fp16 or bf16, not \(precision.rawValue)")
        }
        guard Self.runs(on: limits) else {
            throw GPUError(.unsupported, "the wgmma GEMM needs compute capability 9.0 (Hopper; this GPU: \(limits.computeCapabilityMajor).\(limits.computeCapabilityMinor))")
        }
        guard k % 8 == 0 else {
            throw GPUError(.unsupported, "the wgmma GEMM needs K to be a multiple of 8 (16-byte row strides for TMA), not \(k)")
        }
        (self.m, self.n, self.k, self.precision, self.limits) = (m, n, k, precision, limits)
        let sharedLimit = limits.sharedMemoryPerBlockBytes
        let maxThreads = limits.maxThreadsPerBlock
        let bf16 = precision == .bf16 ? 1 : 0
        space = ParameterSpace(
            kernel: kernel,
            parameters: [
                .init("BN", [64, 128, 256].map { .int($0) }, help: "block tile columns, the wgmma N"),
                .init("MT", [1, 2].map { .int($0) }, help: "64-row wgmma tiles per consumer warpgroup"),
                .init("CONSUMERS", [1, 2].map { .int($0) }, help: "consumer warpgroups (block tile rows = 64 x MT x CONSUMERS)"),
                .init("STAGES", [2, 3, 4, 5, 6].map { .int($0) }, help: "shared-memory stages the TMA producer runs ahead"),
            ],
            constraints: [
                // 128 fp32 accumulators per thread at most: more spill.
                .init("MT * BN <= 256 (accumulator registers)") { c in c.int("MT")! * c.int("BN")! <= 256 },
                .init("threads <= \(maxThreads)") { c in Self.threads(c) <= maxThreads },
                .init("shared memory <= \(sharedLimit) bytes") { c in Self.sharedBytes(c) <= sharedLimit },
            ],
            derived: [.init("BF16") { _ in .int(bf16) }]
        )
    }

    /// Whether wgmma code (sm_90a) runs on a device with these limits.
    public static func runs(on limits: GPULimits) -> Bool {
        "\(limits.computeCapabilityMajor).\(limits.computeCapabilityMinor)" == GPUDefaults.wgmmaComputeCapability
    }

    static func blockRows(_ c: KernelConfig) -> Int { 64 * c.int("MT")! * c.int("CONSUMERS")! }
    static func threads(_ c: KernelConfig) -> Int { 128 * (c.int("CONSUMERS")! + 1) }
    /// The stages, the 1024 bytes the kernel may skip to align them, and two mbarriers a stage.
    static func sharedBytes(_ c: KernelConfig) -> Int {
        c.int("STAGES")! * ((blockRows(c) + c.int("BN")!) * kTile * 2 + 16) + 1024
    }

    public func launch(_ config: KernelConfig) -> LaunchShape {
        let c = space.completing(config)
        return LaunchShape(grid: (ceilDiv(n, c.int("BN")!), ceilDiv(m, Self.blockRows(c)), 1), threads: Self.threads(c),
                           sharedBytes: Self.sharedBytes(c))
    }

    public func compileTarget(for deviceTarget: CompileTarget) throws -> CompileTarget {
        switch deviceTarget {
        case .real(90), .architectureSpecific(90): return .architectureSpecific(90)
        default: throw GPUError(.unsupported, "the wgmma GEMM is Hopper code (sm_90a), not for \(deviceTarget)")
        }
    }

    /// A's and W's tensor maps (boxes of the configuration's tiles), then C and the sizes.
    public func arguments(_ config: KernelConfig, data: any GPUProblemData, context: CUDAContext) throws -> [KernelArgument] {
        guard let gemm = data as? GEMMData else { throw GPUError(.unsupported, "the wgmma GEMM runs on GEMM data") }
        let c = space.completing(config)
        let bf16 = precision == .bf16
        let mapA = try context.tensorMap16Bit(gemm.deviceA, bfloat16: bf16, rows: m, columns: k, boxRows: Self.blockRows(c), boxColumns: Self.kTile)
        let mapW = try context.tensorMap16Bit(gemm.deviceW, bfloat16: bf16, rows: n, columns: k, boxRows: c.int("BN")!, boxColumns: Self.kTile)
        return [.bytes(mapA), .bytes(mapW), .pointer(gemm.deviceC), .int32(Int32(m)), .int32(Int32(n)), .int32(Int32(k))]
    }
}
