import CIntegerKernels

/// The instruction-set variants of the dot-product kernels (CIntegerKernels). All x86 ones are
/// compiled into every x86-64 build, `neondot` (SDOT) into every arm64 one; which may run is
/// asked of the CPU at run time, so a portable build uses AVX-512 VNNI on the machines that have
/// it, AMX where the CPU (and the OS) allows it, and SDOT on arm64 Linux CPUs with the dot product.
public enum KernelISA: String, CaseIterable, Sendable {
    case generic, avx2, avx512bw, avx512vnni, avx512bf16, amxint8, amxbf16, neondot

    package var code: Int32 {
        switch self {
        case .generic: Int32(CKQ_GENERIC)
        case .avx2: Int32(CKQ_AVX2)
        case .avx512bw: Int32(CKQ_AVX512BW)
        case .avx512vnni: Int32(CKQ_AVX512VNNI)
        case .avx512bf16: Int32(CKQ_AVX512BF16)
        case .amxint8: Int32(CKQ_AMXINT8)
        case .amxbf16: Int32(CKQ_AMXBF16)
        case .neondot: Int32(CKQ_NEONDOT)
        }
    }

    /// Whether this process may run the variant on this CPU.
    public var isAvailable: Bool { ckq_isa_available(code) != 0 }

    /// The CPU features it needs, as hardware profiles spell them.
    public var requirement: [String] {
        switch self {
        case .generic: []
        case .avx2: ["avx2", "fma", "f16c"]
        case .avx512bw: ["avx512f", "avx512bw"]
        case .avx512vnni: ["avx512f", "avx512bw", "avx512_vnni"]
        case .avx512bf16: ["avx512f", "avx512bw", "avx512_bf16"]
        case .amxint8: ["avx512f", "avx512bw", "amx_tile", "amx_int8"]
        case .amxbf16: ["avx512f", "avx512bw", "amx_tile", "amx_bf16"]
        case .neondot: ["asimddp"]
        }
    }

    /// The integer (W8A8, W4A8) variants this CPU runs; the portable C one only where no vector
    /// variant does (it is far slower than the fp32 kernels, so never worth a trial beside one).
    public static var integerVariants: [KernelISA] {
        let vector = [KernelISA.avx2, .avx512bw, .avx512vnni, .amxint8, .neondot].filter(\.isAvailable)
        return vector.isEmpty ? [.generic] : vector
    }

    /// The bf16 × bf16 variants this CPU runs (none without AVX512_BF16 or AMX-BF16: the fp32
    /// kernels widening bf16 weights are then the fast path).
    public static var bf16Variants: [KernelISA] { [KernelISA.avx512bf16, .amxbf16].filter(\.isAvailable) }

    /// Whether the variant multiplies AMX tiles (16-row A tiles: `mr` 1 is one tile, 2 two).
    public var usesTiles: Bool { self == .amxint8 || self == .amxbf16 }

    /// The variants this CPU runs, for reports.
    public static var available: [KernelISA] { allCases.filter(\.isAvailable) }
}
