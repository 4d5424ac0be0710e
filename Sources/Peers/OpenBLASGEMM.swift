import COpenBLAS
import Kernels

/// OpenBLAS on the same problem as a tunebench GEMM: row-major C = A·B with fp32 operands, the
/// peer of every GEMM benchmark. One row (decode, M = 1) goes through `cblas_sgemv`, which is
/// what a user calls for it (`cblas_sgemm` with M = 1 ran at about 4 GFLOP/s: issue 17);
/// otherwise `cblas_sgemm`. Its inputs use the same seeds as tunebench's kernels, so the two
/// compute the same product.
public final class OpenBLASGEMM: KernelInstance {
    public let m: Int, n: Int, k: Int
    let a: FloatBuffer
    let b: FloatBuffer
    let c: FloatBuffer

    /// - Parameter weightMemory: B in `WeightMemory` (huge pages), as tunebench's repacked
    ///   weights are; else an ordinary buffer, as a caller's would be.
    public init(m: Int, n: Int, k: Int, weightMemory: Bool = false) {
        self.m = m
        self.n = n
        self.k = k
        a = FloatBuffer(random: m * k, seed: 1)
        b = FloatBuffer(random: k * n, seed: 2, weightMemory: weightMemory)
        c = FloatBuffer(count: m * n)
    }

    /// OpenBLAS's thread count is process-wide.
    public static func setThreads(_ threads: Int) {
        openblas_set_num_threads(Int32(threads))
    }

    public static var configuration: String {
        String(cString: openblas_get_config())
    }

    /// The OpenBLAS routine this problem runs.
    public var routine: String { m == 1 ? "cblas_sgemv" : "cblas_sgemm" }

    public func run() {
        if m == 1 {
            // c (1 x n) = a (1 x k) · B (k x n), i.e. y = Bᵀ·x over row-major B.
            cblas_sgemv(CblasRowMajor, CblasTrans, Int32(k), Int32(n), 1, b.pointer, Int32(n), a.pointer, 1, 0, c.pointer, 1)
        } else {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k),
                        1, a.pointer, Int32(k), b.pointer, Int32(n), 0, c.pointer, Int32(n))
        }
    }

    public func validate() -> Validation {
        GEMMReference.validate(output: c.pointer, a: a.pointer, w: b.pointer, bias: nil, m: m, n: n, k: k,
                               epilogue: .none, tolerance: Precision.fp32.tolerance)
    }
}
