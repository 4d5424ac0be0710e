import Kernels
import Workloads

/// The error a weight precision causes on a layer's own weights (ONNX initializers): the
/// product of calibration rows with the weights as the kernels store them in `precision`
/// (converted or quantized per channel or group, then read back) against the product with the
/// fp32 weights, both accumulated in double. Relative L2 over rows x N outputs.
enum ModelWeightAccuracy {
    /// Calibration rows: uniform random in [-1, 1) with a fixed seed (no calibration data set).
    static let calibrationRows = 8

    /// - Parameter roundingInputs: what the kernel does to the calibration rows before it
    ///   multiplies (a GPU's fp16/bf16 GEMM rounds them too); the reference keeps them exact.
    static func relativeError(of weights: LayerWeights, precision: Precision, group: Int,
                              roundingInputs: (Float) -> Float = { $0 }) throws -> Double {
        let (k, n, rows) = (weights.rows, weights.columns, calibrationRows)
        let stored = try weights.values.withUnsafeBufferPointer {
            try WeightMatrix($0.baseAddress!, rows: k, columns: n, precision: precision, group: group)
        }
        var data = TestData(seed: 7)
        let exactInputs = (0..<rows * k).map { _ in data.nextUnit() }
        let inputs = exactInputs.map(Double.init), roundedInputs = exactInputs.map { Double(roundingInputs($0)) }
        var output = [Double](repeating: 0, count: rows * n)
        var reference = [Double](repeating: 0, count: rows * n)
        for kk in 0..<k {
            for column in 0..<n {
                let exact = Double(weights.values[kk * n + column])
                let read = Double(stored.value(row: kk, column: column))
                for row in 0..<rows {
                    output[row * n + column] += roundedInputs[row * k + kk] * read
                    reference[row * n + column] += inputs[row * k + kk] * exact
                }
            }
        }
        var accumulator = ErrorAccumulator()
        for i in output.indices { accumulator.add(output: Float(output[i]), reference: reference[i]) }
        return accumulator.validation(tolerance: .infinity).relativeError
    }

    /// The largest error over every instance's weights (one configuration serves them all).
    static func worst(over weights: [LayerWeights], precision: Precision, group: Int) throws -> Double {
        try weights.map { try relativeError(of: $0, precision: precision, group: group) }.max() ?? 0
    }
}
