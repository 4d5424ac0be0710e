import CBuildTarget
import Kernels

extension KernelLibrary {
    /// The -march value of the targets whose loops are Swift (the roofline, the model engine's
    /// operators): TUNEBENCH_MARCH, default native. The kernels take no -march: their variants
    /// are chosen at run time (docs/DESIGN.md).
    public static var buildMarch: String { String(cString: cbuild_march()) }

    /// The ISA extensions the compiler could emit for those targets, as profiles spell them.
    public static var buildISA: [String] {
        let bits = cbuild_isa()
        let names: [(UInt32, String)] = [
            (UInt32(CBUILD_SSE42), "sse4.2"), (UInt32(CBUILD_AVX), "avx"),
            (UInt32(CBUILD_AVX2), "avx2"), (UInt32(CBUILD_FMA), "fma"),
            (UInt32(CBUILD_F16C), "f16c"), (UInt32(CBUILD_AVX512F), "avx512f"),
            (UInt32(CBUILD_AVX512BW), "avx512bw"), (UInt32(CBUILD_AVX512VL), "avx512vl"),
            (UInt32(CBUILD_AVX512VNNI), "avx512_vnni"), (UInt32(CBUILD_AVX512BF16), "avx512_bf16"),
            (UInt32(CBUILD_NEON), "asimd"), (UInt32(CBUILD_SVE), "sve"),
            (UInt32(CBUILD_SVE2), "sve2"), (UInt32(CBUILD_I8MM), "i8mm"),
            (UInt32(CBUILD_BF16), "bf16"),
        ]
        return names.filter { bits & $0.0 != 0 }.map(\.1).sorted()
    }
}
