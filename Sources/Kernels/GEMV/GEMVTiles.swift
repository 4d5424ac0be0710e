import CKernelSupport

// Register tiles of the skinny GEMM / GEMV kernel (M <= 16, LLM decode): an MB x NB block of
// outputs, each output channel's weights contiguous along K (the layout of a Linear layer's
// [out, in] weight), x rows contiguous along K. Every k chunk of 8 loads MB x-vectors and NB
// weight vectors and does MB x NB FMAs, two chunks (16 k) per step; per quantization group
// the partial sums are scaled once. `load(unit, k)` turns the 16 stored weights from k (within
// the unit at `unit`) of a column, in any precision, into two fp32 vectors; the tiles are always inlined into a
// caller that passes a concrete loader, so each precision gets its own specialized loop.

/// The arguments every tile takes.
struct GEMVTileArguments {
    /// The row stride of x: K padded to a multiple of 64 (weights and x are zero-padded).
    var kp: Int
    /// How far the loop runs: K rounded up to 16. Not kp: a quantization group starting in the
    /// padding would read a scale row that does not exist.
    var kEnd: Int
    /// Quantization group along K (kp when there is one group).
    var groupSize: Int
    /// x rows of this tile: row r at x + r * kp.
    var x: UnsafePointer<Float>
    /// The tile's weights, interleaved: unit u (of 2^unitShift k) of column j at
    /// weights + (u * tileColumns + j) * unitBytes, so the tile reads one sequential stream.
    var weights: UnsafeRawPointer
    var unitShift: Int
    var unitBytes: Int
    var tileColumns: Int
    /// Software prefetch distance in bytes along the tile's stream (0: none).
    var prefetchBytes: Int
    /// Scales of this tile's first column for group 0; group g at + g * scaleStride. Nil: unquantized.
    var scales: UnsafePointer<Float>?
    var scaleStride: Int
    /// Outputs: y[r * ldy + j].
    var y: UnsafeMutablePointer<Float>
    var ldy: Int
}


@inline(__always)
func gemvTile1x1(_ t: GEMVTileArguments, _ load: (UnsafeRawPointer, Int) -> (SIMD8<Float>, SIMD8<Float>)) {
    var t0_0 = SIMD8<Float>()
    let unitMask = (1 << t.unitShift) - 1
    var k0 = 0
    while k0 < t.kEnd {
        let k1 = min(t.kEnd, k0 + t.groupSize)
        var p0_0 = SIMD8<Float>()
        var k = k0
        while k < k1 {
            let unit = t.weights + (k >> t.unitShift) * t.tileColumns * t.unitBytes
            if t.prefetchBytes > 0 { cprefetch_read(unit + t.prefetchBytes) }
            let x0 = UnsafeRawPointer(t.x + 0 * t.kp + k).loadUnaligned(as: SIMD8<Float>.self)
            let y0 = UnsafeRawPointer(t.x + 0 * t.kp + k + 8).loadUnaligned(as: SIMD8<Float>.self)
            let (w0, v0) = load(unit + 0 * t.unitBytes, k & unitMask)
            p0_0 = p0_0.addingProduct(x0, w0).addingProduct(y0, v0)
            k += 16
        }
        if let scales = t.scales {
            let s = scales + (k0 / t.groupSize) * t.scaleStride
            let s0 = SIMD8<Float>(repeating: s[0])
            t0_0 = t0_0.addingProduct(p0_0, s0)
        } else {
            t0_0 += p0_0
        }
        k0 = k1
    }
    t.y[0 * t.ldy + 0] = t0_0.sum()
}

@inline(__always)
func gemvTile1x2(_ t: GEMVTileArguments, _ load: (UnsafeRawPointer, Int) -> (SIMD8<Float>, SIMD8<Float>)) {
    var t0_0 = SIMD8<Float>(), t0_1 = SIMD8<Float>()
    let unitMask = (1 << t.unitShift) - 1
    var k0 = 0
    while k0 < t.kEnd {
        let k1 = min(t.kEnd, k0 + t.groupSize)
        var p0_0 = SIMD8<Float>(), p0_1 = SIMD8<Float>()
        var k = k0
        while k < k1 {
            let unit = t.weights + (k >> t.unitShift) * t.tileColumns * t.unitBytes
            if t.prefetchBytes > 0 { cprefetch_read(unit + t.prefetchBytes) }
            let x0 = UnsafeRawPointer(t.x + 0 * t.kp + k).loadUnaligned(as: SIMD8<Float>.self)
            let y0 = UnsafeRawPointer(t.x + 0 * t.kp + k + 8).loadUnaligned(as: SIMD8<Float>.self)
            let (w0, v0) = load(unit + 0 * t.unitBytes, k & unitMask)
            p0_0 = p0_0.addingProduct(x0, w0).addingProduct(y0, v0)
            let (w1, v1) = load(unit + 1 * t.unitBytes, k & unitMask)
            p0_1 = p0_1.addingProduct(x0, w1).addingProduct(y0, v1)
            k += 16
        }
        if let scales = t.scales {
            let s = scales + (k0 / t.groupSize) * t.scaleStride
            let s0 = SIMD8<Float>(repeating: s[0])
            t0_0 = t0_0.addingProduct(p0_0, s0)
            let s1 = SIMD8<Float>(repeating: s[1])
            t0_1 = t0_1.addingProduct(p0_1, s1)
        } else {
            t0_0 += p0_0; t0_1 += p0_1
        }
        k0 = k1
    }
    t.y[0 * t.ldy + 0] = t0_0.sum(); t.y[0 * t.ldy + 1] = t0_1.sum()
}

@inline(__always)
func gemvTile1x4(_ t: GEMVTileArguments, _ load: (UnsafeRawPointer, Int) -> (SIMD8<Float>, SIMD8<Float>)) {
    var t0_0 = SIMD8<Float>(), t0_1 = SIMD8<Float>(), t0_2 = SIMD8<Float>(), t0_3 = SIMD8<Float>()
    let unitMask = (1 << t.unitShift) - 1
    var k0 = 0
    while k0 < t.kEnd {
        let k1 = min(t.kEnd, k0 + t.groupSize)
        var p0_0 = SIMD8<Float>(), p0_1 = SIMD8<Float>(), p0_2 = SIMD8<Float>(), p0_3 = SIMD8<Float>()
        var k = k0
        while k < k1 {
            let unit = t.weights + (k >> t.unitShift) * t.tileColumns * t.unitBytes
            if t.prefetchBytes > 0 { cprefetch_read(unit + t.prefetchBytes) }
            let x0 = UnsafeRawPointer(t.x + 0 * t.kp + k).loadUnaligned(as: SIMD8<Float>.self)
            let y0 = UnsafeRawPointer(t.x + 0 * t.kp + k + 8).loadUnaligned(as: SIMD8<Float>.self)
            let (w0, v0) = load(unit + 0 * t.unitBytes, k & unitMask)
            p0_0 = p0_0.addingProduct(x0, w0).addingProduct(y0, v0)
            let (w1, v1) = load(unit + 1 * t.unitBytes, k & unitMask)
            p0_1 = p0_1.addingProduct(x0, w1).addingProduct(y0, v1)
            let (w2, v2) = load(unit + 2 * t.unitBytes, k & unitMask)
            p0_2 = p0_2.addingProduct(x0, w2).addingProduct(y0, v2)
            let (w3, v3) = load(unit + 3 * t.unitBytes, k & unitMask)
            p0_3 = p0_3.addingProduct(x0, w3).addingProduct(y0, v3)
            k += 16
        }
        if let scales = t.scales {
            let s = scales + (k0 / t.groupSize) * t.scaleStride
            let s0 = SIMD8<Float>(repeating: s[0])
            t0_0 = t0_0.addingProduct(p0_0, s0)
            let s1 = SIMD8<Float>(repeating: s[1])
            t0_1 = t0_1.addingProduct(p0_1, s1)
            let s2 = SIMD8<Float>(repeating: s[2])
            t0_2 = t0_2.addingProduct(p0_2, s2)
            let s3 = SIMD8<Float>(repeating: s[3])
            t0_3 = t0_3.addingProduct(p0_3, s3)
        } else {
            t0_0 += p0_0; t0_1 += p0_1; t0_2 += p0_2; t0_3 += p0_3
        }
        k0 = k1
    }
    t.y[0 * t.ldy + 0] = t0_0.sum(); t.y[0 * t.ldy + 1] = t0_1.sum(); t.y[0 * t.ldy + 2] = t0_2.sum(); t.y[0 * t.ldy + 3] = t0_3.sum()
}

@inline(__always)
func gemvTile1x8(_ t: GEMVTileArguments, _ load: (UnsafeRawPointer, Int) -> (SIMD8<Float>, SIMD8<Float>)) {
    var t0_0 = SIMD8<Float>(), t0_1 = SIMD8<Float>(), t0_2 = SIMD8<Float>(), t0_3 = SIMD8<Float>(), t0_4 = SIMD8<Float>(), t0_5 = SIMD8<Float>(), t0_6 = SIMD8<Float>(), t0_7 = SIMD8<Float>()
    let unitMask = (1 << t.unitShift) - 1
    var k0 = 0
    while k0 < t.kEnd {
        let k1 = min(t.kEnd, k0 + t.groupSize)
        var p0_0 = SIMD8<Float>(), p0_1 = SIMD8<Float>(), p0_2 = SIMD8<Float>(), p0_3 = SIMD8<Float>(), p0_4 = SIMD8<Float>(), p0_5 = SIMD8<Float>(), p0_6 = SIMD8<Float>(), p0_7 = SIMD8<Float>()
        var k = k0
        while k < k1 {
            let unit = t.weights + (k >> t.unitShift) * t.tileColumns * t.unitBytes
            if t.prefetchBytes > 0 { cprefetch_read(unit + t.prefetchBytes) }
            let x0 = UnsafeRawPointer(t.x + 0 * t.kp + k).loadUnaligned(as: SIMD8<Float>.self)
            let y0 = UnsafeRawPointer(t.x + 0 * t.kp + k + 8).loadUnaligned(as: SIMD8<Float>.self)
            let (w0, v0) = load(unit + 0 * t.unitBytes, k & unitMask)
            p0_0 = p0_0.addingProduct(x0, w0).addingProduct(y0, v0)
            let (w1, v1) = load(unit + 1 * t.unitBytes, k & unitMask)
            p0_1 = p0_1.addingProduct(x0, w1).addingProduct(y0, v1)
            let (w2, v2) = load(unit + 2 * t.unitBytes, k & unitMask)
            p0_2 = p0_2.addingProduct(x0, w2).addingProduct(y0, v2)
            let (w3, v3) = load(unit + 3 * t.unitBytes, k & unitMask)
            p0_3 = p0_3.addingProduct(x0, w3).addingProduct(y0, v3)
            let (w4, v4) = load(unit + 4 * t.unitBytes, k & unitMask)
            p0_4 = p0_4.addingProduct(x0, w4).addingProduct(y0, v4)
            let (w5, v5) = load(unit + 5 * t.unitBytes, k & unitMask)
            p0_5 = p0_5.addingProduct(x0, w5).addingProduct(y0, v5)
            let (w6, v6) = load(unit + 6 * t.unitBytes, k & unitMask)
            p0_6 = p0_6.addingProduct(x0, w6).addingProduct(y0, v6)
            let (w7, v7) = load(unit + 7 * t.unitBytes, k & unitMask)
            p0_7 = p0_7.addingProduct(x0, w7).addingProduct(y0, v7)
            k += 16
        }
        if let scales = t.scales {
            let s = scales + (k0 / t.groupSize) * t.scaleStride
            let s0 = SIMD8<Float>(repeating: s[0])
            t0_0 = t0_0.addingProduct(p0_0, s0)
            let s1 = SIMD8<Float>(repeating: s[1])
            t0_1 = t0_1.addingProduct(p0_1, s1)
            let s2 = SIMD8<Float>(repeating: s[2])
            t0_2 = t0_2.addingProduct(p0_2, s2)
            let s3 = SIMD8<Float>(repeating: s[3])
            t0_3 = t0_3.addingProduct(p0_3, s3)
            let s4 = SIMD8<Float>(repeating: s[4])
            t0_4 = t0_4.addingProduct(p0_4, s4)
            let s5 = SIMD8<Float>(repeating: s[5])
            t0_5 = t0_5.addingProduct(p0_5, s5)
            let s6 = SIMD8<Float>(repeating: s[6])
            t0_6 = t0_6.addingProduct(p0_6, s6)
            let s7 = SIMD8<Float>(repeating: s[7])
            t0_7 = t0_7.addingProduct(p0_7, s7)
        } else {
            t0_0 += p0_0; t0_1 += p0_1; t0_2 += p0_2; t0_3 += p0_3; t0_4 += p0_4; t0_5 += p0_5; t0_6 += p0_6; t0_7 += p0_7
        }
        k0 = k1
    }
    t.y[0 * t.ldy + 0] = t0_0.sum(); t.y[0 * t.ldy + 1] = t0_1.sum(); t.y[0 * t.ldy + 2] = t0_2.sum(); t.y[0 * t.ldy + 3] = t0_3.sum(); t.y[0 * t.ldy + 4] = t0_4.sum(); t.y[0 * t.ldy + 5] = t0_5.sum(); t.y[0 * t.ldy + 6] = t0_6.sum(); t.y[0 * t.ldy + 7] = t0_7.sum()
}

@inline(__always)
func gemvTile2x2(_ t: GEMVTileArguments, _ load: (UnsafeRawPointer, Int) -> (SIMD8<Float>, SIMD8<Float>)) {
    var t0_0 = SIMD8<Float>(), t0_1 = SIMD8<Float>(), t1_0 = SIMD8<Float>(), t1_1 = SIMD8<Float>()
    let unitMask = (1 << t.unitShift) - 1
    var k0 = 0
    while k0 < t.kEnd {
        let k1 = min(t.kEnd, k0 + t.groupSize)
        var p0_0 = SIMD8<Float>(), p0_1 = SIMD8<Float>(), p1_0 = SIMD8<Float>(), p1_1 = SIMD8<Float>()
        var k = k0
        while k < k1 {
            let unit = t.weights + (k >> t.unitShift) * t.tileColumns * t.unitBytes
            if t.prefetchBytes > 0 { cprefetch_read(unit + t.prefetchBytes) }
            let x0 = UnsafeRawPointer(t.x + 0 * t.kp + k).loadUnaligned(as: SIMD8<Float>.self)
            let y0 = UnsafeRawPointer(t.x + 0 * t.kp + k + 8).loadUnaligned(as: SIMD8<Float>.self)
            let x1 = UnsafeRawPointer(t.x + 1 * t.kp + k).loadUnaligned(as: SIMD8<Float>.self)
            let y1 = UnsafeRawPointer(t.x + 1 * t.kp + k + 8).loadUnaligned(as: SIMD8<Float>.self)
            let (w0, v0) = load(unit + 0 * t.unitBytes, k & unitMask)
            p0_0 = p0_0.addingProduct(x0, w0).addingProduct(y0, v0); p1_0 = p1_0.addingProduct(x1, w0).addingProduct(y1, v0)
            let (w1, v1) = load(unit + 1 * t.unitBytes, k & unitMask)
            p0_1 = p0_1.addingProduct(x0, w1).addingProduct(y0, v1); p1_1 = p1_1.addingProduct(x1, w1).addingProduct(y1, v1)
            k += 16
        }
        if let scales = t.scales {
            let s = scales + (k0 / t.groupSize) * t.scaleStride
            let s0 = SIMD8<Float>(repeating: s[0])
            t0_0 = t0_0.addingProduct(p0_0, s0); t1_0 = t1_0.addingProduct(p1_0, s0)
            let s1 = SIMD8<Float>(repeating: s[1])
            t0_1 = t0_1.addingProduct(p0_1, s1); t1_1 = t1_1.addingProduct(p1_1, s1)
        } else {
            t0_0 += p0_0; t0_1 += p0_1; t1_0 += p1_0; t1_1 += p1_1
        }
        k0 = k1
    }
    t.y[0 * t.ldy + 0] = t0_0.sum(); t.y[0 * t.ldy + 1] = t0_1.sum()
    t.y[1 * t.ldy + 0] = t1_0.sum(); t.y[1 * t.ldy + 1] = t1_1.sum()
}

@inline(__always)
func gemvTile2x4(_ t: GEMVTileArguments, _ load: (UnsafeRawPointer, Int) -> (SIMD8<Float>, SIMD8<Float>)) {
    var t0_0 = SIMD8<Float>(), t0_1 = SIMD8<Float>(), t0_2 = SIMD8<Float>(), t0_3 = SIMD8<Float>(), t1_0 = SIMD8<Float>(), t1_1 = SIMD8<Float>(), t1_2 = SIMD8<Float>(), t1_3 = SIMD8<Float>()
    let unitMask = (1 << t.unitShift) - 1
    var k0 = 0
    while k0 < t.kEnd {
        let k1 = min(t.kEnd, k0 + t.groupSize)
        var p0_0 = SIMD8<Float>(), p0_1 = SIMD8<Float>(), p0_2 = SIMD8<Float>(), p0_3 = SIMD8<Float>(), p1_0 = SIMD8<Float>(), p1_1 = SIMD8<Float>(), p1_2 = SIMD8<Float>(), p1_3 = SIMD8<Float>()
        var k = k0
        while k < k1 {
            let unit = t.weights + (k >> t.unitShift) * t.tileColumns * t.unitBytes
            if t.prefetchBytes > 0 { cprefetch_read(unit + t.prefetchBytes) }
            let x0 = UnsafeRawPointer(t.x + 0 * t.kp + k).loadUnaligned(as: SIMD8<Float>.self)
            let y0 = UnsafeRawPointer(t.x + 0 * t.kp + k + 8).loadUnaligned(as: SIMD8<Float>.self)
            let x1 = UnsafeRawPointer(t.x + 1 * t.kp + k).loadUnaligned(as: SIMD8<Float>.self)
            let y1 = UnsafeRawPointer(t.x + 1 * t.kp + k + 8).loadUnaligned(as: SIMD8<Float>.self)
            let (w0, v0) = load(unit + 0 * t.unitBytes, k & unitMask)
            p0_0 = p0_0.addingProduct(x0, w0).addingProduct(y0, v0); p1_0 = p1_0.addingProduct(x1, w0).addingProduct(y1, v0)
            let (w1, v1) = load(unit + 1 * t.unitBytes, k & unitMask)
            p0_1 = p0_1.addingProduct(x0, w1).addingProduct(y0, v1); p1_1 = p1_1.addingProduct(x1, w1).addingProduct(y1, v1)
            let (w2, v2) = load(unit + 2 * t.unitBytes, k & unitMask)
            p0_2 = p0_2.addingProduct(x0, w2).addingProduct(y0, v2); p1_2 = p1_2.addingProduct(x1, w2).addingProduct(y1, v2)
            let (w3, v3) = load(unit + 3 * t.unitBytes, k & unitMask)
            p0_3 = p0_3.addingProduct(x0, w3).addingProduct(y0, v3); p1_3 = p1_3.addingProduct(x1, w3).addingProduct(y1, v3)
            k += 16
        }
        if let scales = t.scales {
            let s = scales + (k0 / t.groupSize) * t.scaleStride
            let s0 = SIMD8<Float>(repeating: s[0])
            t0_0 = t0_0.addingProduct(p0_0, s0); t1_0 = t1_0.addingProduct(p1_0, s0)
            let s1 = SIMD8<Float>(repeating: s[1])
            t0_1 = t0_1.addingProduct(p0_1, s1); t1_1 = t1_1.addingProduct(p1_1, s1)
            let s2 = SIMD8<Float>(repeating: s[2])
            t0_2 = t0_2.addingProduct(p0_2, s2); t1_2 = t1_2.addingProduct(p1_2, s2)
            let s3 = SIMD8<Float>(repeating: s[3])
            t0_3 = t0_3.addingProduct(p0_3, s3); t1_3 = t1_3.addingProduct(p1_3, s3)
        } else {
            t0_0 += p0_0; t0_1 += p0_1; t0_2 += p0_2; t0_3 += p0_3; t1_0 += p1_0; t1_1 += p1_1; t1_2 += p1_2; t1_3 += p1_3
        }
        k0 = k1
    }
    t.y[0 * t.ldy + 0] = t0_0.sum(); t.y[0 * t.ldy + 1] = t0_1.sum(); t.y[0 * t.ldy + 2] = t0_2.sum(); t.y[0 * t.ldy + 3] = t0_3.sum()
    t.y[1 * t.ldy + 0] = t1_0.sum(); t.y[1 * t.ldy + 1] = t1_1.sum(); t.y[1 * t.ldy + 2] = t1_2.sum(); t.y[1 * t.ldy + 3] = t1_3.sum()
}

@inline(__always)
func gemvTile4x1(_ t: GEMVTileArguments, _ load: (UnsafeRawPointer, Int) -> (SIMD8<Float>, SIMD8<Float>)) {
    var t0_0 = SIMD8<Float>(), t1_0 = SIMD8<Float>(), t2_0 = SIMD8<Float>(), t3_0 = SIMD8<Float>()
    let unitMask = (1 << t.unitShift) - 1
    var k0 = 0
    while k0 < t.kEnd {
        let k1 = min(t.kEnd, k0 + t.groupSize)
        var p0_0 = SIMD8<Float>(), p1_0 = SIMD8<Float>(), p2_0 = SIMD8<Float>(), p3_0 = SIMD8<Float>()
        var k = k0
        while k < k1 {
            let unit = t.weights + (k >> t.unitShift) * t.tileColumns * t.unitBytes
            if t.prefetchBytes > 0 { cprefetch_read(unit + t.prefetchBytes) }
            let x0 = UnsafeRawPointer(t.x + 0 * t.kp + k).loadUnaligned(as: SIMD8<Float>.self)
            let y0 = UnsafeRawPointer(t.x + 0 * t.kp + k + 8).loadUnaligned(as: SIMD8<Float>.self)
            let x1 = UnsafeRawPointer(t.x + 1 * t.kp + k).loadUnaligned(as: SIMD8<Float>.self)
            let y1 = UnsafeRawPointer(t.x + 1 * t.kp + k + 8).loadUnaligned(as: SIMD8<Float>.self)
            let x2 = UnsafeRawPointer(t.x + 2 * t.kp + k).loadUnaligned(as: SIMD8<Float>.self)
            let y2 = UnsafeRawPointer(t.x + 2 * t.kp + k + 8).loadUnaligned(as: SIMD8<Float>.self)
            let x3 = UnsafeRawPointer(t.x + 3 * t.kp + k).loadUnaligned(as: SIMD8<Float>.self)
            let y3 = UnsafeRawPointer(t.x + 3 * t.kp + k + 8).loadUnaligned(as: SIMD8<Float>.self)
            let (w0, v0) = load(unit + 0 * t.unitBytes, k & unitMask)
            p0_0 = p0_0.addingProduct(x0, w0).addingProduct(y0, v0); p1_0 = p1_0.addingProduct(x1, w0).addingProduct(y1, v0); p2_0 = p2_0.addingProduct(x2, w0).addingProduct(y2, v0); p3_0 = p3_0.addingProduct(x3, w0).addingProduct(y3, v0)
            k += 16
        }
        if let scales = t.scales {
            let s = scales + (k0 / t.groupSize) * t.scaleStride
            let s0 = SIMD8<Float>(repeating: s[0])
            t0_0 = t0_0.addingProduct(p0_0, s0); t1_0 = t1_0.addingProduct(p1_0, s0); t2_0 = t2_0.addingProduct(p2_0, s0); t3_0 = t3_0.addingProduct(p3_0, s0)
        } else {
            t0_0 += p0_0; t1_0 += p1_0; t2_0 += p2_0; t3_0 += p3_0
        }
        k0 = k1
    }
    t.y[0 * t.ldy + 0] = t0_0.sum()
    t.y[1 * t.ldy + 0] = t1_0.sum()
    t.y[2 * t.ldy + 0] = t2_0.sum()
    t.y[3 * t.ldy + 0] = t3_0.sum()
}

@inline(__always)
func gemvTile4x2(_ t: GEMVTileArguments, _ load: (UnsafeRawPointer, Int) -> (SIMD8<Float>, SIMD8<Float>)) {
    var t0_0 = SIMD8<Float>(), t0_1 = SIMD8<Float>(), t1_0 = SIMD8<Float>(), t1_1 = SIMD8<Float>(), t2_0 = SIMD8<Float>(), t2_1 = SIMD8<Float>(), t3_0 = SIMD8<Float>(), t3_1 = SIMD8<Float>()
    let unitMask = (1 << t.unitShift) - 1
    var k0 = 0
    while k0 < t.kEnd {
        let k1 = min(t.kEnd, k0 + t.groupSize)
        var p0_0 = SIMD8<Float>(), p0_1 = SIMD8<Float>(), p1_0 = SIMD8<Float>(), p1_1 = SIMD8<Float>(), p2_0 = SIMD8<Float>(), p2_1 = SIMD8<Float>(), p3_0 = SIMD8<Float>(), p3_1 = SIMD8<Float>()
        var k = k0
        while k < k1 {
            let unit = t.weights + (k >> t.unitShift) * t.tileColumns * t.unitBytes
            if t.prefetchBytes > 0 { cprefetch_read(unit + t.prefetchBytes) }
            let x0 = UnsafeRawPointer(t.x + 0 * t.kp + k).loadUnaligned(as: SIMD8<Float>.self)
            let y0 = UnsafeRawPointer(t.x + 0 * t.kp + k + 8).loadUnaligned(as: SIMD8<Float>.self)
            let x1 = UnsafeRawPointer(t.x + 1 * t.kp + k).loadUnaligned(as: SIMD8<Float>.self)
            let y1 = UnsafeRawPointer(t.x + 1 * t.kp + k + 8).loadUnaligned(as: SIMD8<Float>.self)
            let x2 = UnsafeRawPointer(t.x + 2 * t.kp + k).loadUnaligned(as: SIMD8<Float>.self)
            let y2 = UnsafeRawPointer(t.x + 2 * t.kp + k + 8).loadUnaligned(as: SIMD8<Float>.self)
            let x3 = UnsafeRawPointer(t.x + 3 * t.kp + k).loadUnaligned(as: SIMD8<Float>.self)
            let y3 = UnsafeRawPointer(t.x + 3 * t.kp + k + 8).loadUnaligned(as: SIMD8<Float>.self)
            let (w0, v0) = load(unit + 0 * t.unitBytes, k & unitMask)
            p0_0 = p0_0.addingProduct(x0, w0).addingProduct(y0, v0); p1_0 = p1_0.addingProduct(x1, w0).addingProduct(y1, v0); p2_0 = p2_0.addingProduct(x2, w0).addingProduct(y2, v0); p3_0 = p3_0.addingProduct(x3, w0).addingProduct(y3, v0)
            let (w1, v1) = load(unit + 1 * t.unitBytes, k & unitMask)
            p0_1 = p0_1.addingProduct(x0, w1).addingProduct(y0, v1); p1_1 = p1_1.addingProduct(x1, w1).addingProduct(y1, v1); p2_1 = p2_1.addingProduct(x2, w1).addingProduct(y2, v1); p3_1 = p3_1.addingProduct(x3, w1).addingProduct(y3, v1)
            k += 16
        }
        if let scales = t.scales {
            let s = scales + (k0 / t.groupSize) * t.scaleStride
            let s0 = SIMD8<Float>(repeating: s[0])
            t0_0 = t0_0.addingProduct(p0_0, s0); t1_0 = t1_0.addingProduct(p1_0, s0); t2_0 = t2_0.addingProduct(p2_0, s0); t3_0 = t3_0.addingProduct(p3_0, s0)
            let s1 = SIMD8<Float>(repeating: s[1])
            t0_1 = t0_1.addingProduct(p0_1, s1); t1_1 = t1_1.addingProduct(p1_1, s1); t2_1 = t2_1.addingProduct(p2_1, s1); t3_1 = t3_1.addingProduct(p3_1, s1)
        } else {
            t0_0 += p0_0; t0_1 += p0_1; t1_0 += p1_0; t1_1 += p1_1; t2_0 += p2_0; t2_1 += p2_1; t3_0 += p3_0; t3_1 += p3_1
        }
        k0 = k1
    }
    t.y[0 * t.ldy + 0] = t0_0.sum(); t.y[0 * t.ldy + 1] = t0_1.sum()
    t.y[1 * t.ldy + 0] = t1_0.sum(); t.y[1 * t.ldy + 1] = t1_1.sum()
    t.y[2 * t.ldy + 0] = t2_0.sum(); t.y[2 * t.ldy + 1] = t2_1.sum()
    t.y[3 * t.ldy + 0] = t3_0.sum(); t.y[3 * t.ldy + 1] = t3_1.sum()
}

/// Runs the (mb, nb) tile with `load`; inlined into each precision's caller.
@inline(__always)
func gemvTile(mb: Int, nb: Int, _ t: GEMVTileArguments, _ load: (UnsafeRawPointer, Int) -> (SIMD8<Float>, SIMD8<Float>)) {
    switch (mb, nb) {
    case (1, 1): gemvTile1x1(t, load)
    case (1, 2): gemvTile1x2(t, load)
    case (1, 4): gemvTile1x4(t, load)
    case (1, 8): gemvTile1x8(t, load)
    case (2, 2): gemvTile2x2(t, load)
    case (2, 4): gemvTile2x4(t, load)
    case (4, 1): gemvTile4x1(t, load)
    case (4, 2): gemvTile4x2(t, load)
    default: preconditionFailure("no GEMV tile \(mb)x\(nb)")
    }
}
