// The roofline micro-benchmarks. This target is built with -Ounchecked and a target CPU (see
// Package.swift): the loops below must compile to packed FMAs, loads and stores.

/// 12 independent FMA chains of one vector each: enough in flight to cover FMA latency x
/// throughput on current x86 cores (Zen 3: 2 pipes x 4 cycles = 8 chains).
/// 24 x lanes FLOP per iteration. Called with SIMD8 (AVX2) or SIMD16 (AVX-512) only.
@inline(never)
@_specialize(where V == SIMD8<Float>)
@_specialize(where V == SIMD16<Float>)
func fmaChains<V: SIMD>(_: V.Type, iterations: Int, seed: Float) -> Float where V.Scalar == Float {
    let x = V(repeating: 0.999_999_9)
    let y = V(repeating: 1e-7)
    var a0 = V(repeating: seed), a1 = a0 + 1, a2 = a0 + 2, a3 = a0 + 3
    var a4 = a0 + 4, a5 = a0 + 5, a6 = a0 + 6, a7 = a0 + 7
    var a8 = a0 + 8, a9 = a0 + 9, a10 = a0 + 10, a11 = a0 + 11
    for _ in 0..<iterations {
        a0 = y.addingProduct(a0, x); a1 = y.addingProduct(a1, x); a2 = y.addingProduct(a2, x)
        a3 = y.addingProduct(a3, x); a4 = y.addingProduct(a4, x); a5 = y.addingProduct(a5, x)
        a6 = y.addingProduct(a6, x); a7 = y.addingProduct(a7, x); a8 = y.addingProduct(a8, x)
        a9 = y.addingProduct(a9, x); a10 = y.addingProduct(a10, x); a11 = y.addingProduct(a11, x)
    }
    return ((a0 + a1) + (a2 + a3) + (a4 + a5) + (a6 + a7) + (a8 + a9) + (a10 + a11)).sum()
}

/// STREAM copy: a[i] = b[i].
@inline(never)
func streamCopy(_ a: UnsafeMutablePointer<Float>, _ b: UnsafePointer<Float>, _ range: Range<Int>) {
    for i in range { a[i] = b[i] }
}

/// STREAM triad: a[i] = b[i] + s * c[i].
@inline(never)
func streamTriad(_ a: UnsafeMutablePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>, _ s: Float, _ range: Range<Int>) {
    for i in range { a[i] = b[i] + s * c[i] }
}

/// Reads `count` floats (a multiple of 64) `passes` times with 8 independent sums, so the adds
/// never limit the load rate.
@inline(never)
func readSum(_ base: UnsafePointer<Float>, count: Int, passes: Int) -> Float {
    let vectors = UnsafeRawPointer(base).assumingMemoryBound(to: SIMD8<Float>.self)
    let n = count / 8
    var s0 = SIMD8<Float>(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0
    for _ in 0..<passes {
        var i = 0
        while i < n {
            s0 += vectors[i]; s1 += vectors[i + 1]; s2 += vectors[i + 2]; s3 += vectors[i + 3]
            s4 += vectors[i + 4]; s5 += vectors[i + 5]; s6 += vectors[i + 6]; s7 += vectors[i + 7]
            i += 8
        }
    }
    return ((s0 + s1) + (s2 + s3) + (s4 + s5) + (s6 + s7)).sum()
}
