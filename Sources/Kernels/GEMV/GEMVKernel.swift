/// The skinny GEMM for M <= 16 (LLM decode): C[M x N] = A[M x K] · W[K x N] (+ bias, + act),
/// memory-bound, so it reads each weight once, in its storage precision (fp32, fp16, bf16,
/// int8 or int4 with per-channel or per-group scales), with threads over N.
public struct GEMVKernel: TunableKernel {
    public static let maxRows = 16
    /// The register tiles (rows x columns) there are loops for.
    static let tiles: [(mb: Int, nb: Int)] = [(1, 1), (1, 2), (1, 4), (1, 8), (2, 2), (2, 4), (4, 1), (4, 2)]

    public let m: Int
    public let n: Int
    public let k: Int
    public let epilogue: Epilogue
    public let precision: Precision
    public let limits: MachineSizes

    public init(m: Int, n: Int, k: Int, epilogue: Epilogue = .none, precision: Precision = .fp32, limits: MachineSizes) throws {
        guard m > 0, n > 0, k > 0 else { throw KernelError.invalidConfig("gemv needs m, n, k >= 1 (got \(m)x\(n)x\(k))") }
        guard m <= Self.maxRows else {
            throw KernelError.invalidConfig("gemv is the skinny path for m <= \(Self.maxRows); m=\(m) belongs to gemm")
        }
        if precision == .int4, k % 2 != 0 || n % 2 != 0 { throw KernelError.invalidConfig("int4 weights need even n and k") }
        self.m = m
        self.n = n
        self.k = k
        self.epilogue = epilogue
        self.precision = precision
        self.limits = limits
    }

    public var name: String { "gemv" }


    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }

    public func minimumBytes(_ config: KernelConfig) -> Double {
        let group = config.int("group") ?? 0
        let groupSize = group == 0 ? k : group
        let scales = precision.isQuantized ? 4 * Double((k + groupSize - 1) / groupSize * n) : 0
        return precision.bytesPerWeight * Double(k) * Double(n) + scales + 4 * Double(m * k + m * n)
            + (epilogue.bias ? 4 * Double(n) : 0)
    }

    public var space: ParameterSpace {
        var parameters: [ParameterSpace.Parameter] = [
            .init("mb", [1, 2, 4], help: "rows of x per register tile"),
            .init("nb", [1, 2, 4, 8], help: "output channels per register tile"),
            .init("threads", (1...max(1, limits.cores)).map { .int($0) }, help: "threads over N"),
            .init("prefetch", [0, 512, 1024, 2048, 4096], help: "software prefetch distance along the weight stream, bytes (0: none)"),
        ]
        if precision.isQuantized { parameters.append(.init("group", [0, 32, 64, 128], help: "quantization group along K (0: per channel)")) }
        return ParameterSpace(kernel: "gemv", parameters: parameters, constraints: [
            // The loop steps 16 k at a time; a group boundary inside a step would mix scales.
            .init("group is 0 or a multiple of 16") { ($0.int("group") ?? 0) % 16 == 0 },
            .init("(mb, nb) is a tile: 1x1, 1x2, 1x4, 1x8, 2x2, 2x4, 4x1 or 4x2") { config in
                Self.tiles.contains { $0.mb == config.int("mb") && $0.nb == config.int("nb") }
            },
        ])
    }

    /// The analytical configuration (AnalyticalDefaults.gemv).
    public var defaultConfig: KernelConfig { AnalyticalDefaults.gemv(m: m, precision: precision) }

    public func instantiate(_ config: KernelConfig, team: ParallelTeam) throws -> any KernelInstance {
        try space.validate(config)
        let threads = config.int("threads") ?? 1
        guard threads <= team.size else { throw KernelError.invalidConfig("threads=\(threads) but the team has \(team.size)") }
        return try GEMVInstance(kernel: self, config: config, team: team)
    }
}
