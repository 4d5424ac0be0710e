/// The kernels tunebench has, as `--kernel` names them and the database's `kernel` column
/// stores them.
public enum KernelKind: String, Codable, CaseIterable, Sendable {
    /// Packed GEMM with weights as B (BLIS-style blocking).
    case gemm
    /// The skinny path for GEMMs of up to `gemvRows` rows (decode steps).
    case gemv
    /// The GEMM with B an activation (attention's Q·Kᵀ and P·V), packed per call, fp32 only.
    case matmul
    /// 2-D convolution by im2col + GEMM.
    case conv2d
    /// Depthwise 2-D convolution, computed directly (one filter per channel: no GEMM to map to).
    case dwconv2d

    /// Rows up to which the GEMV kernel serves a GEMM.
    public static let gemvRows = 16

    /// The kernel that serves a layer: the skinny GEMV path for GEMMs of up to 16 rows, the GEMM
    /// otherwise; products of two activations by matmul; convolutions by conv2d.
    public static func serving(_ layer: Layer) -> KernelKind {
        switch layer.operation {
        case .gemm: (layer.m ?? 0) <= gemvRows ? .gemv : .gemm
        case .matmul: .matmul
        case .conv2d: .conv2d
        case .dwconv2d: .dwconv2d
        }
    }
}
