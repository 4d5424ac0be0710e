// Layers, configurations and precisions: every user of PortableKernels sees them too.
@_exported import KernelModel

/// How a layer with reduced-precision weights computes (`act`, with `isa`):
/// - `fp32`: activations stay fp32 and the weights are widened to fp32, in the build's kernels
///   (`isa=build`) or, for fp16 and bf16 weights, in CIntegerKernels' widening variants
///   (`isa=avx2`, `avx512bw`: 16-column panels, 16-lane vectors on AVX-512 in every build);
/// - `s8` / `u8`: activations quantized per row on every call, symmetric (zero at 0, ±127) or
///   asymmetric (the row's range onto 256 levels), and int8 × int8 → int32 dot products on the
///   int8 or int4 weights (W8A8, W4A8), scales applied once per group;
/// - `u7`: as `u8` onto 128 levels (twice u8's step): on AVX2 and AVX-512 BW (no VNNI)
///   vpmaddubsw then takes the activations as they are, one instruction fewer per 32 products
///   than the sign trick signed activations need (oneDNN's answer for CPUs without VNNI);
/// - `bf16`: activations rounded to bf16 and bf16 × bf16 pairs accumulated in fp32.
/// The quantized activations are part of the kernel's error, checked against the precision's
/// tolerance like every configuration.
public enum Arithmetic: String, Sendable {
    case fp32, s8, u8, u7, bf16

    /// Whether activations are quantized to integers (the integer dot products).
    public var isInteger: Bool { self == .s8 || self == .u8 || self == .u7 }

    /// The value of `isa` for the fp32 path: the kernels this build compiled.
    public static let buildISA = "build"

    /// Whether a (completed) configuration runs CIntegerKernels rather than the build's kernels.
    public static func runsVariant(_ config: KernelConfig) -> Bool { (config.text("isa") ?? buildISA) != buildISA }

    /// The arithmetic of a (completed) configuration.
    public static func of(_ config: KernelConfig) -> Arithmetic { config.text("act").flatMap(Arithmetic.init(rawValue:)) ?? .fp32 }

    /// Refuses, with the reason, a variant this CPU cannot run (a configuration tuned on another
    /// machine): the deployment then falls back and reports this message.
    public static func checkRunnable(_ config: KernelConfig) throws {
        guard let name = config.text("isa"), name != buildISA else { return }
        guard let isa = KernelISA(rawValue: name) else {
            throw KernelError.invalidConfig("isa=\(name) is not a kernel variant (known: \(KernelISA.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard isa.isAvailable else {
            let has = KernelISA.available.map(\.rawValue).joined(separator: ", ")
            throw KernelError.unsupported("isa=\(name) needs a CPU with \(isa.requirement.joined(separator: ", ")); this one runs only \(has)")
        }
    }
}
