/// The storage precision of a kernel's weights (B operand). Activations and accumulation
/// stay fp32 in every case.
public enum Precision: String, Codable, CaseIterable, Sendable {
    case fp32, fp16, bf16, int8, int4

    /// The largest relative L2 error against the fp32 reference that a correct kernel of this
    /// precision may show on unit-scale random data. fp32 allows for reordered sums; the others
    /// are their format's rounding (fp16: 11-bit, bf16: 8-bit mantissa) or quantization error
    /// (int8: 1/254 of the range per step; int4: 1/14), with margin.
    public var tolerance: Double {
        switch self {
        case .fp32: 1e-5
        case .fp16: 2e-3
        case .bf16: 1e-2
        case .int8: 2e-2
        case .int4: 2e-1
        }
    }

    /// Bytes one weight takes in memory (int4: half a byte), without scales.
    public var bytesPerWeight: Double {
        switch self {
        case .fp32: 4
        case .fp16, .bf16: 2
        case .int8: 1
        case .int4: 0.5
        }
    }

    public var isQuantized: Bool { self == .int8 || self == .int4 }
}
