/// The analytical configurations: what each kernel runs without tuning, from the machine's
/// caches alone. The kernels' `defaultConfig` and the runtime library's last fallback both
/// come from here, so they cannot disagree.
public enum AnalyticalDefaults {
    /// BLIS-style blocking: on an AVX2 core the 4x24 tile (12 accumulators; per k it streams
    /// 4 A values from L2 where 6x16 streams 6, and measured about 17% faster inside the loop
    /// nest here), with 16 vector lanes (AVX-512) the 8x32 tile (16 of the 32 registers; on
    /// the AVX-512 Xeon here 132 against 69–75 GFLOP/s for 4x24 on 512x4096x4096; on Zen 4,
    /// whose AVX-512 is two 256-bit halves, one thread against OpenBLAS, 1.00x–1.25x where 4x24
    /// ran 0.86x–1.13x, the same on 512x4096x4096); the KC x NR panel of
    /// B up to 3/4 of L1d, the MC x KC block of A up to 1/3 of L2 (the rest holds B panels and
    /// C), the KC x NC panel of B a quarter of one core's share of L3; one thread, loop over N;
    /// B packed per call.
    public static func gemm(limits: MachineSizes, quantized: Bool, kernel: String = "gemm") -> KernelConfig {
        let (mr, nr) = limits.vectorLanes >= 16 ? (8, 32) : (4, 24)
        let kc = [512, 384, 256, 192, 128, 64].first { $0 * nr * 4 <= limits.l1dBytes * 3 / 4 } ?? 64
        let mcLimit = limits.l2Bytes / 3 / (kc * 4)
        let mc = [384, 288, 256, 240, 192, 144, 128, 120, 96, 72, 64, 48, 32, 24, 16].first { $0 <= mcLimit && $0 % mr == 0 } ?? 16
        let ncLimit = limits.l3Bytes / 4 / max(1, limits.cores) / (kc * 4)
        let nc = [8192, 4096, 4080, 3840, 2048, 1920, 1024, 960, 512, 480, 256, 240].first { $0 <= ncLimit && $0 % nr == 0 } ?? (nr == 24 ? 240 : 256)
        var values: [String: ParameterValue] = [
            "mr": .int(mr), "nr": .int(nr), "kc": .int(kc), "mc": .int(mc), "nc": .int(nc),
            "threads": 1, "loop": "n", "order": "jr", "pack_a": 1, "pack_b": 1,
        ]
        if quantized { values["group"] = 0 }
        return KernelConfig(kernel: kernel, values: values)
    }

    /// The skinny GEMV (M <= 16), one thread. Measured here on the decode shape 1x4096x4096
    /// (interleaved rounds): fp32 is fastest with 4-column tiles and no software prefetch,
    /// fp16/bf16 with 8-column tiles, int8/int4 with 4-column tiles and a 1 KiB prefetch
    /// distance (which slowed fp32 by about a third).
    public static func gemv(m: Int, precision: Precision) -> KernelConfig {
        let half = precision == .fp16 || precision == .bf16
        var values: [String: ParameterValue] = [
            "mb": m >= 4 ? 4 : (m >= 2 ? 2 : 1), "nb": m >= 4 ? 2 : (m >= 2 ? 4 : (half ? 8 : 4)), "threads": 1,
            "prefetch": precision.isQuantized ? 1024 : 0,
        ]
        if precision.isQuantized { values["group"] = 0 }
        return KernelConfig(kernel: "gemv", values: values)
    }

    /// The analytical configuration of `kernel` for a layer of `m` rows.
    public static func config(kernel: KernelKind, m: Int, precision: Precision, limits: MachineSizes) -> KernelConfig {
        switch kernel {
        case .gemv: gemv(m: m, precision: precision)
        case .conv2d: conv2d(limits: limits, precision: precision)
        case .dwconv2d: depthwise()
        case .gemm, .matmul: gemm(limits: limits, quantized: precision.isQuantized, kernel: kernel.rawValue)
        }
    }

    /// dwconv2d: one thread, each task a whole channel plane (rows=0).
    public static func depthwise() -> KernelConfig {
        KernelConfig(kernel: "dwconv2d", values: ["threads": 1, "rows": 0])
    }

    /// conv2d: the GEMM blocking over the im2col matrix, in chunks of 256 output pixels; fp32
    /// as channels x pixels (layout=kp: no scatter, 1x1 convolutions without im2col). The 4x24
    /// tile whatever the vectors: the 16-lane one was not measured on convolutions.
    public static func conv2d(limits: MachineSizes, precision: Precision) -> KernelConfig {
        var config = gemm(limits: limits.capped(vectorLanes: 8), quantized: precision.isQuantized, kernel: "conv2d")
        config.values["chunk"] = 256
        config.values["layout"] = precision == .fp32 ? "kp" : "pk"
        return config
    }
}
