import CFloatKernels
@testable import Kernels
import Testing

/// Every fp32 micro-kernel in every instruction-set variant this CPU runs, called directly
/// (strided A, B and C, overwrite and accumulate) against a double-precision reference; the
/// GEMM tests then run the variant the kernels pick through the whole loop nest.
@Suite("fp32 micro-kernel variants")
struct MicroKernelVariantTests {
    /// The variants each tile has: 8-lane tiles AVX2 and portable C, 16-lane tiles AVX-512.
    static func variants(mr: Int, nr: Int) -> [MicroKernelVariant] {
        wideMicroTiles.contains { $0 == (mr, nr) } ? [.avx512] : [.avx2, .generic]
    }

    static let cases: [(mr: Int, nr: Int, variant: MicroKernelVariant)] = (narrowMicroTiles + wideMicroTiles).flatMap { tile in
        variants(mr: tile.mr, nr: tile.nr).map { (tile.mr, tile.nr, $0) }
    }

    @Test("a micro-kernel matches the reference", arguments: cases.indices)
    func matchesReference(index: Int) throws {
        let (mr, nr, variant) = Self.cases[index]
        guard variant.isa.isAvailable else {
            print("skipping the \(variant.rawValue) variant of the \(mr)x\(nr) micro-kernel: this CPU (or TUNEBENCH_MAX_ISA) lacks \(variant.isa.requirement.joined(separator: ", "))")
            return
        }
        let kernel = try #require(ckf_gemm_micro_kernel(variant.code, Int32(mr), Int32(nr)), "no \(variant.rawValue) \(mr)x\(nr) micro-kernel")
        // A read in place (row stride kc + 3, k stride 1); B rows nr + 5 apart; C rows nr + 7 apart.
        let kc = 37, aRow = kc + 3, bStride = nr + 5, ldc = nr + 7
        let a = (0..<(mr * aRow)).map { Float(($0 * 37) % 19) / 8 - 1 }
        let b = (0..<(kc * bStride)).map { Float(($0 * 13) % 23) / 11 - 1 }
        let start = (0..<(mr * ldc)).map { Float($0 % 7) - 3 }
        for accumulate in [false, true] {
            var c = start
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    c.withUnsafeMutableBufferPointer { c in
                        kernel(Int64(kc), a.baseAddress, Int64(aRow), 1, b.baseAddress, Int64(bStride), c.baseAddress, Int64(ldc), accumulate ? 1 : 0)
                    }
                }
            }
            for i in 0..<mr {
                for j in 0..<ldc {
                    let index = i * ldc + j
                    guard j < nr else {
                        #expect(c[index] == start[index], "\(variant.rawValue) \(mr)x\(nr) wrote outside its tile at (\(i), \(j))")
                        continue
                    }
                    var expected = accumulate ? Double(start[index]) : 0
                    for p in 0..<kc { expected += Double(a[i * aRow + p]) * Double(b[p * bStride + j]) }
                    #expect(abs(Double(c[index]) - expected) <= 1e-4 * max(1, abs(expected)),
                            "\(variant.rawValue) \(mr)x\(nr) accumulate=\(accumulate) (\(i), \(j)): \(c[index]) vs \(expected)")
                }
            }
        }
    }

    @Test("a tile has no kernel in a variant it is not for; the kernels pick the CPU's variant")
    func variantChoice() {
        #expect(ckf_gemm_micro_kernel(MicroKernelVariant.avx512.code, 6, 16) == nil)
        #expect(ckf_gemm_micro_kernel(MicroKernelVariant.generic.code, 8, 32) == nil)
        #expect(ckf_gemm_micro_kernel(MicroKernelVariant.avx2.code, 5, 16) == nil)
        #expect(MicroKernelVariant.running(mr: 6, nr: 16) == (KernelISA.avx2.isAvailable ? .avx2 : .generic))
        #expect(MicroKernelVariant.running(mr: 8, nr: 32) == (KernelISA.avx512bw.isAvailable ? .avx512 : nil))
        #expect(GEMMKernel.microTiles.contains { $0 == (8, 32) } == KernelISA.avx512bw.isAvailable)
    }
}
