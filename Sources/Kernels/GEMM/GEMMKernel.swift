/// C[M x N] = A[M x K] · W[K x N] (+ bias[N]) (+ relu/gelu), row-major, fp32 activations and
/// accumulation, weights in any `Precision`. BLIS-style: NC/KC/MC cache blocking, packed
/// panels, an MR x NR register micro-kernel, threads over M or N blocks.
public struct GEMMKernel: TunableKernel {
    public let m: Int
    public let n: Int
    public let k: Int
    public let epilogue: Epilogue
    public let precision: Precision
    public let limits: MachineSizes
    /// B is an activation, not a weight: it changes on every call (attention's Q·Kᵀ and P·V),
    /// so it cannot be packed once at load (no pack_b=2) nor stored quantized (fp32 only). Such
    /// a kernel is named "matmul".
    public let activationB: Bool

    /// The register tiles there are micro-kernels for in this build: 16-lane tiles only where
    /// the kernels are compiled for AVX-512 (elsewhere their vectors are split and spill).
    public static let microTiles: [(mr: Int, nr: Int)] = narrowMicroTiles + (wideVectors ? wideMicroTiles : [])
    static let wideVectors = KernelLibrary.buildISA.contains("avx512f")
    static var tileDescription: String { microTiles.map { "\($0.mr)x\($0.nr)" }.joined(separator: ", ") }

    public init(m: Int, n: Int, k: Int, epilogue: Epilogue = .none, precision: Precision = .fp32, limits: MachineSizes, activationB: Bool = false) throws {
        guard m > 0, n > 0, k > 0 else { throw KernelError.invalidConfig("gemm needs m, n, k >= 1 (got \(m)x\(n)x\(k))") }
        guard !activationB || precision == .fp32 else {
            throw KernelError.invalidConfig("matmul (B an activation) runs in fp32 only, not \(precision.rawValue)")
        }
        self.activationB = activationB
        self.m = m
        self.n = n
        self.k = k
        self.epilogue = epilogue
        self.precision = precision
        self.limits = limits
    }

    public var name: String { activationB ? "matmul" : "gemm" }

    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }

    public func minimumBytes(_ config: KernelConfig) -> Double {
        let group = config.int("group") ?? 0
        let groups = precision.isQuantized ? Double((k + (group == 0 ? k : group) - 1) / (group == 0 ? k : group)) : 0
        return 4 * Double(m * k + m * n) + precision.bytesPerWeight * Double(k * n) + 4 * groups * Double(n)
            + (epilogue.bias ? 4 * Double(n) : 0)
    }

    public var space: ParameterSpace {
        let limits = limits
        let n = n
        var parameters: [ParameterSpace.Parameter] = [
            .init("mr", [4, 6, 8, 12], help: "register tile rows"),
            .init("nr", Self.wideVectors ? [8, 16, 24, 32, 48] : [8, 16, 24], help: "register tile columns (32, 48: AVX-512 builds)"),
            .init("kc", [64, 128, 192, 256, 384, 512], help: "K block: a KC x NR panel of B stays in L1"),
            .init("mc", [16, 24, 32, 48, 64, 72, 96, 120, 128, 144, 192, 240, 256, 288, 384], help: "M block: an MC x KC block of A stays in L2"),
            .init("nc", [240, 256, 480, 512, 960, 1024, 1920, 2048, 3840, 4080, 4096, 8192], help: "N block: a KC x NC panel of B stays in L3"),
            .init("threads", (1...max(1, limits.cores)).map { .int($0) }),
            .init("loop", ["m", "n"], help: "the loop split across threads"),
            .init("order", ["jr", "ir"], help: "register-tile order inside a block: jr (B panel in L1, BLIS) or ir (A panel in L1)"),
            .init("pack_a", [0, 1], help: "pack A into MR panels (0: read A in place)"),
            .init("pack_b", activationB ? [0, 1] : [0, 1, 2], help: "B in NR panels: 0 read in place (fp32 only), 1 packed per block on every call, 2 packed once when the weights are loaded"),
        ]
        if precision.isQuantized { parameters.append(.init("group", [0, 32, 64, 128], help: "quantization group along K (0: per channel)")) }
        let precision = precision
        return ParameterSpace(kernel: name, parameters: parameters, constraints: [
            .init("(mr, nr) is a micro-kernel: \(Self.tileDescription)") { config in
                Self.microTiles.contains { $0.mr == config.int("mr") && $0.nr == config.int("nr") }
            },
            .init("mc % mr == 0") { ($0.int("mc") ?? 0) % max(1, $0.int("mr") ?? 1) == 0 },
            .init("nc % nr == 0") { ($0.int("nc") ?? 0) % max(1, $0.int("nr") ?? 1) == 0 },
            .init("the KC x NR panel of B fits in half of L1d") { config in
                (config.int("kc") ?? 0) * (config.int("nr") ?? 0) * 4 <= limits.l1dBytes / 2 + limits.l1dBytes / 4
            },
            .init("the MC x KC block of A fits in L2") { config in
                (config.int("mc") ?? 0) * (config.int("kc") ?? 0) * 4 <= limits.l2Bytes
            },
            .init("pack_b=0 needs fp32 weights and n % nr == 0") { config in
                config.int("pack_b") != 0 || (precision == .fp32 && n % max(1, config.int("nr") ?? 1) == 0)
            },
            .init("quantization group divides into K blocks: kc % group == 0") { config in
                let group = config.int("group") ?? 0
                return group == 0 || (config.int("kc") ?? 0) % group == 0
            },
        ])
    }

    /// The analytical configuration (AnalyticalDefaults.gemm).
    public var defaultConfig: KernelConfig {
        AnalyticalDefaults.gemm(limits: limits, quantized: precision.isQuantized, kernel: name)
    }

    public func instantiate(_ config: KernelConfig, team: ParallelTeam) throws -> any KernelInstance {
        try space.validate(config)
        let threads = config.int("threads") ?? 1
        guard threads <= team.size else {
            throw KernelError.invalidConfig("threads=\(threads) but the team has \(team.size)")
        }
        return try GEMMInstance(kernel: self, config: config, team: team)
    }
}
