import CFloatKernels

// Packing copies operand blocks into the layout the micro-kernels stream: A in panels of MR
// rows (MR values per k), B in panels of NR columns (NR values per k), zero-padded at the
// edges. Reduced-precision weights are converted to fp32 here, once per block, so the
// micro-kernels stay fp32.

/// Packs rows `rows` x columns `k0 ..< k0 + kc` of A (element (i, p) at
/// a[i * strides.row + p * strides.k]) into MR-row panels, in the vector loops (`pack_a`).
func packA(_ a: UnsafePointer<Float>, strides: (row: Int, k: Int), rows: Range<Int>, k0: Int, kc: Int, mr: Int, into out: UnsafeMutablePointer<Float>) {
    VectorLoops.current.pack_a(a, strides.row, strides.k, rows.lowerBound, rows.count, k0, kc, mr, out)
}

/// Packs rows `k0 ..< k0 + kc`, columns `n0 ..< n0 + nc` of the weights into NR-column
/// panels of fp32, dequantizing on the way: the whole panels in the vector loops
/// (`pack_b_panels`), the last partial one here, zero-padded.
func packB(_ w: WeightMatrix, k0: Int, kc: Int, n0: Int, nc: Int, nr: Int, into out: UnsafeMutablePointer<Float>) {
    let fullPanels = nc / nr
    var view = ckf_weight_view(storage: w.storage, columns: w.columns, precision: w.precision.weightsCode, scales: w.scales, group_size: w.groupSize)
    VectorLoops.current.pack_b_panels(&view, k0, kc, n0, fullPanels, nr, out)
    let width = nc - fullPanels * nr
    guard width > 0 else { return }
    let column = n0 + fullPanels * nr
    let base = out + fullPanels * kc * nr
    for k in 0..<kc {
        for j in 0..<nr { base[k * nr + j] = j < width ? w.value(row: k0 + k, column: column + j) : 0 }
    }
}
