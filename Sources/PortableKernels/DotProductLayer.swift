import CIntegerKernels
import KernelModel

/// C[M x N] = A[M x K] · W[K x N] (+ bias, + activation) through CIntegerKernels: A quantized per
/// row (s8, u8, u7), rounded to bf16, or copied in fp32 (16-bit weights widened) on every call, W
/// repacked once, dot products in register tiles of `mr` rows x `nv` 16-column panels, K in
/// blocks of `kc` whose partial sums stay in C (a weight block is read once per block for all
/// rows). Threads take contiguous ranges of panels.
///
/// No build flags anywhere below it: a deployment that takes tunebench as a versioned SwiftPM
/// dependency runs its tuned int8, int4, fp16 and bf16 layers (`act`, `isa`) through this.
///
/// `@unchecked Sendable`: threads write disjoint rows of the prepared activations and disjoint
/// column ranges of the output; the rest is read-only during a run.
public final class DotProductLayer: @unchecked Sendable {
    /// Adds the bias and applies the activation to rows x columns of C (leading dimension n).
    public typealias EpilogueApplier = (UnsafeMutablePointer<Float>, _ ldc: Int, _ rows: Int, _ columns: Range<Int>, _ bias: UnsafePointer<Float>) -> Void

    public let m: Int, n: Int, k: Int
    public let precision: Precision
    public let arithmetic: Arithmetic
    public let isa: KernelISA
    let mr: Int, nv: Int, kc: Int, threads: Int
    let team: ParallelTeam
    let weights: DotProductWeights
    /// N values (zeros without a bias).
    let bias: [Float]
    let applyEpilogue: EpilogueApplier
    /// Prepared activations: M rows of kp bytes (bf16: kp 16-bit values; fp32: kp floats), `ldq`
    /// elements apart.
    let activations: UnsafeMutableRawPointer
    /// kp, plus 64 bytes for the AMX variants: a tile loads 16 rows at once, and rows a power of
    /// two apart (K = 4096: 4 KB) would all fall in one L1 set.
    let ldq: Int
    let rowScales: UnsafeMutablePointer<Float>
    let rowZeros: UnsafeMutablePointer<Float>
    /// The fp32 partial sums when N is not a whole number of panels (else C holds them).
    let partial: UnsafeMutablePointer<Float>?

    /// - Parameters:
    ///   - weights: K x N row-major fp32, converted (quantized) to `precision` here.
    ///   - applyEpilogue: nil: bias and activation in plain Swift (`Epilogue.activate`).
    public init(m: Int, n: Int, k: Int, weights: UnsafePointer<Float>, bias: [Float]?, epilogue: Epilogue, precision: Precision, group: Int,
                arithmetic: Arithmetic, isa: KernelISA, mr: Int, nv: Int, kc: Int, threads: Int, team: ParallelTeam,
                applyEpilogue: EpilogueApplier? = nil) throws {
        let fits = switch arithmetic {
        case .fp32: precision == .fp16 || precision == .bf16
        case .s8, .u8, .u7: precision.isQuantized
        case .bf16: precision == .bf16
        }
        guard fits else { throw KernelError.invalidConfig("act=\(arithmetic.rawValue) does not go with \(precision.rawValue) weights in the dot-product kernels") }
        guard isa.isAvailable else { throw KernelError.unsupported("isa=\(isa.rawValue) does not run on this CPU") }
        guard kc > 0, kc % 64 == 0 else { throw KernelError.invalidConfig("kc=\(kc): the dot-product kernels take K blocks in multiples of 64") }
        guard m > 0, n > 0, k > 0, threads >= 1, threads <= team.size else {
            throw KernelError.invalidConfig("dot-product layer \(m)x\(n)x\(k) with threads=\(threads) on a team of \(team.size)")
        }
        if let bias, bias.count != n { throw KernelError.invalidConfig("the layer's bias has \(bias.count) values, \(n) expected") }
        (self.m, self.n, self.k) = (m, n, k)
        self.precision = precision
        self.arithmetic = arithmetic
        self.isa = isa
        (self.mr, self.nv, self.kc, self.threads) = (mr, nv, kc, threads)
        self.team = team
        self.weights = DotProductWeights(try WeightMatrix(weights, rows: k, columns: n, precision: precision, group: group))
        self.bias = bias ?? [Float](repeating: 0, count: n)
        self.applyEpilogue = applyEpilogue ?? { output, ldc, rows, columns, bias in
            guard epilogue.bias || epilogue.activation != .none else { return }
            for row in 0..<rows {
                for column in columns {
                    let value = Double(output[row * ldc + column]) + (epilogue.bias ? Double(bias[column]) : 0)
                    output[row * ldc + column] = Float(epilogue.activate(value))
                }
            }
        }
        let elementBytes = switch arithmetic {
        case .fp32: 4
        case .bf16: 2
        case .s8, .u8, .u7: 1
        }
        let kp = self.weights.kp
        ldq = kp + (isa.usesTiles ? 64 / elementBytes : 0)
        activations = .allocate(byteCount: max(64, m * ldq * elementBytes), alignment: 64)
        rowScales = .allocate(capacity: m)
        rowZeros = .allocate(capacity: m)
        partial = n % 16 == 0 ? nil : .allocate(capacity: m * self.weights.panels * 16)
    }

    /// A gemm or gemv layer's tuned configuration (`act`, `isa` and, for gemm, `mr nr kc`):
    /// what TunebenchRuntime answers for a layer, run without the tuner's kernels.
    public convenience init(configuration config: KernelConfig, m: Int, n: Int, k: Int, weights: UnsafePointer<Float>, bias: [Float]?,
                            epilogue: Epilogue, precision: Precision, team: ParallelTeam, applyEpilogue: EpilogueApplier? = nil) throws {
        try Arithmetic.checkRunnable(config)
        guard Arithmetic.runsVariant(config), let isa = config.text("isa").flatMap(KernelISA.init(rawValue:)) else {
            throw KernelError.invalidConfig("\(config) runs the build's fp32 kernels (isa=build), not the dot-product ones")
        }
        let tiles = Self.tiles(config, m: m, k: k, isa: isa)
        try self.init(m: m, n: n, k: k, weights: weights, bias: bias, epilogue: epilogue, precision: precision, group: config.int("group") ?? 0,
                      arithmetic: Arithmetic.of(config), isa: isa, mr: tiles.mr, nv: tiles.nv, kc: tiles.kc,
                      threads: min(config.int("threads") ?? 1, team.size), team: team, applyEpilogue: applyEpilogue)
    }

    /// The register tile and K block of a configuration: gemm's `mr`, `nr`/16 and `kc`; the
    /// GEMV's dp path (which has no tile parameters) up to 6 rows, the widest panels the variant
    /// holds, and all of K in one block. A decode reads each weight once, so blocking K buys no
    /// reuse; it only cut each panel's stream into pieces (8 KB of int8 at kc = 512, then a jump
    /// of a panel), and the hardware prefetchers lost every piece's start: 1x14336x4096 int8 on
    /// VNNI ran 23–26 GFLOP/s from DRAM with K blocks of 512 and 46–48 (the triad's bandwidth)
    /// with one block (Zen 4, docs/DESIGN.md).
    public static func tiles(_ config: KernelConfig, m: Int, k: Int, isa: KernelISA) -> (mr: Int, nv: Int, kc: Int) {
        if config.kernel == "gemv" {
            let mr = [6, 4, 2, 1].first { $0 <= m } ?? 1
            // AVX2 (16 registers of 8 lanes) and NEON (32 of 4): at most 2 rows, and then one panel.
            let narrow = isa == .avx2 || isa == .neondot
            return (narrow ? min(mr, 2) : mr, narrow && mr > 1 ? 1 : 2, max(64, (k + 63) / 64 * 64))
        }
        return (config.int("mr") ?? 1, max(1, (config.int("nr") ?? 16) / 16), config.int("kc") ?? 256)
    }

    deinit {
        activations.deallocate()
        rowScales.deallocate()
        rowZeros.deallocate()
        partial?.deallocate()
    }

    /// One product: input rows x K → output rows x N, row-major (rows: M, or fewer: a
    /// convolution's last chunk of pixels).
    public func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, rows: Int? = nil) {
        let m = min(self.m, max(0, rows ?? self.m))
        nonisolated(unsafe) let input = input
        nonisolated(unsafe) let output = output
        // The activations: by rows over the team when there are enough to pay for the wake-up.
        let prepareThreads = m * k >= 1 << 16 ? threads : 1
        team.run(threads: prepareThreads) { index in
            guard index < prepareThreads else { return }
            let rows = ParallelTeam.chunk(index, of: prepareThreads, count: m)
            guard !rows.isEmpty else { return }
            self.prepare(rows: rows, input: input)
        }
        team.run(threads: threads) { index in
            guard index < self.threads else { return }
            let panels = ParallelTeam.chunk(index, of: self.threads, count: self.weights.panels, granule: self.nv)
            guard !panels.isEmpty else { return }
            self.compute(panels: panels, rows: m, output: output)
        }
    }

    private func prepare(rows: Range<Int>, input: UnsafePointer<Float>) {
        let (k, kp, ldq) = (k, weights.kp, ldq)
        switch arithmetic {
        case .fp32:
            // Rows padded to kp with zeros: the kernels step through the padded K.
            let floats = activations.assumingMemoryBound(to: Float.self)
            for row in rows {
                (floats + row * ldq).update(from: input + row * k, count: k)
                (floats + row * ldq + k).update(repeating: 0, count: kp - k)
            }
        case .bf16:
            ckq_bf16_rows(input, Int64(k), Int64(k), Int64(kp), Int64(rows.lowerBound), Int64(rows.upperBound),
                          activations.assumingMemoryBound(to: UInt16.self), Int64(ldq))
        case .s8, .u8, .u7:
            let mode = switch arithmetic {
            case .u8: CKQ_ACT_U8
            case .u7: CKQ_ACT_U7
            default: CKQ_ACT_S8
            }
            ckq_quantize_rows(isa.code, Int32(mode), input, Int64(k), Int64(k), Int64(kp),
                              Int64(rows.lowerBound), Int64(rows.upperBound), activations.assumingMemoryBound(to: UInt8.self),
                              Int64(ldq), rowScales, rowZeros)
        }
    }

    /// The panel ranges `compute` runs all of K over, one after the other: one tile's panels at
    /// a time (panel-major), so each panel's weights stream from memory in order and its K
    /// blocks stay in L1 while every row tile reads them. K-major (all panels per K block) cut
    /// each panel's stream into kc-long pieces a panel apart, which the hardware prefetchers
    /// lost (docs/DESIGN.md has the figures). Kept K-major: one K block (decode: the same order),
    /// AMX (its blocks are not measured here), and int4 where the tiles subtract activation sums
    /// per run (AVX2 and AVX-512 BW; VNNI for one or two rows): the variants sum every run of
    /// the block on every call, which per tile's panels doubled the time.
    private func passes(of panels: Range<Int>, rows: Int) -> [Range<Int>] {
        let runSums = precision == .int4 && (isa == .avx2 || isa == .avx512bw || (isa == .avx512vnni && rows <= 2))
        guard kc < weights.kp, !isa.usesTiles, !runSums else { return [panels] }
        return stride(from: panels.lowerBound, to: panels.upperBound, by: nv).map { $0..<min(panels.upperBound, $0 + nv) }
    }

    private func compute(panels: Range<Int>, rows m: Int, output: UnsafeMutablePointer<Float>) {
        let (accumulator, ldacc) = partial.map { ($0, weights.panels * 16) } ?? (output, n)
        let kp = weights.kp
        let columns = (panels.lowerBound * 16)..<min(n, panels.upperBound * 16)
        withUnsafePointer(to: weights.packed) { packed in
            for pass in passes(of: panels, rows: m) {
                for k0 in stride(from: 0, to: kp, by: kc) {
                    let (k1, first): (Int64, Int32) = (Int64(min(kp, k0 + kc)), k0 == 0 ? 1 : 0)
                    let (rows, p0, p1, tileRows, tilePanels) = (Int64(m), Int64(pass.lowerBound), Int64(pass.upperBound), Int32(mr), Int32(nv))
                    switch arithmetic {
                    case .fp32:
                        ckq_gemm_widen_block(isa.code, packed, activations.assumingMemoryBound(to: Float.self), Int64(ldq), rows, p0, p1,
                                             Int64(k0), k1, first, accumulator, Int64(ldacc), tileRows, tilePanels)
                    case .bf16:
                        ckq_gemm_bf16_block(isa.code, packed, activations.assumingMemoryBound(to: UInt16.self), Int64(ldq), rows, p0, p1,
                                            Int64(k0), k1, first, accumulator, Int64(ldacc), tileRows, tilePanels)
                    case .s8, .u8, .u7:
                        ckq_gemm_int_block(isa.code, packed, activations.assumingMemoryBound(to: UInt8.self), Int64(ldq), rows, p0, p1,
                                           Int64(k0), k1, first, accumulator, Int64(ldacc), tileRows, tilePanels, arithmetic == .u7 ? 1 : 0)
                    }
                }
            }
            if arithmetic.isInteger {
                ckq_finish_int(packed, accumulator, Int64(ldacc), Int64(m), Int64(columns.lowerBound), Int64(columns.upperBound),
                               rowScales, rowZeros, output, Int64(n))
            } else if let partial {
                for row in 0..<m {
                    (output + row * n + columns.lowerBound).update(from: partial + row * ldacc + columns.lowerBound, count: columns.count)
                }
            }
        }
        bias.withUnsafeBufferPointer { applyEpilogue(output, n, m, columns, $0.baseAddress!) }
    }
}
