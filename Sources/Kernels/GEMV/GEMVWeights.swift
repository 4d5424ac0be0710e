import CFloatKernels

/// Weights laid out for the skinny kernel: K padded to Kp (a multiple of 64) per output
/// channel, in the storage precision, with the same scales as the `WeightMatrix` they come from
/// (so GEMM and GEMV quantize identically). Columns are grouped in tiles of `nb` (the kernel's
/// register tile; the last N % nb columns are tiles of 1) and interleaved by units of 16 k
/// (64 for int4): unit u of column j of a tile follows unit u of column j - 1, so a tile's
/// weights are one sequential stream. (Column after column — nb streams — measured 25-50%
/// slower for int8 and fp16.) Within a unit, two formats are arranged so that a load and
/// integer shifts alone make fp32 vectors:
/// - bf16: each 16 k take 32 bytes as 8 UInt32 lanes; lane i holds k + i in its low half and
///   k + 8 + i in its high half.
/// - int4: each 64 k take 32 bytes as 8 UInt32 lanes; nibble j of lane i is k + 8j + i.
///
/// `@unchecked Sendable`: immutable after init.
final class GEMVWeights: @unchecked Sendable {
    let source: WeightMatrix
    let kp: Int
    let columnBytes: Int
    let tileColumns: Int
    /// Columns below this are in tiles of `tileColumns`; the rest in tiles of 1.
    let tiledColumns: Int
    let unitShift: Int
    let unitBytes: Int
    let storage: UnsafeMutableRawPointer

    init(_ w: WeightMatrix, tileColumns: Int) {
        source = w
        self.tileColumns = tileColumns
        tiledColumns = w.columns - w.columns % tileColumns
        kp = (w.rows + 63) / 64 * 64
        columnBytes = w.precision == .int4 ? kp / 2 : kp * Int(w.precision.bytesPerWeight)
        unitShift = w.precision == .int4 ? 6 : 4
        unitBytes = w.precision == .int4 ? 32 : 16 * Int(w.precision.bytesPerWeight)
        storage = WeightMemory.allocate(byteCount: columnBytes * w.columns)
        let unitK = 1 << unitShift
        for n in 0..<w.columns {
            let (tileStart, width) = tile(of: n)
            let tile = storage + tileStart * columnBytes
            // Units past the last row stay zero (padding).
            for unit in 0..<((w.rows + unitK - 1) / unitK) {
                let destination = tile + (unit * width + n - tileStart) * unitBytes
                for k in (unit * unitK)..<min(w.rows, (unit + 1) * unitK) {
                    Self.store(w, row: k, column: n, into: destination, offset: k - unit * unitK)
                }
            }
        }
    }

    /// The tile holding `column` (its first column) and how many columns that tile has.
    func tile(of column: Int) -> (start: Int, width: Int) {
        column < tiledColumns ? (column - column % tileColumns, tileColumns) : (column, 1)
    }

    deinit { WeightMemory.deallocate(storage) }

    /// Stores weight (k, n) at position `u` of its unit (0 ..< 16, or 0 ..< 64 for int4).
    private static func store(_ w: WeightMatrix, row: Int, column n: Int, into column: UnsafeMutableRawPointer, offset k: Int) {
        let index = row * w.columns + n
        switch w.precision {
        case .fp32: column.storeBytes(of: w.storage.load(fromByteOffset: index * 4, as: Float.self), toByteOffset: k * 4, as: Float.self)
        case .fp16: column.storeBytes(of: w.storage.load(fromByteOffset: index * 2, as: UInt16.self), toByteOffset: k * 2, as: UInt16.self)
        case .bf16:
            let offset = (k % 8) * 4 + (k < 8 ? 0 : 2)
            column.storeBytes(of: w.storage.load(fromByteOffset: index * 2, as: UInt16.self), toByteOffset: offset, as: UInt16.self)
        case .int8: column.storeBytes(of: w.storage.load(fromByteOffset: index, as: Int8.self), toByteOffset: k, as: Int8.self)
        case .int4:
            let q = UInt32(UInt8(bitPattern: Quantizer.nibble(w.storage, row: row, column: n, columns: w.columns)) & 0x0f)
            let offset = (k % 8) * 4
            let chunk = UInt32(k / 8)
            let old = column.load(fromByteOffset: offset, as: UInt32.self)
            column.storeBytes(of: old | q << (4 * chunk), toByteOffset: offset, as: UInt32.self)
        }
    }
}

extension GEMVWeights {
    /// The vector loops' description of `columns` (whole tiles) against `m` rows of x (kp apart,
    /// zero-padded), outputs into `output` (m x N).
    func arguments(m: Int, columns: Range<Int>, mb: Int, x: UnsafePointer<Float>, prefetchBytes: Int,
                   output: UnsafeMutablePointer<Float>) -> ckf_gemv_args {
        ckf_gemv_args(
            m: m, n: source.columns, first_column: columns.lowerBound, end_column: columns.upperBound, mb: mb, nb: tileColumns,
            tiled_columns: tiledColumns, column_bytes: columnBytes, kp: kp, k_end: (source.rows + 15) / 16 * 16,
            // Per-channel scales (group 0) are one group spanning the padded K.
            group_size: source.scales == nil || source.group == 0 ? kp : source.groupSize,
            x: x, weights: storage, unit_shift: unitShift, unit_bytes: unitBytes, prefetch_bytes: prefetchBytes,
            scales: source.scales.map { UnsafePointer($0) }, y: output
        )
    }
}
