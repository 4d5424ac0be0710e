import Foundation
@testable import Kernels
import Testing

/// Every micro-kernel, packing mode, thread split and epilogue against the double-precision
/// reference, on shapes that are not tile multiples.
@Suite("GEMM correctness")
struct GEMMKernelTests {
    static let team = ParallelTeam(size: 2)
    static let shapes: [(Int, Int, Int)] = [(1, 1, 1), (7, 33, 257), (33, 7, 65), (257, 129, 33)]

    static func check(_ m: Int, _ n: Int, _ k: Int, epilogue: Epilogue = .none, precision: Precision = .fp32,
                      overrides: String) throws -> Validation {
        let kernel = try GEMMKernel(m: m, n: n, k: k, epilogue: epilogue, precision: precision, limits: .typical)
        let config = try kernel.defaultConfig.applying(overrides: overrides)
        let instance = try kernel.instantiate(config, team: team)
        instance.run()
        return instance.validate()
    }

    @Test("each micro-kernel on awkward shapes, two threads, both loops and both tile orders", arguments: GEMMKernel.microTiles.indices, shapes.indices)
    func microKernels(tile: Int, shape: Int) throws {
        let (mr, nr) = GEMMKernel.microTiles[tile]
        let (m, n, k) = Self.shapes[shape]
        for loop in ["m", "n"] {
            let mc = mr * 4
            let order = loop == "m" ? "ir" : "jr"
            let result = try Self.check(m, n, k, epilogue: Epilogue(bias: true, activation: .gelu),
                                        overrides: "mr=\(mr),nr=\(nr),mc=\(mc),kc=64,nc=\(nr % 24 == 0 ? 480 : 256),threads=2,loop=\(loop),order=\(order)")
            #expect(result.passed, "\(mr)x\(nr) \(m)x\(n)x\(k) loop=\(loop): \(result)")
            #expect(result.checkedElements == min(m, 48) * min(n, 384))
        }
    }

    @Test("the analytical default: the 8x32 tile with 16 vector lanes where this process runs it, else 4x24; conv2d keeps 4x24; sizes written without lanes read as 8")
    func analyticalTile() throws {
        let wide = MachineSizes(l1dBytes: 32 << 10, l2Bytes: 1 << 20, l3Bytes: 32 << 20, cores: 2, vectorLanes: 16)
        let config = AnalyticalDefaults.gemm(limits: wide, quantized: false)
        // kc: the 32-column panel in 3/4 of L1d; mc: a multiple of 8 in 1/3 of L2; nc: of 32 in a quarter of a core's L3.
        #expect(config.int("mr") == 8 && config.int("nr") == 32 && config.int("kc") == 192 && config.int("mc") == 384 && config.int("nc") == 4096,
                "\(config)")
        let narrow = AnalyticalDefaults.gemm(limits: .typical, quantized: false)
        #expect(narrow.int("mr") == 4 && narrow.int("nr") == 24 && narrow.int("kc") == 256 && narrow.int("nc") == 4080, "\(narrow)")
        #expect(AnalyticalDefaults.conv2d(limits: wide, precision: .fp32).int("nr") == 24)
        for limits in [wide, .typical] {
            let kernel = try GEMMKernel(m: 256, n: 256, k: 256, limits: limits)
            #expect(kernel.space.isValid(kernel.defaultConfig), "\(kernel.defaultConfig): \(kernel.space.violations(kernel.defaultConfig))")
            #expect(kernel.defaultConfig.int("nr") == (limits.vectorLanes == 16 && GEMMKernel.wideVectors ? 32 : 24))
        }
        let old = try JSONDecoder().decode(MachineSizes.self, from: Data(#"{"l1dBytes":32768,"l2Bytes":524288,"l3Bytes":33554432,"cores":2}"#.utf8))
        #expect(old == .typical && old.vectorLanes == 8)
        let roundTrip = try JSONDecoder().decode(MachineSizes.self, from: try JSONEncoder().encode(wide))
        #expect(roundTrip == wide)
    }

    @Test("packing modes: A in place, B in place, B packed per call, B prepacked", arguments: ["pack_a=0", "pack_b=0", "pack_b=1", "pack_b=2", "pack_a=0,pack_b=2"])
    func packing(_ overrides: String) throws {
        // n a multiple of every nr (8, 16, 24): reading B in place needs whole panels.
        let result = try Self.check(45, 96, 300, epilogue: Epilogue(bias: true, activation: .relu), overrides: overrides + ",kc=128,mc=48")
        #expect(result.passed, "\(overrides): \(result)")
    }

    @Test("epilogues", arguments: Epilogue.Activation.allCases, [false, true])
    func epilogues(activation: Epilogue.Activation, bias: Bool) throws {
        let result = try Self.check(19, 23, 41, epilogue: Epilogue(bias: bias, activation: activation), overrides: "")
        #expect(result.passed, "\(result)")
    }

    @Test("reduced-precision weights stay within their tolerance and really are reduced", arguments: [Precision.fp16, .bf16, .int8, .int4])
    func precisions(_ precision: Precision) throws {
        for packB in [1, 2] {
            let group = precision.isQuantized ? ",group=32" : ""
            let result = try Self.check(13, 34, 128, precision: precision, overrides: "pack_b=\(packB),kc=64\(group)")
            #expect(result.passed, "\(precision) pack_b=\(packB): \(result)")
            // Quantization error must be visible: an error at fp32 level means fp32 weights were used.
            #expect(result.relativeError > Precision.fp32.tolerance, "\(precision): \(result)")
        }
    }

    @Test("builds with 16-lane vectors offer the default on the 8x32 micro-kernel before it; AVX2 builds and small M do not")
    func wideAlternative() throws {
        for matmul in [false, true] {
            let kernel = try GEMMKernel(m: 512, n: 1024, k: 512, limits: .typical, activationB: matmul)
            let wide = kernel.alternativeDefaults.filter { $0.int("mr") == 8 && $0.int("nr") == 32 }
            guard GEMMKernel.wideVectors else {
                #expect(wide.isEmpty, "a CPU without AVX-512 (or capped below it) has no 8x32 micro-kernel")
                continue
            }
            let config = try #require(wide.first)
            #expect(kernel.space.violations(config).isEmpty, "\(config): \(kernel.space.violations(config))")
            #expect(config.int("pack_b") == (matmul ? 1 : 2))
            let instance = try kernel.instantiate(config, team: Self.team)
            instance.run()
            #expect(instance.validate().passed)
        }
        #expect(try GEMMKernel(m: 4, n: 1024, k: 512, limits: .typical).alternativeDefaults.allSatisfy { $0.int("mr") != 8 })
    }

    @Test("a wrong result is reported as such")
    func detectsWrongResults() throws {
        let kernel = try GEMMKernel(m: 8, n: 8, k: 8, limits: .typical)
        let instance = try #require(try kernel.instantiate(kernel.defaultConfig, team: Self.team) as? GEMMInstance)
        instance.run()
        instance.c.pointer[3] += 1 // one wrong element
        #expect(!instance.validate().passed)
    }
}
