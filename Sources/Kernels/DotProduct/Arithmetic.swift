/// The search space's side of `act` and `isa` (the enum and the run-time checks are in
/// PortableKernels).
extension Arithmetic {
    /// The fp16/bf16 widening variants this CPU runs.
    static var wideningVariants: [KernelISA] { [KernelISA.avx2, .avx512bw].filter(\.isAvailable) }

    /// Whether a layer of these weights has `act` and `isa`.
    static func applies(to precision: Precision) -> Bool { precision != .fp32 }

    /// `act` and `isa` for a precision (none for fp32 weights). Both parameters exist on
    /// every machine, with the values this CPU runs, so a configuration tuned elsewhere is
    /// refused with its reason (`checkRunnable`) rather than as an unknown parameter.
    static func parameters(for precision: Precision) -> [ParameterSpace.Parameter] {
        let variants: [KernelISA]
        let modes: [Arithmetic]
        switch precision {
        case .int8, .int4: (variants, modes) = (KernelISA.integerVariants, [.fp32, .s8, .u8, .u7])
        case .bf16: (variants, modes) = (wideningVariants + KernelISA.bf16Variants, KernelISA.bf16Variants.isEmpty ? [.fp32] : [.fp32, .bf16])
        case .fp16: (variants, modes) = (wideningVariants, [.fp32])
        case .fp32: return []
        }
        return [
            .init("act", modes.map { .text($0.rawValue) },
                  help: "activations: fp32 (weights widened), s8/u8/u7 (quantized per row: symmetric/asymmetric/asymmetric 7-bit, integer dot products), bf16"),
            .init("isa", ([buildISA] + variants.map(\.rawValue)).map { .text($0) },
                  help: "instruction set of the dot-product kernels (build: the fp32 kernels this build compiled)"),
        ]
    }

    /// act=fp32 goes with isa=build (or, for 16-bit weights, a widening variant); the others with
    /// a variant of their kind.
    static func constraints(for precision: Precision) -> [ParameterSpace.Constraint] {
        guard applies(to: precision) else { return [] }
        let widening = precision == .fp16 || precision == .bf16
        return [.init("act=fp32 with isa=build (fp16, bf16: or avx2, avx512bw); s8/u8 with an integer variant; u7 with generic, avx2 or avx512bw; bf16 with avx512bf16 or amxbf16") { config in
            let act = config.text("act").flatMap(Arithmetic.init(rawValue:)) ?? .fp32
            let isa = config.text("isa") ?? buildISA
            switch act {
            case .fp32: return isa == buildISA || (widening && [KernelISA.avx2, .avx512bw].map(\.rawValue).contains(isa))
            case .s8, .u8: return [KernelISA.generic, .avx2, .avx512bw, .avx512vnni, .amxint8, .neondot].map(\.rawValue).contains(isa)
            // 7 bits only where they save the sign trick (VNNI and AMX take unsigned bytes anyway).
            case .u7: return [KernelISA.generic, .avx2, .avx512bw].map(\.rawValue).contains(isa)
            case .bf16: return [KernelISA.avx512bf16, .amxbf16].map(\.rawValue).contains(isa)
            }
        }]
    }

    /// A configuration recorded before `act` existed ran fp32 arithmetic.
    static func completing(_ config: KernelConfig, precision: Precision) -> KernelConfig {
        guard applies(to: precision), config.values["act"] == nil else { return config }
        var config = config
        config.values["act"] = .text(Arithmetic.fp32.rawValue)
        if config.values["isa"] == nil { config.values["isa"] = .text(buildISA) }
        return config
    }

    /// The dot-product arithmetic a search measures first for these weights, best first (none
    /// for the fp32 path). int8 and int4 on AVX-512 VNNI, where W8A8 measured 3.5–5x the widening
    /// fp32 path on 512x4096x4096 and W4A8 decode 5x; from 16 rows on (a whole AMX tile), AMX
    /// before it: on 512x4096x4096, one thread, int8 2.6x VNNI and bf16 8x the fp32 default
    /// configuration (`bench`; docs/DESIGN.md).
    /// bf16 × bf16 with vdpbf16ps after AMX: on Zen 4 it ran 1.7–2.0x tuned fp32 on 32 and 512
    /// rows (`results/arithmetic-bebea906bbcfe36d.md`), on the Xeons here at a quarter of the FMA's
    /// rate (0.55–1.4x): the search measures it and keeps it only where it wins.
    /// Without VNNI, int8 and int4 on 7-bit activations (`u7`) with AVX-512 BW or AVX2: on Zen 4
    /// capped to AVX2 (x86-64-v3 build), W8A8 ran 1.9–2.5x the tuned fp32 kernels on 32 and 512
    /// rows, 1.3–1.7x with the sign trick (`s8`)
    /// (`results/arithmetic-bebea906bbcfe36d-march-x86-64-v3-max-isa-avx2.md`).
    static func preferred(for precision: Precision, rows: Int) -> [(act: Arithmetic, isa: KernelISA)] {
        var choices: [(act: Arithmetic, isa: KernelISA)] = []
        if rows >= 16, precision.isQuantized, KernelISA.amxint8.isAvailable { choices.append((.s8, .amxint8)) }
        if rows >= 16, precision == .bf16, KernelISA.amxbf16.isAvailable { choices.append((.bf16, .amxbf16)) }
        if precision.isQuantized, KernelISA.avx512vnni.isAvailable { choices.append((.s8, .avx512vnni)) }
        if precision == .bf16, KernelISA.avx512bf16.isAvailable { choices.append((.bf16, .avx512bf16)) }
        // arm64: SDOT (not measured: no arm64 machine here; checked for results under qemu-user).
        if precision.isQuantized, KernelISA.neondot.isAvailable { choices.append((.s8, .neondot)) }
        if precision.isQuantized, !KernelISA.avx512vnni.isAvailable, !KernelISA.neondot.isAvailable {
            if let isa = [KernelISA.avx512bw, .avx2].first(where: \.isAvailable) { choices.append((.u7, isa)) }
        }
        return choices
    }
}
