import CFloatKernels

/// The vector loops of CFloatKernels (GEMV tiles, packing, epilogues, convolutions, and the model
/// engine's softmax, normalization, attention and pooling) in the variant this CPU runs: AVX-512
/// where TUNEBENCH_MAX_ISA allows AVX-512 BW and the CPU has it (with VL and DQ), else AVX2 with
/// FMA and F16C, else the build's baseline. Chosen once per process, like the micro-kernels'
/// variant, so that one build uses what each machine has.
public enum VectorLoops {
    static let variant: MicroKernelVariant = {
        if KernelISA.avx512bw.isAvailable, ckf_vector_ops_for(MicroKernelVariant.avx512.code) != nil { return .avx512 }
        if KernelISA.avx2.isAvailable, ckf_vector_ops_for(MicroKernelVariant.avx2.code) != nil { return .avx2 }
        return .generic
    }()

    /// The variant this process runs, as KernelISA and run summaries name instruction sets.
    public static var variantName: String { variant.rawValue }

    /// The loops of the variant this process runs.
    public static let current: ckf_vector_ops = table(variant)!

    /// The loops of `variant`; nil where this build or this CPU has none (tests run each against the portable ones).
    static func table(_ variant: MicroKernelVariant) -> ckf_vector_ops? { ckf_vector_ops_for(variant.code)?.pointee }
}

extension Epilogue.Activation {
    /// The activation as CFloatKernels' loops number them.
    var vectorCode: Int32 {
        switch self {
        case .none: 0
        case .relu: 1
        case .relu6: 2
        case .gelu: 3
        case .geluErf: 4
        }
    }
}

extension Precision {
    /// The storage precision as CFloatKernels' loops number them (CKF_WEIGHTS_*).
    var weightsCode: Int32 {
        switch self {
        case .fp32: Int32(CKF_WEIGHTS_FP32)
        case .fp16: Int32(CKF_WEIGHTS_FP16)
        case .bf16: Int32(CKF_WEIGHTS_BF16)
        case .int8: Int32(CKF_WEIGHTS_INT8)
        case .int4: Int32(CKF_WEIGHTS_INT4)
        }
    }
}
