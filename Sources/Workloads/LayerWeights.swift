/// A layer's weights as the kernels' B operand: K rows x N columns, row-major, fp32, as read
/// from the model (transposed and scaled as the operator asks).
public struct LayerWeights: Equatable, Sendable {
    /// Where they come from, e.g. the initializer "fc1.weight".
    public var source: String
    public var rows: Int
    public var columns: Int
    public var values: [Float]

    public init(source: String, rows: Int, columns: Int, values: [Float]) {
        precondition(values.count == rows * columns, "\(source): \(values.count) values for \(rows) x \(columns)")
        self.source = source
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// From an [N, K] matrix (PyTorch Linear, Gemm transB=1, conv weights [K_out, C·R·S]).
    public static func transposing(source: String, rows n: Int, columns k: Int, values: [Float]) -> LayerWeights {
        var transposed = [Float](repeating: 0, count: n * k)
        for row in 0..<n {
            for column in 0..<k { transposed[column * n + row] = values[row * k + column] }
        }
        return LayerWeights(source: source, rows: k, columns: n, values: transposed)
    }
}
