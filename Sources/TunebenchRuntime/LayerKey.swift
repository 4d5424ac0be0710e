import KernelModel

/// A layer key as the tuning database writes it: the operation, its dimensions and epilogue
/// words, e.g. "gemm m=32 n=4096 k=4096 bias relu", optionally followed by a weight precision
/// ("… int8"; fp32 is written without one).
public struct LayerKey: Hashable, Sendable {
    public var operation: String
    public var dimensions: [String: Int]

    public init?(_ text: String) {
        let words = text.split(separator: " ")
        guard let first = words.first, !first.contains("=") else { return nil }
        operation = String(first)
        var dimensions: [String: Int] = [:]
        for word in words.dropFirst() {
            let parts = word.split(separator: "=", maxSplits: 1)
            if parts.count == 2 {
                guard let value = Int(parts[1]) else { return nil }
                dimensions[String(parts[0])] = value
            }
        }
        guard !dimensions.isEmpty else { return nil }
        self.dimensions = dimensions
    }

    /// The kernel that serves this layer (KernelChoice).
    public var kernel: String { KernelChoice.kernel(operation: operation, m: dimensions["m"]) }

    /// "gemm m=1 n=4096 k=4096 int8" → ("gemm m=1 n=4096 k=4096", .int8); no suffix → fp32.
    public static func splitPrecision(_ text: String) -> (layer: String, precision: Precision) {
        let words = text.split(separator: " ")
        if let last = words.last, let precision = Precision(rawValue: String(last)), words.count > 1 {
            return (words.dropLast().joined(separator: " "), precision)
        }
        return (text, .fp32)
    }
}
