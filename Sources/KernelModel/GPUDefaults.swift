/// The GPU kernels' names and their configurations without tuning: what `tune --gpu` measures
/// first and what a deployment runs on a GPU when nothing was tuned for it (the runtime's
/// analytical step). Shared by GPUKernels and the runtime library, which must not link the
/// kernels.
public enum GPUDefaults {
    /// The CUDA kernel tunebench runs a GEMM layer with on a GPU: the GEMV for one fp16, int8 or
    /// int4 row, fp32 on CUDA cores, fp16/bf16 on tensor cores (wgmma on compute capability 9.0,
    /// mma.sync elsewhere); nil for what no GPU kernel computes.
    public static func kernel(for layer: Layer, precision: Precision, computeCapability: String? = nil) -> String? {
        guard layer.operation == .gemm, let m = layer.m else { return nil }
        if m == 1, [.fp16, .int8, .int4].contains(precision) { return "cuda-gemv" }
        switch precision {
        case .fp32: return "cuda-gemm-f32"
        case .fp16, .bf16: return computeCapability == wgmmaComputeCapability ? "cuda-gemm-wgmma" : "cuda-gemm-tc"
        default: return nil
        }
    }

    /// What a GPU kernel computes of `layer`: a GEMM's product without its fused epilogue (a
    /// deployment applies bias and activation after it), so layers that differ only in their
    /// epilogue share GPU records.
    public static func computed(_ layer: Layer) -> Layer {
        guard layer.operation == .gemm, let m = layer.m, let n = layer.n, let k = layer.k else { return layer }
        return Layer.gemm(m: m, n: n, k: k)
    }

    /// The one architecture wgmma code (`sm_90a`) runs on: Hopper.
    public static let wgmmaComputeCapability = "9.0"

    /// Whether a recorded kernel name is a GPU kernel (tunebench's or a user's).
    public static func isGPUKernel(_ name: String) -> Bool { name.hasPrefix("cuda") }

    /// The default configuration of `kernel` for the layer, derived parameters included.
    public static func config(kernel: String, layer: Layer, precision: Precision, group: Int = 128) -> KernelConfig? {
        let k = layer.k ?? 0
        switch kernel {
        case "cuda-gemm-f32":
            return KernelConfig(kernel: kernel, values: [
                "BM": .int(128), "BN": .int(128), "BK": .int(16), "WM": .int(64), "WN": .int(32), "TM": .int(8), "TN": .int(4),
                "STAGES": .int(2), "LN": .int(8), "VEC": .int(k % 4 == 0 ? 4 : 1),
            ])
        case "cuda-gemm-tc":
            return KernelConfig(kernel: kernel, values: [
                "BM": .int(128), "BN": .int(128), "BK": .int(32), "WM": .int(64), "WN": .int(64), "STAGES": .int(3),
                "BF16": .int(precision == .bf16 ? 1 : 0),
            ])
        case "cuda-gemm-wgmma":
            // 128 x 256 tiles by two consumer warpgroups, four stages: 192 KiB of shared memory.
            return KernelConfig(kernel: kernel, values: [
                "BN": .int(256), "MT": .int(1), "CONSUMERS": .int(2), "STAGES": .int(4), "BF16": .int(precision == .bf16 ? 1 : 0),
            ])
        case "cuda-gemv":
            let weightType: Int
            switch precision {
            case .fp16: weightType = 0
            case .int8: weightType = 1
            case .int4: weightType = 2
            default: return nil
            }
            // The widest load that keeps rows aligned and (int4) inside one scale group.
            let rowBytes = Int(Double(k) * precision.bytesPerWeight)
            let vector = [16, 8, 4].first { vector in
                let perLoad = Int(Double(vector) / precision.bytesPerWeight)
                return rowBytes % vector == 0 && k % perLoad == 0 && (precision != .int4 || group % perLoad == 0)
            } ?? 4
            return KernelConfig(kernel: kernel, values: [
                "THREADS": .int(256), "ROWS": .int(2), "VEC": .int(vector), "WTYPE": .int(weightType), "GROUP": .int(group),
            ])
        default:
            return nil
        }
    }
}

/// The database's layer text of a GPU record: the layer key, " on ", the GPU's name
/// ("gemm m=512 n=4096 k=4096 fp16 on NVIDIA H200"). CPU and GPU records of one layer on one
/// machine (and records on two GPU models of one machine) stay apart.
public enum GPULayerKey {
    public static func text(key: String, device: String) -> String { "\(key) on \(device)" }

    /// The layer key and the GPU of a record's layer text (nil device: a CPU record).
    public static func split(_ text: String) -> (key: String, device: String?) {
        guard let range = text.range(of: " on ") else { return (text, nil) }
        return (String(text[..<range.lowerBound]), String(text[range.upperBound...]))
    }
}
