import Foundation

// The epilogue's arithmetic on float outputs. The kernels apply it to their tiles through
// CFloatKernels' `bias_activation` (the same polynomials in vectors, per ISA variant); the scalar
// forms here serve what is not a vector loop: the model engine's Erf and its softmax over a
// strided axis (KernelModel holds only what an epilogue is).
extension Epilogue {
    /// GELU, tanh form (as in GPT-2 and most inference engines).
    @inlinable @inline(__always)
    public static func gelu(_ x: Float) -> Float {
        0.5 * x * (1 + fastTanh(0.797_884_56 * (x + 0.044_715 * x * x * x)))
    }

    /// GELU, exact form: x/2 · (1 + erf(x/√2)).
    @inlinable @inline(__always)
    public static func geluErf(_ x: Float) -> Float {
        0.5 * x * (1 + fastErf(x * 0.707_106_78))
    }

    /// erf as a rational function (Eigen's float `perf`: odd degree 13 over even degree 8,
    /// clamped to [-4, 4] where erf rounds to ±1), within a few ulp of `erff`; vectorizes as
    /// `fastTanh` does.
    @inlinable @inline(__always)
    public static func fastErf(_ value: Float) -> Float {
        let x = Swift.min(Swift.max(value, -4), 4)
        let x2 = x * x
        var p: Float = -2.726_142_3e-10
        p = p * x2 + 2.770_681_4e-08
        p = p * x2 - 2.101_024_0e-06
        p = p * x2 - 5.692_506_4e-05
        p = p * x2 - 7.349_906_3e-04
        p = p * x2 - 2.954_600_0e-03
        p = p * x2 - 1.609_603_3e-02
        var q: Float = -1.456_607_2e-05
        q = q * x2 - 2.133_740_6e-04
        q = q * x2 - 1.682_827_0e-03
        q = q * x2 - 7.373_329_2e-03
        q = q * x2 - 1.426_474_0e-02
        return x * p / q
    }

    /// exp by range reduction (x = n·ln 2 + r) and Cephes' degree-6 polynomial for e^r, with
    /// 2^n from the exponent bits: within a few ulp of `expf` over [-87, 88] (0 below, about
    /// 2e38 above; NaN stays NaN), and, with no call and no branch, it vectorizes (sigmoid).
    @inlinable @inline(__always)
    public static func fastExp(_ value: Float) -> Float {
        let x = value.isNaN ? 0 : Swift.min(Swift.max(value, -87.3), 88.3)
        // Round to nearest even by adding and subtracting 1.5·2^23 (|x·log2 e| < 128): plain
        // arithmetic on any CPU, where `rounded` is a libm call without SSE4.1 (this target takes
        // no -march).
        let n = (x * 1.442_695_04 + 12_582_912) - 12_582_912
        let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_1e-1
        let y = p * r * r + r + 1
        let scaled = y * Float(bitPattern: UInt32(bitPattern: Int32(n) + 127) << 23)
        return value.isNaN ? value : value < -87.3 ? 0 : scaled
    }

    /// The activation of one value in fp32, with the polynomials the vector loops use per lane
    /// (for callers with one value at a time; the kernels apply epilogues through `apply`).
    @inlinable @inline(__always)
    public static func activate(_ x: Float, _ activation: Activation) -> Float {
        switch activation {
        case .none: x
        case .relu: Swift.max(x, 0)
        case .relu6: Swift.min(Swift.max(x, 0), 6)
        case .gelu: gelu(x)
        case .geluErf: geluErf(x)
        }
    }

    /// tanh as a rational function (Eigen's float `ptanh`: degree 13 over degree 6 in x,
    /// clamped where tanh rounds to ±1), within a few ulp of `tanhf`. It has no call and no
    /// branch, so the epilogue loop vectorizes; `tanhf` is a library call per element
    /// (measured effect on a GELU-fused GEMM: results/gelu-epilogue-*.md).
    @inlinable @inline(__always)
    public static func fastTanh(_ value: Float) -> Float {
        let x = Swift.min(Swift.max(value, -7.905_311_1), 7.905_311_1)
        let x2 = x * x
        var p: Float = -2.760_768_5e-16
        p = p * x2 + 2.000_187_9e-13
        p = p * x2 - 8.604_671_5e-11
        p = p * x2 + 5.122_297_1e-08
        p = p * x2 + 1.485_722_4e-05
        p = p * x2 + 6.372_619_3e-04
        p = p * x2 + 4.893_524_6e-03
        var q: Float = 1.198_258_4e-06
        q = q * x2 + 1.185_347_1e-04
        q = q * x2 + 2.268_434_6e-03
        q = q * x2 + 4.893_525_2e-03
        return x * p / q
    }

    /// Applies the epilogue to columns `columns` of every row of a rows x ldc output.
    func applyColumns(_ c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, columns: Range<Int>, bias values: UnsafePointer<Float>?) {
        guard self != .none else { return }
        apply(c + columns.lowerBound, ldc: ldc, rows: rows, cols: columns.count, column: columns.lowerBound, bias: values)
    }

    /// Applies the epilogue to a rows x cols tile of C whose first row is `row`, with a bias
    /// per row (the channel-major convolution's output channels), in the vector loops.
    func applyRows(_ c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, row first: Int, bias values: UnsafePointer<Float>?) {
        let rowBias = bias ? values.map { $0 + first } : nil
        // Without a bias, contiguous rows are one line: no vector tail per row (conv and
        // depthwise outputs, rows of 7 to 56).
        let contiguous = rowBias == nil && ldc == cols
        VectorLoops.current.bias_activation(c, ldc, contiguous ? 1 : rows, contiguous ? rows * cols : cols, rowBias, nil, activation.vectorCode)
    }

    /// Applies the epilogue to a rows x cols tile of C whose first column is `column`, in the
    /// vector loops (Swift's loop became 4-lane compare-and-mask code).
    func apply(_ c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, column: Int, bias values: UnsafePointer<Float>?) {
        let columnBias = bias ? values.map { $0 + column } : nil
        VectorLoops.current.bias_activation(c, ldc, rows, cols, nil, columnBias, activation.vectorCode)
    }
}
