import CFloatKernels
import PortableKernels

/// A register micro-kernel of the fp32 GEMM (CFloatKernels): C[MR x NR] (+)= A[MR x kc] ·
/// B[kc x NR], A through (row, k) strides, B rows NR floats `bKStride` apart.
typealias MicroKernel = ckf_micro_kernel

/// The instruction-set variants of the micro-kernels, as the CPU runs them.
enum MicroKernelVariant: String, CaseIterable, Sendable {
    case generic, avx2, avx512

    var code: Int32 {
        switch self {
        case .generic: Int32(CKF_GENERIC)
        case .avx2: Int32(CKF_AVX2)
        case .avx512: Int32(CKF_AVX512)
        }
    }

    /// The dot-product kernels' variant with the same needs (and TUNEBENCH_MAX_ISA's cap).
    var isa: KernelISA {
        switch self {
        case .generic: .generic
        case .avx2: .avx2
        case .avx512: .avx512bw
        }
    }

    /// The variant a tile runs in here: 16-lane tiles in AVX-512; 8-lane ones in AVX2 + FMA, or
    /// in portable C where the CPU has neither (nil: a 16-lane tile on a CPU without AVX-512).
    static func running(mr: Int, nr: Int) -> MicroKernelVariant? {
        if wideMicroTiles.contains(where: { $0 == (mr, nr) }) { return KernelISA.avx512bw.isAvailable ? .avx512 : nil }
        return KernelISA.avx2.isAvailable ? .avx2 : .generic
    }
}

extension MachineSizes {
    /// These sizes with the vector lanes of the micro-kernels this process runs (16 only where
    /// the CPU runs AVX-512 and TUNEBENCH_MAX_ISA allows it): what analytical defaults are for.
    public var runnable: MachineSizes { capped(vectorLanes: GEMMKernel.wideVectors ? 16 : 8) }
}

/// The micro-kernel of an MR x NR tile in the variant this CPU runs; nil for a tile there is
/// none of, or one the CPU cannot run.
func microKernel(mr: Int, nr: Int) -> MicroKernel? {
    guard let variant = MicroKernelVariant.running(mr: mr, nr: nr) else { return nil }
    return ckf_gemm_micro_kernel(variant.code, Int32(mr), Int32(nr))
}
