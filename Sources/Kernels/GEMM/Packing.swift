// Packing copies operand blocks into the layout the micro-kernels stream: A in panels of MR
// rows (MR values per k), B in panels of NR columns (NR values per k), zero-padded at the
// edges. Reduced-precision weights are converted to fp32 here, once per block, so the
// micro-kernels stay fp32.

/// Packs rows `rows` x columns `k0 ..< k0 + kc` of A (element (i, p) at
/// a[i * strides.row + p * strides.k]) into MR-row panels.
func packA(_ a: UnsafePointer<Float>, strides: (row: Int, k: Int), rows: Range<Int>, k0: Int, kc: Int, mr: Int, into out: UnsafeMutablePointer<Float>) {
    let panels = (rows.count + mr - 1) / mr
    for panel in 0..<panels {
        let base = out + panel * kc * mr
        let first = rows.lowerBound + panel * mr
        let height = min(mr, rows.upperBound - first)
        if height < mr { base.initialize(repeating: 0, count: kc * mr) }
        // k outer: the panel is written sequentially while MR row streams are read.
        for k in 0..<kc {
            let source = a + first * strides.row + (k0 + k) * strides.k
            for r in 0..<height { base[k * mr + r] = source[r * strides.row] }
        }
    }
}

/// Packs rows `k0 ..< k0 + kc`, columns `n0 ..< n0 + nc` of the weights into NR-column
/// panels of fp32, dequantizing on the way.
func packB(_ w: WeightMatrix, k0: Int, kc: Int, n0: Int, nc: Int, nr: Int, into out: UnsafeMutablePointer<Float>) {
    let columns = w.columns
    switch w.precision {
    case .fp32:
        let base = w.storage.assumingMemoryBound(to: Float.self)
        packPanels(w, k0: k0, kc: kc, n0: n0, nc: nc, nr: nr, into: out) { k, n in
            UnsafeRawPointer(base + k * columns + n).loadUnaligned(as: SIMD8<Float>.self)
        }
    case .fp16:
        let base = w.storage.assumingMemoryBound(to: Float16.self)
        packPanels(w, k0: k0, kc: kc, n0: n0, nc: nc, nr: nr, into: out) { k, n in
            SIMD8<Float>(UnsafeRawPointer(base + k * columns + n).loadUnaligned(as: SIMD8<Float16>.self))
        }
    case .bf16:
        let base = w.storage.assumingMemoryBound(to: UInt16.self)
        packPanels(w, k0: k0, kc: kc, n0: n0, nc: nc, nr: nr, into: out) { k, n in
            let raw = UnsafeRawPointer(base + k * columns + n).loadUnaligned(as: SIMD8<UInt16>.self)
            return unsafeBitCast(SIMD8<UInt32>(truncatingIfNeeded: raw) &<< 16, to: SIMD8<Float>.self)
        }
    case .int8:
        let base = w.storage.assumingMemoryBound(to: Int8.self)
        let scales = w.scales!, groupSize = w.groupSize
        packPanels(w, k0: k0, kc: kc, n0: n0, nc: nc, nr: nr, into: out) { k, n in
            let q = SIMD8<Float>(UnsafeRawPointer(base + k * columns + n).loadUnaligned(as: SIMD8<Int8>.self))
            return q * UnsafeRawPointer(scales + (k / groupSize) * columns + n).loadUnaligned(as: SIMD8<Float>.self)
        }
    case .int4:
        let base = w.storage.assumingMemoryBound(to: UInt8.self)
        let scales = w.scales!, groupSize = w.groupSize
        packPanels(w, k0: k0, kc: kc, n0: n0, nc: nc, nr: nr, into: out) { k, n in
            let bytes = SIMD8<Int32>(truncatingIfNeeded: UnsafeRawPointer(base + (k / 2) * columns + n).loadUnaligned(as: SIMD8<UInt8>.self))
            let q = k % 2 == 0 ? (bytes &<< 28) &>> 28 : (bytes &<< 24) &>> 28
            return SIMD8<Float>(q) * UnsafeRawPointer(scales + (k / groupSize) * columns + n).loadUnaligned(as: SIMD8<Float>.self)
        }
    }
}

/// The panel loop shared by every precision; `load(k, n)` returns weights (k, n ..< n + 8) as fp32.
/// Blocks of 16 rows at a time: within a block each panel is written sequentially while the
/// block's rows (read once from memory) stay in cache. Panel-by-panel over all rows strided
/// through memory; row-by-row over all panels wrote one line in each of hundreds of panels;
/// both measured slower.
@inline(__always)
private func packPanels(
    _ w: WeightMatrix, k0: Int, kc: Int, n0: Int, nc: Int, nr: Int, into out: UnsafeMutablePointer<Float>,
    _ load: (Int, Int) -> SIMD8<Float>
) {
    let fullPanels = nc / nr
    let block = 16
    for kb in stride(from: 0, to: kc, by: block) {
        let rows = kb..<min(kc, kb + block)
        for panel in 0..<fullPanels {
            let column = n0 + panel * nr
            for k in rows {
                let destination = out + (panel * kc + k) * nr
                for v in stride(from: 0, to: nr, by: 8) {
                    UnsafeMutableRawPointer(destination + v).storeBytes(of: load(k0 + k, column + v), as: SIMD8<Float>.self)
                }
            }
        }
    }
    let width = nc - fullPanels * nr
    guard width > 0 else { return }
    let column = n0 + fullPanels * nr
    let base = out + fullPanels * kc * nr
    for k in 0..<kc {
        for j in 0..<nr { base[k * nr + j] = j < width ? w.value(row: k0 + k, column: column + j) : 0 }
    }
}
