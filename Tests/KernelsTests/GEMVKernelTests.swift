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
            var overrides = "path=dot,mb=\(mb),nb=\(nb),threads=\(1 + (m + n) % 2)"
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

    @Test("the tiles path (the GEMM's register tiles) computes what the dot loops do; a configuration without path runs the dot loops",
          arguments: [3, 4, 8, 13, 16], [Precision.fp32, .int8, .int4])
    func tilesPath(m: Int, precision: Precision) throws {
        let (n, k) = (72, 128)
        let kernel = try GEMVKernel(m: m, n: n, k: k, epilogue: Epilogue(bias: true, activation: .gelu), precision: precision, limits: .typical)
        let group = precision.isQuantized ? ",group=32" : ""
        let dot = try kernel.defaultConfig.applying(overrides: "path=dot,mb=1,nb=4,prefetch=0,threads=1\(group)")
        let tiles = try kernel.defaultConfig.applying(overrides: "path=tiles,mb=1,nb=1,prefetch=0,threads=2\(group)")
        let operands = LayerOperands(weights: (0..<(k * n)).map { Float(($0 * 7) % 13) / 13 - 0.5 }, bias: (0..<n).map { Float($0 % 5) / 5 })
        let (a, b) = (try kernel.bind(dot, operands: operands, team: Self.team), try kernel.bind(tiles, operands: operands, team: Self.team))
        #expect(a is GEMVInstance && b is GEMMInstance)
        let input = (0..<(m * k)).map { Float(($0 * 5) % 11) / 11 - 0.4 }
        var (x, y) = ([Float](repeating: 0, count: m * n), [Float](repeating: 0, count: m * n))
        input.withUnsafeBufferPointer { source in
            x.withUnsafeMutableBufferPointer { a.run(input: source.baseAddress!, output: $0.baseAddress!) }
            y.withUnsafeMutableBufferPointer { b.run(input: source.baseAddress!, output: $0.baseAddress!) }
        }
        let scale = max(1, x.map(abs).max() ?? 1)
        #expect(zip(x, y).allSatisfy { abs($0 - $1) <= 1e-4 * scale }, "\(m) rows \(precision)")
        // On its own operands, checked against the reference like every trial.
        let instance = try kernel.instantiate(tiles, team: Self.team)
        instance.run()
        #expect(instance.validate().passed)
        // A configuration recorded before `path` existed; the dot loops' parameters on the tiles path.
        var recorded = dot
        recorded.values["path"] = nil
        #expect(try kernel.bind(recorded, operands: operands, team: Self.team) is GEMVInstance)
        #expect(!kernel.space.violations(try tiles.applying(overrides: "mb=2")).isEmpty)
        // The default takes the tiles where they were measured faster: fp32 from 4 rows, 16-lane tiles.
        #expect(kernel.defaultConfig.text("path") == (m >= 4 && precision == .fp32 && GEMMKernel.wideVectors ? "tiles" : "dot"))
        #expect(kernel.space.violations(kernel.defaultConfig).isEmpty)
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
