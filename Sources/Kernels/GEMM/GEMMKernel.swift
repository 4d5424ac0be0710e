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
    /// Whether `act`/`isa` (CIntegerKernels' variants, Arithmetic) are in the space: for layers of
    /// fp16, bf16, int8 and int4 weights (conv2d's im2col product too), not inside the GEMV's
    /// tiles path (which runs this one's BLIS loops on its own data).
    public let arithmeticChoice: Bool

    /// The register tiles there are micro-kernels for on this CPU: 16-lane tiles only where it
    /// runs AVX-512 (their C variant is in every x86-64 build, whatever the build's -march).
    public static let microTiles: [(mr: Int, nr: Int)] = narrowMicroTiles + (wideVectors ? wideMicroTiles : [])
    static let wideVectors = MicroKernelVariant.running(mr: 8, nr: 32) == .avx512
    static var tileDescription: String { microTiles.map { "\($0.mr)x\($0.nr)" }.joined(separator: ", ") }

    public init(m: Int, n: Int, k: Int, epilogue: Epilogue = .none, precision: Precision = .fp32, limits: MachineSizes, activationB: Bool = false,
                arithmeticChoice: Bool = true) throws {
        guard m > 0, n > 0, k > 0 else { throw KernelError.invalidConfig("gemm needs m, n, k >= 1 (got \(m)x\(n)x\(k))") }
        guard !activationB || precision == .fp32 else {
            throw KernelError.invalidConfig("matmul (B an activation) runs in fp32 only, not \(precision.rawValue)")
        }
        self.activationB = activationB
        self.arithmeticChoice = arithmeticChoice && !activationB && Arithmetic.applies(to: precision)
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
            .init("mr", arithmeticChoice ? [1, 2, 4, 6, 8, 12] : [4, 6, 8, 12], help: "register tile rows (1, 2: the dot-product kernels)"),
            .init("nr", Self.wideVectors ? [8, 16, 24, 32, 48] : (arithmeticChoice ? [8, 16, 24, 32] : [8, 16, 24]),
                  help: "register tile columns (32, 48: CPUs with AVX-512; the dot-product kernels 16 or 32)"),
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
        if arithmeticChoice { parameters += Arithmetic.parameters(for: precision) }
        let precision = precision
        return ParameterSpace(kernel: name, parameters: parameters, constraints: [
            .init("(mr, nr) is a micro-kernel: \(Self.tileDescription); with isa≠build a dot-product tile (mr 1, 2, 4, 6; nr 16, 32; AMX: mr 1, 2 tiles of 16 rows)") { config in
                if Self.usesDotProducts(config) { return Self.dotProductTileFits(config) }
                return Self.microTiles.contains { $0.mr == config.int("mr") && $0.nr == config.int("nr") }
            },
            .init("isa≠build takes mc=48, nc=256, loop=n, order=jr, pack_a=0, pack_b=2 (the dot-product loops use none of them)") { config in
                !Self.usesDotProducts(config) || (config.int("mc") == 48 && config.int("nc") == 256 && config.text("loop") == "n"
                    && config.text("order") == "jr" && config.int("pack_a") == 0 && config.int("pack_b") == 2)
            },
            .init("mc % mr == 0") { ($0.int("mc") ?? 0) % max(1, $0.int("mr") ?? 1) == 0 },
            .init("nc % nr == 0") { ($0.int("nc") ?? 0) % max(1, $0.int("nr") ?? 1) == 0 },
            .init("the KC x NR panel of B fits in half of L1d (in its storage precision with isa≠build)") { config in
                let bytes = Self.usesDotProducts(config) ? precision.bytesPerWeight : 4
                return Double((config.int("kc") ?? 0) * (config.int("nr") ?? 0)) * bytes <= Double(limits.l1dBytes / 2 + limits.l1dBytes / 4)
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
        ] + Arithmetic.constraints(for: arithmeticChoice ? precision : .fp32))
    }

    /// Whether a configuration runs CIntegerKernels' variants (isa ≠ build) instead of the BLIS loops.
    static func usesDotProducts(_ config: KernelConfig) -> Bool { Arithmetic.runsVariant(config) }

    /// The dot-product tiles: mr x nr accumulators in registers. AVX2 has 16 vector registers,
    /// so there at most 64 int32 sums (mr·nr ≤ 64: 2x32 and 4x16 ran within 10% of 1x32 and
    /// 2x16 on Zen 4, larger tiles slower), and so has NEON (32 registers of 4 lanes); the portable C ignores tiles (mr=1, nr=16); AMX
    /// counts 16-row tiles (mr 1 or 2: 16 or 32 rows).
    static func dotProductTileFits(_ config: KernelConfig) -> Bool {
        guard let mr = config.int("mr"), let nr = config.int("nr"), [1, 2, 4, 6].contains(mr), nr == 16 || nr == 32 else { return false }
        switch config.text("isa").flatMap(KernelISA.init(rawValue:)) {
        case .avx2, .neondot: return mr * nr <= 64
        case .generic: return mr == 1 && nr == 16
        case .amxint8, .amxbf16: return mr <= 2
        default: return true
        }
    }

    /// The configuration with `act`/`isa` filled in where a recorded one predates them.
    func completing(_ config: KernelConfig) -> KernelConfig {
        arithmeticChoice ? Arithmetic.completing(config, precision: precision) : config
    }

    /// The analytical configuration (AnalyticalDefaults.gemm), for the tiles this process runs.
    public var defaultConfig: KernelConfig {
        completing(AnalyticalDefaults.gemm(limits: limits.runnable, quantized: precision.isQuantized, kernel: name))
    }

    /// Configurations a search measures before the default (`TunableKernel.alternativeDefaults`):
    /// - with int8 or int4 weights on a VNNI machine, or bf16 ones on an AVX512_BF16 or AMX one,
    ///   the dot-product kernels (`Arithmetic.preferred`), 6 x 32 tiles (AMX: two 16-row tiles; fewer rows for
    ///   fewer), the largest K block of 512, 256, 128 whose panel fits L1. (In a space of about
    ///   600,000 BLIS configurations a search would rarely sample the few hundred of the
    ///   dot-product kernels on its own.)
    /// - on CPUs with 16-lane vectors whose sizes do not say so (`MachineSizes.vectorLanes` 8,
    ///   as in sizes recorded before it existed), the default on the 8x32 micro-kernel: on the
    ///   AVX-512 Xeon here 8x32 ran 132 against 69–75 GFLOP/s for 4x24 on 512x4096x4096, which
    ///   30-second searches from the default did not find (`results/arithmetic-fa264a017ddc3036.md`).
    public var alternativeDefaults: [KernelConfig] {
        var alternatives: [KernelConfig] = []
        if arithmeticChoice {
            alternatives += Arithmetic.preferred(for: precision, rows: m).compactMap { choice in
                let rows = [6, 4, 2, 1].first { $0 <= m } ?? 1
                let mr = choice.isa.usesTiles ? (m > 16 ? 2 : 1) : choice.isa == .avx2 ? min(rows, 2) : rows
                var dp = defaultConfig
                dp.values.merge([
                    "act": .text(choice.act.rawValue), "isa": .text(choice.isa.rawValue), "mr": .int(mr), "nr": 32,
                    "mc": 48, "nc": 256, "loop": "n", "order": "jr", "pack_a": 0, "pack_b": 2,
                ]) { _, new in new }
                return [512, 256, 128].lazy.map { kc in dp.values["kc"] = .int(kc); return dp }.first { space.isValid($0) }
            }
        }
        if Self.wideVectors, m >= 8, defaultConfig.int("nr") != 32 {
            var wide = defaultConfig
            wide.values.merge(["mr": 8, "nr": 32, "mc": 96, "pack_a": 1, "pack_b": activationB ? 1 : 2]) { _, new in new }
            let defaultNC = defaultConfig.int("nc") ?? 256
            wide.values["nc"] = .int([3840, 1920, 960, 480].first { $0 <= defaultNC } ?? 256)
            // The largest K block whose 32-column panel fits L1 (the space's rule).
            for kc in [256, 192, 128, 64] {
                wide.values["kc"] = .int(kc)
                if space.isValid(wide) {
                    alternatives.append(wide)
                    break
                }
            }
        }
        return alternatives
    }

    public func instantiate(_ config: KernelConfig, team: ParallelTeam) throws -> any KernelInstance {
        try make(config, team: team, operands: nil)
    }

    /// The instance for a configuration: the BLIS loops, or CIntegerKernels' variants (isa ≠ build).
    func make(_ config: KernelConfig, team: ParallelTeam, operands: LayerOperands?) throws -> any KernelInstance & BoundLayer {
        let config = completing(config)
        try Arithmetic.checkRunnable(config)
        try space.validate(config)
        let threads = config.int("threads") ?? 1
        guard threads <= team.size else {
            throw KernelError.invalidConfig("threads=\(threads) but the team has \(team.size)")
        }
        guard Self.usesDotProducts(config), let isa = config.text("isa").flatMap(KernelISA.init(rawValue:)) else {
            return try GEMMInstance(kernel: self, config: config, team: team, operands: operands)
        }
        let tiles = DotProductLayer.tiles(config, m: m, k: k, isa: isa)
        return try DotProductInstance(
            m: m, n: n, k: k, epilogue: epilogue, precision: precision, group: config.int("group") ?? 0, arithmetic: Arithmetic.of(config),
            isa: isa, mr: tiles.mr, nv: tiles.nv, kc: tiles.kc, threads: threads, team: team, operands: operands
        )
    }
}
