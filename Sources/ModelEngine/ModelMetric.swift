import Workloads

/// How a model's outputs are compared with the fp32 reference for `--max-error`: an error, 0
/// when they agree, that the limit caps.
public enum ModelMetric: String, CaseIterable, Codable, Sendable {
    /// ‖y − y_ref‖ / ‖y_ref‖ over all the outputs' values together.
    case relativeL2 = "l2"
    /// 1 − cosine similarity, the worst over the outputs (each flattened).
    case cosine
    /// The fraction of rows of the first output (classes on its last axis) whose highest
    /// class differs from the reference's: 1 − top-1 agreement.
    case top1

    public var description: String {
        switch self {
        case .relativeL2: "relative L2 against fp32"
        case .cosine: "1 − cosine similarity to fp32"
        case .top1: "1 − top-1 agreement with fp32"
        }
    }

    public func error(_ outputs: [Tensor], against reference: [Tensor]) -> Double {
        switch self {
        case .relativeL2:
            return ModelExecutor.relativeError(outputs, against: reference)
        case .cosine:
            return zip(outputs, reference).map { output, expected in
                var (dot, a, b) = (0.0, 0.0, 0.0)
                for (x, y) in zip(output.data, expected.data) {
                    dot += Double(x) * Double(y)
                    a += Double(x) * Double(x)
                    b += Double(y) * Double(y)
                }
                // Two zero outputs agree; one zero and one not do not.
                guard a > 0 || b > 0 else { return 0 }
                guard a > 0 && b > 0 else { return 1 }
                return max(0, 1 - dot / (a.squareRoot() * b.squareRoot()))
            }.max() ?? 0
        case .top1:
            guard let output = outputs.first, let expected = reference.first, let classes = output.shape.last, classes > 0 else { return 0 }
            let rows = output.count / classes
            guard rows > 0 else { return 0 }
            func argmax(_ values: [Float], row: Int) -> Int {
                let slice = values[row * classes..<(row + 1) * classes]
                return slice.indices.max { slice[$0] < slice[$1] || (slice[$0] == slice[$1] && $0 > $1) }! - row * classes
            }
            let differing = (0..<rows).filter { argmax(output.data, row: $0) != argmax(expected.data, row: $0) }.count
            return Double(differing) / Double(rows)
        }
    }
}
