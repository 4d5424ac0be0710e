@testable import Kernels
import Testing

@Suite("skinny GEMM / GEMV correctness")
struct GEMVKernelTests {
    static let team = ParallelTeam(size: 2)

    @Test("every register tile, every precision, awkward shapes, 1 and 2 threads",
          arguments: GEMVKernel.tiles.indices, Precision.allCases)
    func tiles(tile: Int, precision: Precision) throws {
        let (mb, nb) = GEMVKernel.tiles[tile]
        for (m, n, k) in [(1, 1, 2), (3, 37, 130), (16, 18, 258), (5, 65, 64)] {
            if precision == .int4, n % 2 != 0 { continue }
            let kernel = try GEMVKernel(m: m, n: n, k: k, epilogue: Epilogue(bias: true, activation: .relu), precision: precision, limits: .typical)
            var overrides = "mb=\(mb),nb=\(nb),threads=\(1 + (m + n) % 2)"
            if precision.isQuantized { overrides += k % 64 == 0 || k == 130 ? ",group=0" : ",group=0" }
            let instance = try kernel.instantiate(try kernel.defaultConfig.applying(overrides: overrides), team: Self.team)
            instance.run()
            let result = instance.validate()
            #expect(result.passed, "\(mb)x\(nb) \(precision) \(m)x\(n)x\(k): \(result)")
        }
    }

    @Test("quantization groups along K", arguments: [Precision.int8, .int4], [0, 32, 64, 128])
    func groups(precision: Precision, group: Int) throws {
        let kernel = try GEMVKernel(m: 2, n: 48, k: 256, precision: precision, limits: .typical)
        let instance = try kernel.instantiate(try kernel.defaultConfig.applying(overrides: "group=\(group)"), team: Self.team)
        instance.run()
        let result = instance.validate()
        #expect(result.passed, "\(precision) group \(group): \(result)")
    }

    @Test("GEMV and GEMM agree on the same quantized problem")
    func matchesGEMM() throws {
        let gemv = try GEMVKernel(m: 4, n: 40, k: 96, precision: .int8, limits: .typical)
        let gemm = try GEMMKernel(m: 4, n: 40, k: 96, precision: .int8, limits: .typical)
        let a = try #require(try gemv.instantiate(try gemv.defaultConfig.applying(overrides: "group=32"), team: Self.team) as? GEMVInstance)
        let b = try #require(try gemm.instantiate(try gemm.defaultConfig.applying(overrides: "group=32,kc=64"), team: Self.team) as? GEMMInstance)
        a.run()
        b.run()
        for i in 0..<(4 * 40) {
            #expect(abs(a.c.pointer[i] - b.c.pointer[i]) <= 1e-3 * max(1, abs(b.c.pointer[i])), "element \(i)")
        }
    }
}
