/// Weights laid out for the skinny kernel: one contiguous run of K (padded to Kp, a multiple of
/// 16) per output channel, in the storage precision, and the same scales as the `WeightMatrix`
/// they come from (so GEMM and GEMV quantize identically). int4 packs each block of 16 k into
/// 8 bytes: byte j holds k = j in its low nibble and k = j + 8 in its high nibble, so one 8-byte
/// load yields two consecutive 8-wide chunks.
///
/// `@unchecked Sendable`: immutable after init.
final class GEMVWeights: @unchecked Sendable {
    let source: WeightMatrix
    let kp: Int
    let columnBytes: Int
    let storage: UnsafeMutableRawPointer

    init(_ w: WeightMatrix) {
        source = w
        kp = (w.rows + 15) / 16 * 16
        columnBytes = w.precision == .int4 ? kp / 2 : kp * Int(w.precision.bytesPerWeight)
        storage = .allocate(byteCount: max(64, columnBytes * w.columns), alignment: 64)
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: max(64, columnBytes * w.columns))
        for n in 0..<w.columns {
            let column = storage + n * columnBytes
            for k in 0..<w.rows { Self.store(w, row: k, column: n, into: column) }
        }
    }

    deinit { storage.deallocate() }

    private static func store(_ w: WeightMatrix, row k: Int, column n: Int, into column: UnsafeMutableRawPointer) {
        let index = k * w.columns + n
        switch w.precision {
        case .fp32: column.storeBytes(of: w.storage.load(fromByteOffset: index * 4, as: Float.self), toByteOffset: k * 4, as: Float.self)
        case .fp16, .bf16: column.storeBytes(of: w.storage.load(fromByteOffset: index * 2, as: UInt16.self), toByteOffset: k * 2, as: UInt16.self)
        case .int8: column.storeBytes(of: w.storage.load(fromByteOffset: index, as: Int8.self), toByteOffset: k, as: Int8.self)
        case .int4:
            let q = UInt8(bitPattern: Quantizer.nibble(w.storage, row: k, column: n, columns: w.columns)) & 0x0f
            let offset = (k / 16) * 8 + k % 8
            let old = column.load(fromByteOffset: offset, as: UInt8.self)
            let byte = k % 16 < 8 ? (old & 0xf0) | q : (old & 0x0f) | (q << 4)
            column.storeBytes(of: byte, toByteOffset: offset, as: UInt8.self)
        }
    }
}

// One non-inlined entry per precision: each inlines the tiles with its loader.

@inline(never)
func gemvFP32(mb: Int, nb: Int, _ t: GEMVTileArguments) {
    gemvTile(mb: mb, nb: nb, t) { column, k in (column + k * 4).loadUnaligned(as: SIMD8<Float>.self) }
}

@inline(never)
func gemvFP16(mb: Int, nb: Int, _ t: GEMVTileArguments) {
    gemvTile(mb: mb, nb: nb, t) { column, k in SIMD8<Float>((column + k * 2).loadUnaligned(as: SIMD8<Float16>.self)) }
}

@inline(never)
func gemvBF16(mb: Int, nb: Int, _ t: GEMVTileArguments) {
    gemvTile(mb: mb, nb: nb, t) { column, k in
        let raw = (column + k * 2).loadUnaligned(as: SIMD8<UInt16>.self)
        return unsafeBitCast(SIMD8<UInt32>(truncatingIfNeeded: raw) &<< 16, to: SIMD8<Float>.self)
    }
}

@inline(never)
func gemvInt8(mb: Int, nb: Int, _ t: GEMVTileArguments) {
    gemvTile(mb: mb, nb: nb, t) { column, k in SIMD8<Float>((column + k).loadUnaligned(as: SIMD8<Int8>.self)) }
}

@inline(never)
func gemvInt4(mb: Int, nb: Int, _ t: GEMVTileArguments) {
    gemvTile(mb: mb, nb: nb, t) { column, k in
        let bytes = SIMD8<Int32>(truncatingIfNeeded: (column + (k >> 4) * 8).loadUnaligned(as: SIMD8<UInt8>.self))
        return SIMD8<Float>(k & 8 == 0 ? (bytes &<< 28) &>> 28 : (bytes &<< 24) &>> 28)
    }
}
