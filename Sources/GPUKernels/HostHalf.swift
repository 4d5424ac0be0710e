/// fp16 and bf16 bit patterns on the host, for the GPU kernels' inputs and outputs.
enum HostHalf {
    static func fp16Bits(_ value: Float) -> UInt16 { Float16(value).bitPattern }
    static func fp16Value(_ bits: UInt16) -> Float { Float(Float16(bitPattern: bits)) }

    /// Round to nearest even, as `cvt.rn.bf16.f32` does (NaN kept quiet).
    static func bf16Bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(bits >> 16) | 0x40 }
        let rounding = 0x7FFF + ((bits >> 16) & 1)
        return UInt16((bits &+ rounding) >> 16)
    }
    static func bf16Value(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }
}

/// Deterministic uniform values in [-1, 1) (xorshift), so every trial of a problem sees the
/// same inputs and a failure reproduces.
struct InputGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }

    mutating func next() -> Float {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return Float(state >> 40) / Float(1 << 23) - 1
    }
}
