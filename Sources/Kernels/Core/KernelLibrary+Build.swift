import CBuildTarget

// The configuration types, precisions and analytical defaults live in KernelModel (no build
// flags, so that the runtime library can use them); every user of Kernels sees them too.
@_exported import KernelModel
// The team, test data, weight formats and dot-product layers without build flags: every user of
// Kernels sees them too.
@_exported import PortableKernels

extension KernelLibrary {
    /// The -march value the kernels were compiled with (TUNEBENCH_MARCH, default native).
    public static var buildMarch: String { String(cString: cbuild_march()) }

    /// The ISA extensions the compiler could emit for the kernels, as profiles spell them.
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
