import Kernels
import Workloads

/// The error a weight precision causes on a layer's own weights (ONNX initializers): the
/// product of calibration rows with the weights as the kernels store them in `precision`
/// (converted or quantized per channel or group, then read back) against the product with the
/// fp32 weights, both accumulated in double. Relative L2 over rows x N outputs.
enum ModelWeightAccuracy {
    /// Calibration rows: uniform random in [-1, 1) with a fixed seed (no calibration data set).
    static let calibrationRows = 8

    static func relativeError(of weights: LayerWeights, precision: Precision, group: Int) throws -> Double {
        let (k, n, rows) = (weights.rows, weights.columns, calibrationRows)
        let stored = try weights.values.withUnsafeBufferPointer {
            try WeightMatrix($0.baseAddress!, rows: k, columns: n, precision: precision, group: group)
        }
        var data = TestData(seed: 7)
        let inputs = (0..<rows * k).map { _ in Double(data.nextUnit()) }
        var output = [Double](repeating: 0, count: rows * n)
        var reference = [Double](repeating: 0, count: rows * n)
        for kk in 0..<k {
            for column in 0..<n {
                let exact = Double(weights.values[kk * n + column])
                let read = Double(stored.value(row: kk, column: column))
                for row in 0..<rows {
                    let x = inputs[row * k + kk]
                    output[row * n + column] += x * read
                    reference[row * n + column] += x * exact
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
