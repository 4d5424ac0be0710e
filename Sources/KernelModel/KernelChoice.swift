/// Which kernel serves a layer: the skinny GEMV path for GEMMs of up to 16 rows, the GEMM
/// otherwise; products of two activations by the GEMM with B packed per call (matmul);
/// convolutions by im2col + GEMM (conv2d).
public enum KernelChoice {
    /// Rows up to which the GEMV kernel serves a GEMM.
    public static let gemvRows = 16

    /// - Parameters:
    ///   - operation: the first word of the layer key: gemm, matmul or conv2d.
    ///   - m: the GEMM's rows (nil for conv2d).
    public static func kernel(operation: String, m: Int?) -> String {
        switch operation {
        case "gemm": (m ?? 0) <= gemvRows ? "gemv" : "gemm"
        default: operation
        }
    }
}
