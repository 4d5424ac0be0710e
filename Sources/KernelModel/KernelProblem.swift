/// What one tuning run measures and one best record names: a layer, its weights stored in one
/// precision, run by one kernel (by default the one that serves the layer: a GEMM of few rows
/// runs on the GEMV kernel). Codable, so it crosses to the worker process.
public struct KernelProblem: Codable, Hashable, Sendable, CustomStringConvertible {
    public var layer: Layer
    public var precision: Precision
    public var kernel: KernelKind

    public init(layer: Layer, precision: Precision = .fp32, kernel: KernelKind? = nil) {
        self.layer = layer
        self.precision = precision
        self.kernel = kernel ?? layer.kernel
    }

    /// The database's layer text: "gemm m=32 n=4096 k=4096 bias relu int8".
    public var key: String { layer.key(precision: precision) }

    public var description: String { key }

    /// The problem a database record describes: its layer key and kernel column.
    public init(key: String, kernel: KernelKind) throws {
        let (layer, precision) = try Layer.parse(key: key)
        self.init(layer: layer, precision: precision, kernel: kernel)
    }

    /// How far apart two problems are (Layer.distance).
    public func distance(to other: KernelProblem) -> Double {
        Layer.distance((layer, precision), (other.layer, other.precision))
    }
}
