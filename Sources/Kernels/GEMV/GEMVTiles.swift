// Register tiles of the skinny GEMM / GEMV kernel (M <= 16, LLM decode): an MB x NB block of
// outputs, each output channel's weights contiguous along K (the layout of a Linear layer's
// [out, in] weight), x rows contiguous along K. Every k chunk of 8 loads MB x-vectors and NB
// weight vectors and does MB x NB FMAs; per quantization group the partial sums are scaled
// once. `load(column, k)` turns 8 stored weights of any precision into fp32; the tiles are
// always inlined into a caller that passes a concrete loader, so each precision gets its own
// specialized loop.

/// The arguments every tile takes.
struct GEMVTileArguments {
    /// K padded to a multiple of 16 (weights and x are zero-padded).
    var kp: Int
    /// Quantization group along K (kp when there is one group).
    var groupSize: Int
    /// x rows of this tile: row r at x + r * kp.
    var x: UnsafePointer<Float>
    /// The first column's weights; column j at weights + j * columnBytes.
    var weights: UnsafeRawPointer
    var columnBytes: Int
    /// Scales of this tile's first column for group 0; group g at + g * scaleStride. Nil: unquantized.
    var scales: UnsafePointer<Float>?
    var scaleStride: Int
    /// Outputs: y[r * ldy + j].
    var y: UnsafeMutablePointer<Float>
    var ldy: Int
}


@inline(__always)
func gemvTile1x1(_ t: GEMVTileArguments, _ load: (UnsafeRawPointer, Int) -> SIMD8<Float>) {
    var t0_0 = SIMD8<Float>()
    var k0 = 0
    while k0 < t.kp {
        let k1 = min(t.kp, k0 + t.groupSize)
        var p0_0 = SIMD8<Float>()
        var k = k0
        while k < k1 {
            let x0 = UnsafeRawPointer(t.x + 0 * t.kp + k).loadUnaligned(as: SIMD8<Float>.self)
            let w0 = load(t.weights + 0 * t.columnBytes, k)
            p0_0 = p0_0.addingProduct(x0, w0)
            k += 8
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
func gemvTile1x2(_ t: GEMVTileArguments, _ load: (UnsafeRawPointer, Int) -> SIMD8<Float>) {
    var t0_0 = SIMD8<Float>(), t0_1 = SIMD8<Float>()
    var k0 = 0
    while k0 < t.kp {
        let k1 = min(t.kp, k0 + t.groupSize)
        var p0_0 = SIMD8<Float>(), p0_1 = SIMD8<Float>()
        var k = k0
        while k < k1 {
            let x0 = UnsafeRawPointer(t.x + 0 * t.kp + k).loadUnaligned(as: SIMD8<Float>.self)
            let w0 = load(t.weights + 0 * t.columnBytes, k)
            p0_0 = p0_0.addingProduct(x0, w0)
            let w1 = load(t.weights + 1 * t.columnBytes, k)
            p0_1 = p0_1.addingProduct(x0, w1)
            k += 8
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
func gemvTile1x4(_ t: GEMVTileArguments, _ load: (UnsafeRawPointer, Int) -> SIMD8<Float>) {
    var t0_0 = SIMD8<Float>(), t0_1 = SIMD8<Float>(), t0_2 = SIMD8<Float>(), t0_3 = SIMD8<Float>()
    var k0 = 0
    while k0 < t.kp {
        let k1 = min(t.kp, k0 + t.groupSize)
        var p0_0 = SIMD8<Float>(), p0_1 = SIMD8<Float>(), p0_2 = SIMD8<Float>(), p0_3 = SIMD8<Float>()
        var k = k0
        while k < k1 {
            let x0 = UnsafeRawPointer(t.x + 0 * t.kp + k).loadUnaligned(as: SIMD8<Float>.self)
            let w0 = load(t.weights + 0 * t.columnBytes, k)
            p0_0 = p0_0.addingProduct(x0, w0)
            let w1 = load(t.weights + 1 * t.columnBytes, k)
            p0_1 = p0_1.addingProduct(x0, w1)
            let w2 = load(t.weights + 2 * t.columnBytes, k)
            p0_2 = p0_2.addingProduct(x0, w2)
            let w3 = load(t.weights + 3 * t.columnBytes, k)
            p0_3 = p0_3.addingProduct(x0, w3)
            k += 8
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
func gemvTile1x8(_ t: GEMVTileArguments, _ load: (UnsafeRawPointer, Int) -> SIMD8<Float>) {
    var t0_0 = SIMD8<Float>(), t0_1 = SIMD8<Float>(), t0_2 = SIMD8<Float>(), t0_3 = SIMD8<Float>(), t0_4 = SIMD8<Float>(), t0_5 = SIMD8<Float>(), t0_6 = SIMD8<Float>(), t0_7 = SIMD8<Float>()
    var k0 = 0
    while k0 < t.kp {
        let k1 = min(t.kp, k0 + t.groupSize)
        var p0_0 = SIMD8<Float>(), p0_1 = SIMD8<Float>(), p0_2 = SIMD8<Float>(), p0_3 = SIMD8<Float>(), p0_4 = SIMD8<Float>(), p0_5 = SIMD8<Float>(), p0_6 = SIMD8<Float>(), p0_7 = SIMD8<Float>()
        var k = k0
        while k < k1 {
            let x0 = UnsafeRawPointer(t.x + 0 * t.kp + k).loadUnaligned(as: SIMD8<Float>.self)
            let w0 = load(t.weights + 0 * t.columnBytes, k)
            p0_0 = p0_0.addingProduct(x0, w0)
            let w1 = load(t.weights + 1 * t.columnBytes, k)
            p0_1 = p0_1.addingProduct(x0, w1)
            let w2 = load(t.weights + 2 * t.columnBytes, k)
            p0_2 = p0_2.addingProduct(x0, w2)
            let w3 = load(t.weights + 3 * t.columnBytes, k)
            p0_3 = p0_3.addingProduct(x0, w3)
            let w4 = load(t.weights + 4 * t.columnBytes, k)
            p0_4 = p0_4.addingProduct(x0, w4)
            let w5 = load(t.weights + 5 * t.columnBytes, k)
            p0_5 = p0_5.addingProduct(x0, w5)
            let w6 = load(t.weights + 6 * t.columnBytes, k)
            p0_6 = p0_6.addingProduct(x0, w6)
            let w7 = load(t.weights + 7 * t.columnBytes, k)
            p0_7 = p0_7.addingProduct(x0, w7)
            k += 8
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
func gemvTile2x2(_ t: GEMVTileArguments, _ load: (UnsafeRawPointer, Int) -> SIMD8<Float>) {
    var t0_0 = SIMD8<Float>(), t0_1 = SIMD8<Float>(), t1_0 = SIMD8<Float>(), t1_1 = SIMD8<Float>()
    var k0 = 0
    while k0 < t.kp {
        let k1 = min(t.kp, k0 + t.groupSize)
        var p0_0 = SIMD8<Float>(), p0_1 = SIMD8<Float>(), p1_0 = SIMD8<Float>(), p1_1 = SIMD8<Float>()
        var k = k0
        while k < k1 {
            let x0 = UnsafeRawPointer(t.x + 0 * t.kp + k).loadUnaligned(as: SIMD8<Float>.self)
            let x1 = UnsafeRawPointer(t.x + 1 * t.kp + k).loadUnaligned(as: SIMD8<Float>.self)
            let w0 = load(t.weights + 0 * t.columnBytes, k)
            p0_0 = p0_0.addingProduct(x0, w0); p1_0 = p1_0.addingProduct(x1, w0)
            let w1 = load(t.weights + 1 * t.columnBytes, k)
            p0_1 = p0_1.addingProduct(x0, w1); p1_1 = p1_1.addingProduct(x1, w1)
            k += 8
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
func gemvTile2x4(_ t: GEMVTileArguments, _ load: (UnsafeRawPointer, Int) -> SIMD8<Float>) {
    var t0_0 = SIMD8<Float>(), t0_1 = SIMD8<Float>(), t0_2 = SIMD8<Float>(), t0_3 = SIMD8<Float>(), t1_0 = SIMD8<Float>(), t1_1 = SIMD8<Float>(), t1_2 = SIMD8<Float>(), t1_3 = SIMD8<Float>()
    var k0 = 0
    while k0 < t.kp {
        let k1 = min(t.kp, k0 + t.groupSize)
        var p0_0 = SIMD8<Float>(), p0_1 = SIMD8<Float>(), p0_2 = SIMD8<Float>(), p0_3 = SIMD8<Float>(), p1_0 = SIMD8<Float>(), p1_1 = SIMD8<Float>(), p1_2 = SIMD8<Float>(), p1_3 = SIMD8<Float>()
        var k = k0
        while k < k1 {
            let x0 = UnsafeRawPointer(t.x + 0 * t.kp + k).loadUnaligned(as: SIMD8<Float>.self)
            let x1 = UnsafeRawPointer(t.x + 1 * t.kp + k).loadUnaligned(as: SIMD8<Float>.self)
            let w0 = load(t.weights + 0 * t.columnBytes, k)
            p0_0 = p0_0.addingProduct(x0, w0); p1_0 = p1_0.addingProduct(x1, w0)
            let w1 = load(t.weights + 1 * t.columnBytes, k)
            p0_1 = p0_1.addingProduct(x0, w1); p1_1 = p1_1.addingProduct(x1, w1)
            let w2 = load(t.weights + 2 * t.columnBytes, k)
            p0_2 = p0_2.addingProduct(x0, w2); p1_2 = p1_2.addingProduct(x1, w2)
            let w3 = load(t.weights + 3 * t.columnBytes, k)
            p0_3 = p0_3.addingProduct(x0, w3); p1_3 = p1_3.addingProduct(x1, w3)
            k += 8
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
func gemvTile4x1(_ t: GEMVTileArguments, _ load: (UnsafeRawPointer, Int) -> SIMD8<Float>) {
    var t0_0 = SIMD8<Float>(), t1_0 = SIMD8<Float>(), t2_0 = SIMD8<Float>(), t3_0 = SIMD8<Float>()
    var k0 = 0
    while k0 < t.kp {
        let k1 = min(t.kp, k0 + t.groupSize)
        var p0_0 = SIMD8<Float>(), p1_0 = SIMD8<Float>(), p2_0 = SIMD8<Float>(), p3_0 = SIMD8<Float>()
        var k = k0
        while k < k1 {
            let x0 = UnsafeRawPointer(t.x + 0 * t.kp + k).loadUnaligned(as: SIMD8<Float>.self)
            let x1 = UnsafeRawPointer(t.x + 1 * t.kp + k).loadUnaligned(as: SIMD8<Float>.self)
            let x2 = UnsafeRawPointer(t.x + 2 * t.kp + k).loadUnaligned(as: SIMD8<Float>.self)
            let x3 = UnsafeRawPointer(t.x + 3 * t.kp + k).loadUnaligned(as: SIMD8<Float>.self)
            let w0 = load(t.weights + 0 * t.columnBytes, k)
            p0_0 = p0_0.addingProduct(x0, w0); p1_0 = p1_0.addingProduct(x1, w0); p2_0 = p2_0.addingProduct(x2, w0); p3_0 = p3_0.addingProduct(x3, w0)
            k += 8
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
func gemvTile4x2(_ t: GEMVTileArguments, _ load: (UnsafeRawPointer, Int) -> SIMD8<Float>) {
    var t0_0 = SIMD8<Float>(), t0_1 = SIMD8<Float>(), t1_0 = SIMD8<Float>(), t1_1 = SIMD8<Float>(), t2_0 = SIMD8<Float>(), t2_1 = SIMD8<Float>(), t3_0 = SIMD8<Float>(), t3_1 = SIMD8<Float>()
    var k0 = 0
    while k0 < t.kp {
        let k1 = min(t.kp, k0 + t.groupSize)
        var p0_0 = SIMD8<Float>(), p0_1 = SIMD8<Float>(), p1_0 = SIMD8<Float>(), p1_1 = SIMD8<Float>(), p2_0 = SIMD8<Float>(), p2_1 = SIMD8<Float>(), p3_0 = SIMD8<Float>(), p3_1 = SIMD8<Float>()
        var k = k0
        while k < k1 {
            let x0 = UnsafeRawPointer(t.x + 0 * t.kp + k).loadUnaligned(as: SIMD8<Float>.self)
            let x1 = UnsafeRawPointer(t.x + 1 * t.kp + k).loadUnaligned(as: SIMD8<Float>.self)
            let x2 = UnsafeRawPointer(t.x + 2 * t.kp + k).loadUnaligned(as: SIMD8<Float>.self)
            let x3 = UnsafeRawPointer(t.x + 3 * t.kp + k).loadUnaligned(as: SIMD8<Float>.self)
            let w0 = load(t.weights + 0 * t.columnBytes, k)
            p0_0 = p0_0.addingProduct(x0, w0); p1_0 = p1_0.addingProduct(x1, w0); p2_0 = p2_0.addingProduct(x2, w0); p3_0 = p3_0.addingProduct(x3, w0)
            let w1 = load(t.weights + 1 * t.columnBytes, k)
            p0_1 = p0_1.addingProduct(x0, w1); p1_1 = p1_1.addingProduct(x1, w1); p2_1 = p2_1.addingProduct(x2, w1); p3_1 = p3_1.addingProduct(x3, w1)
            k += 8
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
func gemvTile(mb: Int, nb: Int, _ t: GEMVTileArguments, _ load: (UnsafeRawPointer, Int) -> SIMD8<Float>) {
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
