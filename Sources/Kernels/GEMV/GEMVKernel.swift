/// The skinny GEMM for M <= 16 (LLM decode): C[M x N] = A[M x K] · W[K x N] (+ bias, + act),
/// memory-bound, so it reads each weight once, in its storage precision (fp32, fp16, bf16,
/// int8 or int4 with per-channel or per-group scales), with threads over N.
///
/// Two paths (`path`): `dot`, its own loops (a few rows of x against a tile of output channels),
/// and `tiles`, the GEMM's register tiles over weights packed once (`tilesConfig`). Which is
/// faster depends on the rows, the precision and the build: with the 16-lane tiles the GEMM won
/// from 4 rows on in fp32 (8x4096x4096: 61 against 21–23 GFLOP/s), the dot loops at 2 and 3
/// rows and with int8 weights at 4 (measured, docs/DESIGN.md); the search measures both.
/// With fp16, bf16, int8 or int4 weights a third path, `dp`, runs CIntegerKernels: the
/// dot-product instructions on quantized activations, or 16-bit weights widened in 16-lane
/// panels (`act`, `isa`: Arithmetic, DotProductInstance).
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
        let dotProducts = Arithmetic.applies(to: precision)
        parameters.append(.init("path", dotProducts ? ["dot", "tiles", "dp"] : ["dot", "tiles"],
                                help: "dot: the skinny loops; tiles: the GEMM's register tiles over weights packed once; dp: CIntegerKernels (dot-product instructions on quantized activations, or fp16/bf16 widened in 16-lane panels)"))
        parameters += Arithmetic.parameters(for: precision)
        return ParameterSpace(kernel: "gemv", parameters: parameters, constraints: Arithmetic.constraints(for: precision) + [
            .init("path=dp exactly when isa≠build; it takes mb=1, nb=1, prefetch=0") { config in
                let dp = config.text("path") == "dp"
                guard dp == Arithmetic.runsVariant(config) else { return false }
                return !dp || (config.int("mb") == 1 && config.int("nb") == 1 && config.int("prefetch") == 0)
            },
            // mb, nb and prefetch shape the dot loops only: one value each keeps the tiles path to
            // one point per thread count (and group) instead of forty identical ones.
            .init("path=tiles takes mb=1, nb=1, prefetch=0 (they belong to the dot loops)") { config in
                config.text("path") != "tiles" || (config.int("mb") == 1 && config.int("nb") == 1 && config.int("prefetch") == 0)
            },
            // The loop steps 16 k at a time; a group boundary inside a step would mix scales.
            .init("group is 0 or a multiple of 16") { ($0.int("group") ?? 0) % 16 == 0 },
            .init("(mb, nb) is a tile: 1x1, 1x2, 1x4, 1x8, 2x2, 2x4, 4x1 or 4x2") { config in
                Self.tiles.contains { $0.mb == config.int("mb") && $0.nb == config.int("nb") }
            },
        ])
    }

    /// The analytical configuration (AnalyticalDefaults.gemv) on the dot path, or on the tiles
    /// path where it was measured faster: fp32 from 4 rows on, with the 16-lane tiles.
    public var defaultConfig: KernelConfig {
        let dot = completing(AnalyticalDefaults.gemv(m: m, precision: precision))
        guard m >= 4, precision == .fp32, GEMMKernel.wideVectors else { return dot }
        var tiles = dot
        tiles.values.merge(["path": "tiles", "mb": 1, "nb": 1, "prefetch": 0]) { _, new in new }
        return (try? tilesConfig(tiles)) == nil ? dot : tiles
    }

    /// The dot-product path's arithmetic a search measures first, beside the default (which stays
    /// on fp32 arithmetic, so that overrides of the other paths' parameters keep meaning what they
    /// did): `Arithmetic.preferred` (int8 and int4 on VNNI or `u7`, bf16 on `vdpbf16ps`), then for
    /// fp16 and bf16 weights the widening panels of the widest variant: with all of K in one block
    /// they read each panel as one stream, 1x14336x4096 fp16 at 19–29 GFLOP/s against the dot
    /// loops' 10–20 (Zen 4, 1 and 2 threads, one process).
    public var alternativeDefaults: [KernelConfig] {
        // Up to 16 rows: no AMX (a tile is 16 rows; on the Xeon here AMX decode ran no faster).
        var choices = Arithmetic.preferred(for: precision, rows: m).filter { !$0.isa.usesTiles }.prefix(1).map { $0 }
        if precision == .fp16 || precision == .bf16, let widest = Arithmetic.wideningVariants.last { choices.append((.fp32, widest)) }
        return choices.compactMap { choice in
            var dp = defaultConfig
            dp.values.merge(["path": "dp", "mb": 1, "nb": 1, "prefetch": 0, "act": .text(choice.act.rawValue), "isa": .text(choice.isa.rawValue)]) { _, new in new }
            return space.isValid(dp) ? dp : nil
        }
    }

    /// A configuration recorded before `path` existed ran the dot loops (and before `act`, fp32
    /// arithmetic).
    func completing(_ config: KernelConfig) -> KernelConfig {
        var config = Arithmetic.completing(config, precision: precision)
        if config.kernel == "gemv", config.values["path"] == nil { config.values["path"] = "dot" }
        return config
    }

    /// The GEMM configuration `path=tiles` runs: one block of rows (mc >= m) on the register tile
    /// that pads m least (the widest columns this build has), weights packed once (pack_b=2), A
    /// read in place, threads over N, the largest K block whose panel fits in L1.
    func tilesConfig(_ config: KernelConfig) throws -> (kernel: GEMMKernel, config: KernelConfig) {
        let gemm = try GEMMKernel(m: m, n: n, k: k, epilogue: epilogue, precision: precision, limits: limits, arithmeticChoice: false)
        let widest = GEMMKernel.microTiles.map(\.nr).filter { $0 <= 32 }.max() ?? 8
        let rows = m
        guard let tile = GEMMKernel.microTiles.filter({ $0.nr == widest })
            .min(by: { a, b in
                let (padA, padB) = ((rows + a.mr - 1) / a.mr * a.mr, (rows + b.mr - 1) / b.mr * b.mr)
                return padA != padB ? padA < padB : a.mr > b.mr
            }) else { throw KernelError.invalidConfig("path=tiles: no register tile in this build") }
        let group = config.int("group") ?? 0
        let panelLimit = limits.l1dBytes / 2 / (4 * tile.nr)
        let depths: [Int] = [512, 384, 256, 192, 128, 64]
        let kc = depths.first { depth in depth <= panelLimit && (group == 0 || depth % group == 0) } ?? 64
        let blocks: [Int] = [16, 24, 32, 48, 64, 72, 96, 120, 128, 144, 192, 240, 256, 288, 384]
        let mc = blocks.first { $0 >= rows && $0 % tile.mr == 0 } ?? 48
        let widths: [Int] = [240, 256, 480, 512, 960, 1024, 1920, 2048, 3840, 4080, 4096, 8192].filter { $0 % tile.nr == 0 }
        let nc = widths.first { $0 >= n } ?? widths.last ?? 8192
        var values: [String: ParameterValue] = [
            "mr": .int(tile.mr), "nr": .int(tile.nr), "kc": .int(kc), "mc": .int(mc), "nc": .int(nc), "threads": .int(config.int("threads") ?? 1),
            "loop": "n", "order": "jr", "pack_a": 0, "pack_b": 2,
        ]
        if precision.isQuantized { values["group"] = .int(group) }
        let gemmConfig = KernelConfig(kernel: "gemm", values: values)
        let problems = gemm.space.violations(gemmConfig)
        guard problems.isEmpty else {
            throw KernelError.invalidConfig("path=tiles: the GEMM configuration \(gemmConfig) does not fit (\(problems.joined(separator: "; ")))")
        }
        return (gemm, gemmConfig)
    }

    public func instantiate(_ config: KernelConfig, team: ParallelTeam) throws -> any KernelInstance {
        try make(config, team: team, operands: nil)
    }

    /// The instance of a path: the dot loops, the GEMM's tiles, or the dot-product kernels
    /// (`DotProductLayer.tiles`: up to 6 rows, the widest panels the variant holds, all of K in one block).
    func make(_ config: KernelConfig, team: ParallelTeam, operands: LayerOperands?) throws -> any KernelInstance & BoundLayer {
        let config = completing(config)
        try Arithmetic.checkRunnable(config)
        try space.validate(config)
        let threads = config.int("threads") ?? 1
        guard threads <= team.size else { throw KernelError.invalidConfig("threads=\(threads) but the team has \(team.size)") }
        switch config.text("path") {
        case "tiles":
            let tiles = try tilesConfig(config)
            return try GEMMInstance(kernel: tiles.kernel, config: tiles.config, team: team, operands: operands)
        case "dp":
            guard let isa = config.text("isa").flatMap(KernelISA.init(rawValue:)) else { throw KernelError.invalidConfig("path=dp needs an isa") }
            let tiles = DotProductLayer.tiles(config, m: m, k: k, isa: isa)
            return try DotProductInstance(
                m: m, n: n, k: k, epilogue: epilogue, precision: precision, group: config.int("group") ?? 0, arithmetic: Arithmetic.of(config),
                isa: isa, mr: tiles.mr, nv: tiles.nv, kc: tiles.kc, threads: threads, team: team, operands: operands
            )
        default:
            return try GEMVInstance(kernel: self, config: config, team: team, operands: operands)
        }
    }
}
