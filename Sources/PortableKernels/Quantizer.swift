/// Symmetric quantization of a K x N matrix along K, per output channel or per group.
package enum Quantizer {
    /// scale = max|w| / levels over each group of one column; q = round(w / scale) in
    /// [-levels, levels]. A group of zeros gets scale 1 (and q = 0).
    package static func quantize(
        _ weights: UnsafePointer<Float>, rows: Int, columns: Int, group: Int, levels: Int,
        scales: UnsafeMutablePointer<Float>, into storage: UnsafeMutableRawPointer, packNibbles: Bool
    ) {
        let groups = (rows + group - 1) / group
        for g in 0..<groups {
            let k0 = g * group, k1 = min(rows, k0 + group)
            for n in 0..<columns {
                var largest: Float = 0
                for k in k0..<k1 { largest = max(largest, abs(weights[k * columns + n])) }
                let scale = largest > 0 ? largest / Float(levels) : 1
                scales[g * columns + n] = scale
                for k in k0..<k1 {
                    let q = Int8(max(-Float(levels), min(Float(levels), (weights[k * columns + n] / scale).rounded())))
                    if packNibbles {
                        setNibble(storage, q, row: k, column: n, columns: columns)
                    } else {
                        storage.storeBytes(of: q, toByteOffset: k * columns + n, as: Int8.self)
                    }
                }
            }
        }
    }

    /// int4 layout: byte (k/2, n) of a (K/2) x N array holds row k-even in its low nibble and
    /// row k-odd in its high nibble, so one byte row serves two k for the same n.
    package static func setNibble(_ storage: UnsafeMutableRawPointer, _ q: Int8, row k: Int, column n: Int, columns: Int) {
        let offset = (k / 2) * columns + n
        let old = storage.load(fromByteOffset: offset, as: UInt8.self)
        let nibble = UInt8(bitPattern: q) & 0x0f
        let updated = k % 2 == 0 ? (old & 0xf0) | nibble : (old & 0x0f) | (nibble << 4)
        storage.storeBytes(of: updated, toByteOffset: offset, as: UInt8.self)
    }

    package static func nibble(_ storage: UnsafeRawPointer, row k: Int, column n: Int, columns: Int) -> Int8 {
        let byte = storage.load(fromByteOffset: (k / 2) * columns + n, as: UInt8.self)
        let raw = k % 2 == 0 ? byte & 0x0f : byte >> 4
        return Int8(bitPattern: raw << 4) >> 4 // sign-extend the 4-bit value
    }
}
