import CKernelSupport

// Register micro-kernels of the fp32 GEMM: C[MR x NR] (+)= A[MR x kc] * B[kc x NR].
// Each keeps its MR x NR/8 accumulators in SIMD8 registers (at most 12, leaving room for the
// B vectors and the A broadcast in AVX2's 16), and is kept out of line so they stay there.
// A is read through strides (packed: row 1, k MR; unpacked: row lda, k 1); B rows are NR
// contiguous floats, kStride apart (packed: NR; unpacked: ldb). C's tile is prefetched at entry.

/// The signature every micro-kernel shares.
typealias MicroKernel = (
    _ kc: Int, _ a: UnsafePointer<Float>, _ aRowStride: Int, _ aKStride: Int,
    _ b: UnsafePointer<Float>, _ bKStride: Int,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool
) -> Void

@inline(__always)
private func load8(_ p: UnsafePointer<Float>, _ offset: Int = 0) -> SIMD8<Float> {
    UnsafeRawPointer(p + offset).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
private func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ accumulate: Bool) {
    let raw = UnsafeMutableRawPointer(p)
    raw.storeBytes(of: accumulate ? v + raw.loadUnaligned(as: SIMD8<Float>.self) : v, as: SIMD8<Float>.self)
}


/// 4 x 16: 8 accumulators.
@inline(never)
func microKernel4x16(
    _ kc: Int, _ a: UnsafePointer<Float>, _ aRowStride: Int, _ aKStride: Int,
    _ b: UnsafePointer<Float>, _ bKStride: Int,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool
) {
    var c0_0 = SIMD8<Float>(), c0_1 = SIMD8<Float>(), c1_0 = SIMD8<Float>(), c1_1 = SIMD8<Float>(), c2_0 = SIMD8<Float>(), c2_1 = SIMD8<Float>()
    var c3_0 = SIMD8<Float>(), c3_1 = SIMD8<Float>()
    cprefetch_write(c + 0 * ldc); cprefetch_write(c + 0 * ldc + 15)
    cprefetch_write(c + 1 * ldc); cprefetch_write(c + 1 * ldc + 15)
    cprefetch_write(c + 2 * ldc); cprefetch_write(c + 2 * ldc + 15)
    cprefetch_write(c + 3 * ldc); cprefetch_write(c + 3 * ldc + 15)
    var ap = a, bp = b
    for _ in 0..<kc {
        let b0 = load8(bp, 0)
        let b1 = load8(bp, 8)
        let a0 = SIMD8<Float>(repeating: ap[0])
        c0_0 = c0_0.addingProduct(a0, b0); c0_1 = c0_1.addingProduct(a0, b1)
        let a1 = SIMD8<Float>(repeating: ap[1 * aRowStride])
        c1_0 = c1_0.addingProduct(a1, b0); c1_1 = c1_1.addingProduct(a1, b1)
        let a2 = SIMD8<Float>(repeating: ap[2 * aRowStride])
        c2_0 = c2_0.addingProduct(a2, b0); c2_1 = c2_1.addingProduct(a2, b1)
        let a3 = SIMD8<Float>(repeating: ap[3 * aRowStride])
        c3_0 = c3_0.addingProduct(a3, b0); c3_1 = c3_1.addingProduct(a3, b1)
        ap += aKStride
        bp += bKStride
    }
    store8(c0_0, c + 0 * ldc + 0, accumulate); store8(c0_1, c + 0 * ldc + 8, accumulate)
    store8(c1_0, c + 1 * ldc + 0, accumulate); store8(c1_1, c + 1 * ldc + 8, accumulate)
    store8(c2_0, c + 2 * ldc + 0, accumulate); store8(c2_1, c + 2 * ldc + 8, accumulate)
    store8(c3_0, c + 3 * ldc + 0, accumulate); store8(c3_1, c + 3 * ldc + 8, accumulate)
}

/// 6 x 16: 12 accumulators.
@inline(never)
func microKernel6x16(
    _ kc: Int, _ a: UnsafePointer<Float>, _ aRowStride: Int, _ aKStride: Int,
    _ b: UnsafePointer<Float>, _ bKStride: Int,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool
) {
    var c0_0 = SIMD8<Float>(), c0_1 = SIMD8<Float>(), c1_0 = SIMD8<Float>(), c1_1 = SIMD8<Float>(), c2_0 = SIMD8<Float>(), c2_1 = SIMD8<Float>()
    var c3_0 = SIMD8<Float>(), c3_1 = SIMD8<Float>(), c4_0 = SIMD8<Float>(), c4_1 = SIMD8<Float>(), c5_0 = SIMD8<Float>(), c5_1 = SIMD8<Float>()
    cprefetch_write(c + 0 * ldc); cprefetch_write(c + 0 * ldc + 15)
    cprefetch_write(c + 1 * ldc); cprefetch_write(c + 1 * ldc + 15)
    cprefetch_write(c + 2 * ldc); cprefetch_write(c + 2 * ldc + 15)
    cprefetch_write(c + 3 * ldc); cprefetch_write(c + 3 * ldc + 15)
    cprefetch_write(c + 4 * ldc); cprefetch_write(c + 4 * ldc + 15)
    cprefetch_write(c + 5 * ldc); cprefetch_write(c + 5 * ldc + 15)
    var ap = a, bp = b
    for _ in 0..<kc {
        let b0 = load8(bp, 0)
        let b1 = load8(bp, 8)
        let a0 = SIMD8<Float>(repeating: ap[0])
        c0_0 = c0_0.addingProduct(a0, b0); c0_1 = c0_1.addingProduct(a0, b1)
        let a1 = SIMD8<Float>(repeating: ap[1 * aRowStride])
        c1_0 = c1_0.addingProduct(a1, b0); c1_1 = c1_1.addingProduct(a1, b1)
        let a2 = SIMD8<Float>(repeating: ap[2 * aRowStride])
        c2_0 = c2_0.addingProduct(a2, b0); c2_1 = c2_1.addingProduct(a2, b1)
        let a3 = SIMD8<Float>(repeating: ap[3 * aRowStride])
        c3_0 = c3_0.addingProduct(a3, b0); c3_1 = c3_1.addingProduct(a3, b1)
        let a4 = SIMD8<Float>(repeating: ap[4 * aRowStride])
        c4_0 = c4_0.addingProduct(a4, b0); c4_1 = c4_1.addingProduct(a4, b1)
        let a5 = SIMD8<Float>(repeating: ap[5 * aRowStride])
        c5_0 = c5_0.addingProduct(a5, b0); c5_1 = c5_1.addingProduct(a5, b1)
        ap += aKStride
        bp += bKStride
    }
    store8(c0_0, c + 0 * ldc + 0, accumulate); store8(c0_1, c + 0 * ldc + 8, accumulate)
    store8(c1_0, c + 1 * ldc + 0, accumulate); store8(c1_1, c + 1 * ldc + 8, accumulate)
    store8(c2_0, c + 2 * ldc + 0, accumulate); store8(c2_1, c + 2 * ldc + 8, accumulate)
    store8(c3_0, c + 3 * ldc + 0, accumulate); store8(c3_1, c + 3 * ldc + 8, accumulate)
    store8(c4_0, c + 4 * ldc + 0, accumulate); store8(c4_1, c + 4 * ldc + 8, accumulate)
    store8(c5_0, c + 5 * ldc + 0, accumulate); store8(c5_1, c + 5 * ldc + 8, accumulate)
}

/// 8 x 8: 8 accumulators.
@inline(never)
func microKernel8x8(
    _ kc: Int, _ a: UnsafePointer<Float>, _ aRowStride: Int, _ aKStride: Int,
    _ b: UnsafePointer<Float>, _ bKStride: Int,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool
) {
    var c0_0 = SIMD8<Float>(), c1_0 = SIMD8<Float>(), c2_0 = SIMD8<Float>(), c3_0 = SIMD8<Float>(), c4_0 = SIMD8<Float>(), c5_0 = SIMD8<Float>()
    var c6_0 = SIMD8<Float>(), c7_0 = SIMD8<Float>()
    cprefetch_write(c + 0 * ldc); cprefetch_write(c + 0 * ldc + 7)
    cprefetch_write(c + 1 * ldc); cprefetch_write(c + 1 * ldc + 7)
    cprefetch_write(c + 2 * ldc); cprefetch_write(c + 2 * ldc + 7)
    cprefetch_write(c + 3 * ldc); cprefetch_write(c + 3 * ldc + 7)
    cprefetch_write(c + 4 * ldc); cprefetch_write(c + 4 * ldc + 7)
    cprefetch_write(c + 5 * ldc); cprefetch_write(c + 5 * ldc + 7)
    cprefetch_write(c + 6 * ldc); cprefetch_write(c + 6 * ldc + 7)
    cprefetch_write(c + 7 * ldc); cprefetch_write(c + 7 * ldc + 7)
    var ap = a, bp = b
    for _ in 0..<kc {
        let b0 = load8(bp, 0)
        let a0 = SIMD8<Float>(repeating: ap[0])
        c0_0 = c0_0.addingProduct(a0, b0)
        let a1 = SIMD8<Float>(repeating: ap[1 * aRowStride])
        c1_0 = c1_0.addingProduct(a1, b0)
        let a2 = SIMD8<Float>(repeating: ap[2 * aRowStride])
        c2_0 = c2_0.addingProduct(a2, b0)
        let a3 = SIMD8<Float>(repeating: ap[3 * aRowStride])
        c3_0 = c3_0.addingProduct(a3, b0)
        let a4 = SIMD8<Float>(repeating: ap[4 * aRowStride])
        c4_0 = c4_0.addingProduct(a4, b0)
        let a5 = SIMD8<Float>(repeating: ap[5 * aRowStride])
        c5_0 = c5_0.addingProduct(a5, b0)
        let a6 = SIMD8<Float>(repeating: ap[6 * aRowStride])
        c6_0 = c6_0.addingProduct(a6, b0)
        let a7 = SIMD8<Float>(repeating: ap[7 * aRowStride])
        c7_0 = c7_0.addingProduct(a7, b0)
        ap += aKStride
        bp += bKStride
    }
    store8(c0_0, c + 0 * ldc + 0, accumulate)
    store8(c1_0, c + 1 * ldc + 0, accumulate)
    store8(c2_0, c + 2 * ldc + 0, accumulate)
    store8(c3_0, c + 3 * ldc + 0, accumulate)
    store8(c4_0, c + 4 * ldc + 0, accumulate)
    store8(c5_0, c + 5 * ldc + 0, accumulate)
    store8(c6_0, c + 6 * ldc + 0, accumulate)
    store8(c7_0, c + 7 * ldc + 0, accumulate)
}

/// 12 x 8: 12 accumulators.
@inline(never)
func microKernel12x8(
    _ kc: Int, _ a: UnsafePointer<Float>, _ aRowStride: Int, _ aKStride: Int,
    _ b: UnsafePointer<Float>, _ bKStride: Int,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool
) {
    var c0_0 = SIMD8<Float>(), c1_0 = SIMD8<Float>(), c2_0 = SIMD8<Float>(), c3_0 = SIMD8<Float>(), c4_0 = SIMD8<Float>(), c5_0 = SIMD8<Float>()
    var c6_0 = SIMD8<Float>(), c7_0 = SIMD8<Float>(), c8_0 = SIMD8<Float>(), c9_0 = SIMD8<Float>(), c10_0 = SIMD8<Float>(), c11_0 = SIMD8<Float>()
    cprefetch_write(c + 0 * ldc); cprefetch_write(c + 0 * ldc + 7)
    cprefetch_write(c + 1 * ldc); cprefetch_write(c + 1 * ldc + 7)
    cprefetch_write(c + 2 * ldc); cprefetch_write(c + 2 * ldc + 7)
    cprefetch_write(c + 3 * ldc); cprefetch_write(c + 3 * ldc + 7)
    cprefetch_write(c + 4 * ldc); cprefetch_write(c + 4 * ldc + 7)
    cprefetch_write(c + 5 * ldc); cprefetch_write(c + 5 * ldc + 7)
    cprefetch_write(c + 6 * ldc); cprefetch_write(c + 6 * ldc + 7)
    cprefetch_write(c + 7 * ldc); cprefetch_write(c + 7 * ldc + 7)
    cprefetch_write(c + 8 * ldc); cprefetch_write(c + 8 * ldc + 7)
    cprefetch_write(c + 9 * ldc); cprefetch_write(c + 9 * ldc + 7)
    cprefetch_write(c + 10 * ldc); cprefetch_write(c + 10 * ldc + 7)
    cprefetch_write(c + 11 * ldc); cprefetch_write(c + 11 * ldc + 7)
    var ap = a, bp = b
    for _ in 0..<kc {
        let b0 = load8(bp, 0)
        let a0 = SIMD8<Float>(repeating: ap[0])
        c0_0 = c0_0.addingProduct(a0, b0)
        let a1 = SIMD8<Float>(repeating: ap[1 * aRowStride])
        c1_0 = c1_0.addingProduct(a1, b0)
        let a2 = SIMD8<Float>(repeating: ap[2 * aRowStride])
        c2_0 = c2_0.addingProduct(a2, b0)
        let a3 = SIMD8<Float>(repeating: ap[3 * aRowStride])
        c3_0 = c3_0.addingProduct(a3, b0)
        let a4 = SIMD8<Float>(repeating: ap[4 * aRowStride])
        c4_0 = c4_0.addingProduct(a4, b0)
        let a5 = SIMD8<Float>(repeating: ap[5 * aRowStride])
        c5_0 = c5_0.addingProduct(a5, b0)
        let a6 = SIMD8<Float>(repeating: ap[6 * aRowStride])
        c6_0 = c6_0.addingProduct(a6, b0)
        let a7 = SIMD8<Float>(repeating: ap[7 * aRowStride])
        c7_0 = c7_0.addingProduct(a7, b0)
        let a8 = SIMD8<Float>(repeating: ap[8 * aRowStride])
        c8_0 = c8_0.addingProduct(a8, b0)
        let a9 = SIMD8<Float>(repeating: ap[9 * aRowStride])
        c9_0 = c9_0.addingProduct(a9, b0)
        let a10 = SIMD8<Float>(repeating: ap[10 * aRowStride])
        c10_0 = c10_0.addingProduct(a10, b0)
        let a11 = SIMD8<Float>(repeating: ap[11 * aRowStride])
        c11_0 = c11_0.addingProduct(a11, b0)
        ap += aKStride
        bp += bKStride
    }
    store8(c0_0, c + 0 * ldc + 0, accumulate)
    store8(c1_0, c + 1 * ldc + 0, accumulate)
    store8(c2_0, c + 2 * ldc + 0, accumulate)
    store8(c3_0, c + 3 * ldc + 0, accumulate)
    store8(c4_0, c + 4 * ldc + 0, accumulate)
    store8(c5_0, c + 5 * ldc + 0, accumulate)
    store8(c6_0, c + 6 * ldc + 0, accumulate)
    store8(c7_0, c + 7 * ldc + 0, accumulate)
    store8(c8_0, c + 8 * ldc + 0, accumulate)
    store8(c9_0, c + 9 * ldc + 0, accumulate)
    store8(c10_0, c + 10 * ldc + 0, accumulate)
    store8(c11_0, c + 11 * ldc + 0, accumulate)
}
