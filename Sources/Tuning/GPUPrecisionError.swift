import KernelModel
import Kernels
import PortableKernels
import Workloads

/// The error a precision causes on a layer's output as tunebench's CUDA kernels compute it,
/// against the same product in fp32 (relative L2, accumulated in double):
///
/// - the fp16/bf16 GEMMs round activations and weights to the format;
/// - the decode GEMV keeps activations in fp32 and reads fp16 weights, or int8 (one scale per
///   output) and int4 (one scale per `group` weights of an output) quantized symmetrically, as
///   the CPU's kernels quantize them: formats the GEMV reads as they are;
/// - fp32 is the reference.
///
/// The GPU's own validation checks a kernel against the same rounded inputs, so it says nothing
/// about the format: this is what the precision choice is judged by. Measured on the model's
/// weights where the layer has them (every instance, the worst counts), else on seeded uniform
/// weights of the layer's K and up to `sampledColumns` of its outputs; the calibration rows are
/// ModelWeightAccuracy's.
public enum GPUPrecisionError {
    static let sampledColumns = 256

    public static func relativeError(layer: Layer, precision: Precision, group: Int, weights: [LayerWeights]) throws -> Double {
        guard precision != .fp32, let n = layer.n, let k = layer.k else { return 0 }
        let rounding: (Float) -> Float
        switch (GPUDefaults.kernel(for: layer, precision: precision), precision) {
        case ("cuda-gemv", _): rounding = { $0 }
        case (_, .fp16): rounding = { Float(Float16($0)) }
        case (_, .bf16): rounding = { BFloat16.decode(BFloat16.encode($0)) }
        default: rounding = { $0 }
        }
        let matrices = weights.isEmpty ? [seededWeights(k: k, n: n)] : weights
        // int8 on the GPU has one scale per output: the CPU's per-channel quantization (group 0).
        let cpuGroup = precision == .int4 ? group : 0
        return try matrices.map {
            try ModelWeightAccuracy.relativeError(of: $0, precision: precision, group: cpuGroup, roundingInputs: rounding)
        }.max() ?? 0
    }

    /// Uniform weights in [-1, 1) of K rows and up to `sampledColumns` (an even count: int4
    /// packs outputs in pairs) of the layer's N outputs, the same for every run.
    static func seededWeights(k: Int, n: Int) -> LayerWeights {
        let columns = max(2, min(n, sampledColumns) & ~1)
        var data = TestData(seed: UInt64(k &* 31 &+ n))
        return LayerWeights(source: "seeded", rows: k, columns: columns, values: (0..<(k * columns)).map { _ in data.nextUnit() })
    }
}
