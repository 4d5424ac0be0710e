import CIntegerKernels
@testable import Kernels
import Testing

/// The dot-product kernels (W8A8, W4A8, bf16) in every instruction-set variant this CPU runs;
/// the others are skipped with a message naming what this CPU lacks.
@Suite("dot-product kernels: ISA variants, integer and bf16 arithmetic")
struct DotProductTests {
    static let team = ParallelTeam(size: 2)
    static let operands = operands(n: 37)

    static func operands(n: Int, k: Int = 200) -> LayerOperands {
        LayerOperands(weights: (0..<(k * n)).map { Float(($0 * 7919) % 2003) / 1001.5 - 1 }, bias: (0..<n).map { Float($0 % 5) / 5 - 0.3 })
    }

    /// The variants to test here; prints those this machine cannot run.
    static func runnable(_ variants: [KernelISA]) -> [KernelISA] {
        for isa in variants where !isa.isAvailable {
            print("skipping the \(isa.rawValue) variant: this CPU (or TUNEBENCH_MAX_ISA) lacks \(isa.requirement.joined(separator: ", "))")
        }
        return variants.filter(\.isAvailable)
    }

    static func output(of layer: any BoundLayer, m: Int, k: Int, n: Int) -> [Float] {
        // A few large values, as real activations have.
        let input: [Float] = (0..<(m * k)).map { i in
            let outlier: Float = i % 13 == 0 ? 3 : 0
            return Float((i * 37) % 101) / 50.5 - 1 + outlier
        }
        var y = [Float](repeating: .nan, count: m * n)
        input.withUnsafeBufferPointer { x in y.withUnsafeMutableBufferPointer { layer.run(input: x.baseAddress!, output: $0.baseAddress!) } }
        return y
    }

    @Test("every integer variant, every activation mode (u7: the variants without VNNI), per-channel and grouped scales, odd shapes: the portable C's result and the reference's",
          arguments: [Precision.int8, .int4], ["s8", "u8", "u7"])
    func integerVariants(precision: Precision, act: String) throws {
        // int4 packs two columns per byte: an even N, still no whole number of panels.
        let (n, k) = (precision == .int4 ? 38 : 37, 200)
        let operands = Self.operands(n: n)
        let variants = Self.runnable(act == "u7" ? [.avx2, .avx512bw] : [.avx2, .avx512bw, .avx512vnni, .amxint8, .neondot])
        // 37 rows: two AMX blocks of 32 rows, the second with one partial 16-row tile.
        for m in [1, 3, 7, 37] {
            for group in [0, 32] {
                let kernel = try GEMMKernel(m: m, n: n, k: k, epilogue: Epilogue(bias: true, activation: .none), precision: precision, limits: .typical)
                func config(_ isa: KernelISA, mr: Int, nr: Int, kc: Int) throws -> KernelConfig {
                    try kernel.defaultConfig.applying(overrides:
                        "act=\(act),isa=\(isa.rawValue),mr=\(mr),nr=\(nr),kc=\(kc),mc=48,nc=256,loop=n,order=jr,pack_a=0,pack_b=2,group=\(group),threads=\(m % 2 + 1)")
                }
                // The portable C is the reference for the bits: every variant computes the same integer sums.
                let portable = try DotProductInstance(m: m, n: n, k: k, epilogue: kernel.epilogue, precision: precision, group: group,
                                                      arithmetic: Arithmetic(rawValue: act)!, isa: .generic, mr: 1, nv: 1, kc: 64, threads: 1,
                                                      team: Self.team, operands: operands)
                let expected = Self.output(of: portable, m: m, k: k, n: n)
                for isa in variants {
                    for (mr, nr, kc) in [(1, 16, 64), (2, 32, 128), (6, 32, 192), (4, 16, 256)] {
                        let tile = try config(isa, mr: mr, nr: nr, kc: kc)
                        // AVX2 holds fewer accumulators; AMX takes one or two 16-row tiles.
                        guard kernel.space.violations(tile).isEmpty else {
                            #expect((isa == .avx2 && mr * nr > 64) || (isa.usesTiles && mr > 2),
                                    "\(isa) mr=\(mr) nr=\(nr) kc=\(kc): \(kernel.space.violations(tile))")
                            continue
                        }
                        let layer = try kernel.bind(tile, operands: operands, team: Self.team)
                        #expect(layer is DotProductInstance)
                        let y = Self.output(of: layer, m: m, k: k, n: n)
                        let scale = max(1, expected.map(abs).max() ?? 1)
                        #expect(zip(y, expected).allSatisfy { abs($0 - $1) <= 1e-5 * scale },
                                "\(isa) \(precision) act=\(act) group \(group) \(m)x\(n)x\(k) mr=\(mr) nr=\(nr) kc=\(kc)")
                    }
                    // Random operands, checked against the fp32 reference within the precision's tolerance.
                    let instance = try kernel.instantiate(try config(isa, mr: 2, nr: 16, kc: 64), team: Self.team)
                    instance.run()
                    let result = instance.validate()
                    #expect(result.passed, "\(isa) \(precision) act=\(act): \(result)")
                }
            }
        }
    }

    /// The decode tiles (one and two rows) keep int4's high nibbles as 16·q and end a run of int32
    /// sums every 65536 k (and at every group); the sums and the low-half activation sums they are
    /// corrected by must cover the same runs.
    /// The tiles walk a block's scale groups without dividing per run (`ckq_run` in the C); the
    /// portable C divides for each. K blocks that start inside a group (kc = 64, groups of 128: the
    /// search's spaces never pair them, a direct caller may) and a last group cut short by K.
    @Test("K blocks that start inside a scale group, and a short last group: every integer variant, the portable C's result",
          arguments: [Precision.int8, .int4])
    func runsInsideGroups(precision: Precision) throws {
        let (n, k) = (32, 232)
        let operands = Self.operands(n: n, k: k)
        // Not AMX: its tile products take 64 k at a time, so its K blocks are whole groups.
        for isa in Self.runnable([.avx2, .avx512bw, .avx512vnni, .neondot]) {
            let act: Arithmetic = isa == .avx2 || isa == .avx512bw ? .u7 : .u8
            for (m, mr) in [(1, 1), (2, 2), (5, 4)] {
                func layer(_ isa: KernelISA, mr: Int, nv: Int) throws -> DotProductInstance {
                    try DotProductInstance(m: m, n: n, k: k, epilogue: .none, precision: precision, group: 128, arithmetic: act,
                                           isa: isa, mr: mr, nv: nv, kc: 64, threads: 1, team: Self.team, operands: operands)
                }
                let expected = Self.output(of: try layer(.generic, mr: 1, nv: 1), m: m, k: k, n: n)
                let y = Self.output(of: try layer(isa, mr: mr, nv: 2), m: m, k: k, n: n)
                let scale = max(1, expected.map(abs).max() ?? 1)
                #expect(zip(y, expected).allSatisfy { abs($0 - $1) <= 1e-5 * scale }, "\(isa) \(precision) m=\(m) mr=\(mr)")
            }
        }
    }

    @Test("int4 decode over a K longer than one run of int32 sums (65536), per channel and grouped: the portable C's result")
    func int4LongRuns() throws {
        let (n, k) = (32, 70_000)
        let operands = Self.operands(n: n, k: k)
        for isa in Self.runnable([.avx512vnni]) {
            for (m, group) in [(1, 0), (2, 0), (2, 128)] {
                func layer(_ isa: KernelISA, mr: Int, nv: Int) throws -> DotProductInstance {
                    try DotProductInstance(m: m, n: n, k: k, epilogue: .none, precision: .int4, group: group, arithmetic: .u8, isa: isa,
                                           mr: mr, nv: nv, kc: (k + 63) / 64 * 64, threads: 1, team: Self.team, operands: operands)
                }
                let expected = Self.output(of: try layer(.generic, mr: 1, nv: 1), m: m, k: k, n: n)
                let y = Self.output(of: try layer(isa, mr: m, nv: 2), m: m, k: k, n: n)
                let scale = max(1, expected.map(abs).max() ?? 1)
                #expect(zip(y, expected).allSatisfy { abs($0 - $1) <= 1e-5 * scale }, "\(isa) m=\(m) group=\(group)")
            }
        }
    }

    @Test("activations: symmetric rows keep 0 at 0 and ±max at ±127; asymmetric rows use all 256 levels; NaN and infinities do not trap")
    func activationQuantization() {
        let x: [Float] = [-2, -1, 0, 0.5, 1, 4]
        for isa in [KernelISA.generic] + Self.runnable([.avx2, .avx512vnni]) {
            var q = [UInt8](repeating: 0, count: 64)
            var (scale, zero): (Float, Float) = (0, 0)
            ckq_quantize_rows(isa.code, 0, x, 6, 6, 64, 0, 1, &q, 64, &scale, &zero)
            let signed = ckq_isa_unsigned_activations(isa.code) == 0
            let values = q.prefix(6).map { Float(signed ? Int(Int8(bitPattern: $0)) : Int($0)) - zero }
            #expect(scale == 4 / 127 && values == [-64, -32, 0, 16, 32, 127], "\(isa)")
            #expect(q[6...].allSatisfy { Float(signed ? Int(Int8(bitPattern: $0)) : Int($0)) == zero }, "padding is zero")
            ckq_quantize_rows(isa.code, 1, x, 6, 6, 64, 0, 1, &q, 64, &scale, &zero)
            let levels = q.prefix(6).map { Int(signed ? Int(Int8(bitPattern: $0)) + 128 : Int($0)) }
            #expect(abs(scale - 6 / 255) < 1e-7 && levels.first == 0 && levels.last == 255, "\(isa): \(levels)")
            let hostile: [Float] = [.nan, .infinity, -.infinity, 1]
            // 7 bits: 128 levels, the same bytes for signed and unsigned readers.
            ckq_quantize_rows(isa.code, Int32(CKQ_ACT_U7), x, 6, 6, 64, 0, 1, &q, 64, &scale, &zero)
            #expect(abs(scale - 6 / 127) < 1e-7 && q.prefix(6).first == 0 && q.prefix(6).last == 127 && zero == 42, "\(isa): \(q.prefix(6))")
            #expect(q.prefix(6).map { Float($0) - zero } == [-42, -21, 0, 11, 21, 85] && q[6...].allSatisfy { Float($0) == zero }, "\(isa): \(q.prefix(6))")
            ckq_quantize_rows(isa.code, 0, hostile, 4, 4, 64, 0, 1, &q, 64, &scale, &zero)
            #expect(scale.isFinite)
        }
        // The vector quantization (64 values per step, then 16, then a partial vector) gives the
        // portable C's bytes, NaN and the row's extremes included.
        var row: [Float] = (0..<300).map { i in Float((i * 7919) % 1009) / 504.5 - 1 }
        (row[77], row[150]) = (.nan, 9.5)
        for isa in Self.runnable([.avx2, .avx512bw]) {
            for asymmetric: Int32 in [0, 1, 2] {
                var (expected, actual) = ([UInt8](repeating: 0, count: 320), [UInt8](repeating: 0, count: 320))
                var (s0, z0, s1, z1): (Float, Float, Float, Float) = (0, 0, 0, 0)
                ckq_quantize_rows(KernelISA.generic.code, asymmetric, row, 300, 300, 320, 0, 1, &expected, 320, &s0, &z0)
                ckq_quantize_rows(isa.code, asymmetric, row, 300, 300, 320, 0, 1, &actual, 320, &s1, &z1)
                #expect(actual == expected && s0 == s1 && z0 == z1, "\(isa) asymmetric=\(asymmetric)")
            }
        }
    }

    @Test("bf16 × bf16 (vdpbf16ps, AMX tdpbf16ps) against the portable C and the reference", arguments: [1, 5, 16, 37])
    func bf16(m: Int) throws {
        let (n, k) = (37, 200)
        let variants = Self.runnable([.avx512bf16, .amxbf16])
        let kernel = try GEMMKernel(m: m, n: n, k: k, epilogue: Epilogue(bias: true, activation: .relu), precision: .bf16, limits: .typical)
        let portable = try DotProductInstance(m: m, n: n, k: k, epilogue: kernel.epilogue, precision: .bf16, group: 0, arithmetic: .bf16,
                                              isa: .generic, mr: 1, nv: 1, kc: 64, threads: 1, team: Self.team, operands: Self.operands)
        let expected = Self.output(of: portable, m: m, k: k, n: n)
        let check = try DotProductInstance(m: m, n: n, k: k, epilogue: kernel.epilogue, precision: .bf16, group: 0, arithmetic: .bf16,
                                           isa: .generic, mr: 1, nv: 1, kc: 64, threads: 2, team: Self.team, operands: nil)
        check.run()
        #expect(check.validate().passed, "portable bf16: \(check.validate())")
        for isa in variants {
            for (mr, nr) in [(1, 16), (2, 32), (6, 32), (1, 32)] {
                let config = try kernel.defaultConfig.applying(overrides:
                    "act=bf16,isa=\(isa.rawValue),mr=\(mr),nr=\(nr),kc=128,mc=48,nc=256,loop=n,order=jr,pack_a=0,pack_b=2,threads=2")
                guard kernel.space.violations(config).isEmpty else {
                    #expect(isa.usesTiles && mr > 2, "\(isa) mr=\(mr) nr=\(nr): \(kernel.space.violations(config))")
                    continue
                }
                let y = Self.output(of: try kernel.bind(config, operands: Self.operands, team: Self.team), m: m, k: k, n: n)
                let scale = max(1, expected.map(abs).max() ?? 1)
                #expect(zip(y, expected).allSatisfy { abs($0 - $1) <= 1e-4 * scale }, "\(isa) mr=\(mr) nr=\(nr)")
                let instance = try kernel.instantiate(config, team: Self.team)
                instance.run()
                #expect(instance.validate().passed, "\(isa): \(instance.validate())")
            }
        }
    }

    @Test("fp16 and bf16 weights widened in every variant (fp32 activations): the portable C's result and the reference's",
          arguments: [Precision.fp16, .bf16], [1, 5, 13])
    func widening(precision: Precision, m: Int) throws {
        let (n, k) = (37, 200)
        let kernel = try GEMMKernel(m: m, n: n, k: k, epilogue: Epilogue(bias: true, activation: .gelu), precision: precision, limits: .typical)
        let portable = try DotProductInstance(m: m, n: n, k: k, epilogue: kernel.epilogue, precision: precision, group: 0, arithmetic: .fp32,
                                              isa: .generic, mr: 1, nv: 1, kc: 64, threads: 1, team: Self.team, operands: Self.operands)
        let expected = Self.output(of: portable, m: m, k: k, n: n)
        let scale = max(1, expected.map(abs).max() ?? 1)
        for isa in Self.runnable([.avx2, .avx512bw]) {
            for (mr, nr, kc) in [(1, 16, 64), (1, 32, 128), (2, 16, 192), (6, 32, 64)] {
                let config = try kernel.defaultConfig.applying(overrides:
                    "act=fp32,isa=\(isa.rawValue),mr=\(mr),nr=\(nr),kc=\(kc),mc=48,nc=256,loop=n,order=jr,pack_a=0,pack_b=2,threads=\(m % 2 + 1)")
                guard kernel.space.violations(config).isEmpty else {
                    #expect(isa == .avx2 && mr * nr > 32, "\(isa) mr=\(mr) nr=\(nr): \(kernel.space.violations(config))")
                    continue
                }
                let y = Self.output(of: try kernel.bind(config, operands: Self.operands, team: Self.team), m: m, k: k, n: n)
                #expect(zip(y, expected).allSatisfy { abs($0 - $1) <= 1e-4 * scale }, "\(isa) \(precision) mr=\(mr) nr=\(nr) kc=\(kc)")
                let instance = try kernel.instantiate(config, team: Self.team)
                instance.run()
                #expect(instance.validate().passed, "\(isa) \(precision): \(instance.validate())")
            }
        }
        // The GEMV's dp path widens too; the portable C is checked against the reference.
        let check = try DotProductInstance(m: m, n: n, k: k, epilogue: kernel.epilogue, precision: precision, group: 0, arithmetic: .fp32,
                                           isa: .generic, mr: 1, nv: 1, kc: 64, threads: 2, team: Self.team, operands: nil)
        check.run()
        #expect(check.validate().passed, "portable \(precision): \(check.validate())")
        // ... and is a seed of the GEMV's search on the widest variant (after vdpbf16ps for bf16),
        // run over all of K in one block.
        let gemv = try GEMVKernel(m: m, n: n, k: k, precision: precision, limits: .typical)
        let widening = gemv.alternativeDefaults.filter { $0.text("act") == "fp32" }
        guard let isa = Arithmetic.wideningVariants.last else {
            #expect(widening.isEmpty)
            return
        }
        let dp = try #require(widening.first, "\(gemv.alternativeDefaults)")
        #expect(widening.count == 1 && dp.text("path") == "dp" && dp.text("isa") == isa.rawValue, "\(dp)")
        #expect(gemv.alternativeDefaults.last == dp && gemv.space.violations(dp).isEmpty)
        #expect(DotProductLayer.tiles(dp, m: m, k: k, isa: isa).kc == (k + 63) / 64 * 64)
        #expect(try gemv.bind(dp, operands: Self.operands, team: Self.team) is DotProductInstance)
        let decode = try gemv.instantiate(dp, team: Self.team)
        decode.run()
        #expect(decode.validate().passed, "\(dp): \(decode.validate())")
    }

    @Test("the GEMV's dp path is the same kernel; recorded configurations without act run fp32; act and isa go together")
    func gemvPathAndSpace() throws {
        let gemv = try GEMVKernel(m: 1, n: 37, k: 200, precision: .int8, limits: .typical)
        let isa = KernelISA.integerVariants.last!
        let dp = try gemv.defaultConfig.applying(overrides: "path=dp,act=s8,isa=\(isa.rawValue),mb=1,nb=1,prefetch=0,group=32")
        #expect(gemv.space.violations(dp).isEmpty)
        #expect(try gemv.bind(dp, operands: Self.operands, team: Self.team) is DotProductInstance)
        let instance = try gemv.instantiate(dp, team: Self.team)
        instance.run()
        #expect(instance.validate().passed)
        // act without the dp path, the dp path with fp32 activations, isa=build with s8: refused.
        #expect(!gemv.space.violations(try dp.applying(overrides: "path=dot")).isEmpty)
        #expect(!gemv.space.violations(try dp.applying(overrides: "act=fp32")).isEmpty)
        #expect(!gemv.space.violations(try dp.applying(overrides: "isa=build")).isEmpty)
        // A configuration from before act/isa existed.
        var old = gemv.defaultConfig
        old.values["act"] = nil
        old.values["isa"] = nil
        #expect(try gemv.bind(old, operands: Self.operands, team: Self.team) is GEMVInstance)
        // fp32 layers have no act; fp16 ones only fp32 arithmetic (widened here or in the build's kernels); conv2d's GEMM has it too.
        #expect(try GEMMKernel(m: 8, n: 16, k: 16, precision: .fp32, limits: .typical).space.parameters.allSatisfy { $0.name != "act" })
        let fp16 = try GEMMKernel(m: 8, n: 16, k: 16, precision: .fp16, limits: .typical).space.parameters
        #expect(fp16.first { $0.name == "act" }?.values == ["fp32"])
        #expect(fp16.first { $0.name == "isa" }?.values == (["build"] + Arithmetic.wideningVariants.map(\.rawValue)).map { .text($0) })
        let conv = try Conv2DKernel(shape: try Conv2DShape(parsing: "1,4,6,6,8,3,3"), precision: .int8, limits: .typical)
        #expect(conv.space.parameters.contains { $0.name == "act" })
    }

    @Test("conv2d with int8, int4 and bf16 filters runs the dot products on its im2col rows (chunks, groups, a last short chunk) within tolerance",
          arguments: [Precision.int8, .int4, .bf16])
    func convolution(precision: Precision) throws {
        let variants = precision == .bf16 ? Self.runnable([.avx512bf16, .amxbf16]) : Self.runnable([.avx2, .avx512vnni, .amxint8])
        // 10x10 outputs in chunks of 64: a full chunk, then 36 pixels; two groups of 8 channels; stride, padding and
        // dilation 2; a pointwise convolution.
        for text in ["1,8,10,10,24,3,3,1,1", "2,16,10,10,32,3,3,1,1,1,2", "1,8,11,13,16,3,3,2,2,2", "1,12,9,9,16,1,1"] {
            let kernel = try Conv2DKernel(shape: try Conv2DShape(parsing: text), epilogue: Epilogue(bias: true, activation: .relu),
                                          precision: precision, limits: .typical)
            for isa in variants {
                let act = precision == .bf16 ? "bf16" : precision == .int8 ? "u8" : "s8"
                let config = try kernel.defaultConfig.applying(overrides:
                    "act=\(act),isa=\(isa.rawValue),mr=2,nr=16,kc=64,mc=48,nc=256,loop=n,"
                    + "order=jr,pack_a=0,pack_b=2,chunk=64,layout=pk,threads=2")
                #expect(kernel.space.violations(config).isEmpty, "\(config): \(kernel.space.violations(config))")
                let instance = try kernel.instantiate(config, team: Self.team)
                instance.run()
                #expect(instance.validate().passed, "\(text) \(precision) isa=\(isa): \(instance.validate())")
            }
        }
        // A recorded configuration from before act existed runs the fp32 path; the dot products are measured first:
        // AMX and VNNI (without VNNI, u7 on AVX-512 BW or AVX2), bf16 on AMX and vdpbf16ps.
        let kernel = try Conv2DKernel(shape: try Conv2DShape(parsing: "1,8,10,10,24,3,3,1,1"), precision: precision, limits: .typical)
        var old = kernel.defaultConfig
        old.values["act"] = nil
        old.values["isa"] = nil
        #expect(try kernel.instantiate(old, team: Self.team) is Conv2DInstance)
        let withoutVNNI = !KernelISA.avx512vnni.isAvailable && (KernelISA.avx512bw.isAvailable || KernelISA.avx2.isAvailable)
        let expected = precision == .bf16 ? (KernelISA.amxbf16.isAvailable ? 1 : 0) + (KernelISA.avx512bf16.isAvailable ? 1 : 0)
            : (KernelISA.avx512vnni.isAvailable ? 1 : 0) + (KernelISA.amxint8.isAvailable ? 1 : 0) + (withoutVNNI ? 1 : 0)
        let dotProducts = kernel.alternativeDefaults.filter { $0.text("isa") != Arithmetic.buildISA }
        #expect(dotProducts.count == expected, "\(kernel.alternativeDefaults)")
        #expect(kernel.alternativeDefaults.allSatisfy { kernel.space.violations($0).isEmpty })
    }

    @Test("a variant this CPU cannot run is refused with what it needs; an unknown one with the known names")
    func unavailableVariant() throws {
        let gemm = try GEMMKernel(m: 4, n: 32, k: 64, precision: .int8, limits: .typical)
        let unknown = try gemm.defaultConfig.applying(overrides: "act=s8,isa=neon_dotprod,mr=1,nr=16,kc=64,mc=48,nc=256,loop=n,order=jr,pack_a=0,pack_b=2")
        #expect(throws: KernelError.invalidConfig("isa=neon_dotprod is not a kernel variant (known: generic, avx2, avx512bw, avx512vnni, avx512bf16, amxint8, amxbf16, neondot)")) {
            try gemm.instantiate(unknown, team: Self.team)
        }
        guard let missing = KernelISA.allCases.first(where: { !$0.isAvailable }) else {
            print("skipping the refusal of a missing variant: this CPU runs every variant (run with TUNEBENCH_MAX_ISA=avx2 to see it)")
            return
        }
        let bf16 = missing == .avx512bf16 || missing == .amxbf16
        let act = bf16 ? "bf16" : "s8"
        let precision: Precision = bf16 ? .bf16 : .int8
        let kernel = try GEMMKernel(m: 4, n: 32, k: 64, precision: precision, limits: .typical)
        var config = kernel.defaultConfig
        config.values.merge(["act": .text(act), "isa": .text(missing.rawValue)]) { _, new in new }
        #expect {
            try kernel.instantiate(config, team: Self.team)
        } throws: { error in
            "\(error)".contains("isa=\(missing.rawValue) needs a CPU with \(missing.requirement.joined(separator: ", "))")
        }
    }
}
