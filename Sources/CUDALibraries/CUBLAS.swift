import CCUDA
import Foundation

/// cuBLAS (`libcublas.so.12`/`.13`), opened with dlopen: the peer a tuned GPU GEMM is raced
/// against, as OpenBLAS is on the CPU. `TUNEBENCH_CUBLAS` names the library file or folder.
public final class CUBLAS: @unchecked Sendable {
    public let library: SharedLibrary
    public let context: CUDAContext
    private let handle: ccublas_handle
    private let gemmEx: ccublas_gemm_ex_fn
    private let setMathMode: ccublas_set_math_mode_fn
    private let destroy: ccublas_destroy_fn
    public let version: Int?

    public init(context: CUDAContext) throws {
        self.context = context
        library = try SharedLibrary(
            candidates: SharedLibrary.candidates(environment: "TUNEBENCH_CUBLAS", names: ["libcublas.so.13", "libcublas.so.12", "libcublas.so"]),
            describing: "cuBLAS (libcublas, the CUDA toolkit's or the nvidia-cublas-cu12 wheel's)"
        )
        let create: ccublas_create_fn = try library.function("cublasCreate_v2")
        gemmEx = try library.function("cublasGemmEx")
        setMathMode = try library.function("cublasSetMathMode")
        destroy = try library.function("cublasDestroy_v2")
        try context.makeCurrent()
        var handle: ccublas_handle?
        let status = create(&handle)
        guard status == 0, let handle else { throw GPUError(.cublasCall, "cublasCreate failed: status \(status)") }
        self.handle = handle
        var version: Int32 = 0
        let getVersion: ccublas_get_version_fn? = library.optionalFunction("cublasGetVersion_v2")
        self.version = getVersion.map { $0(handle, &version) == 0 ? Int(version) : nil } ?? nil
    }

    deinit {
        try? context.makeCurrent()
        _ = destroy(handle)
    }

    /// Row-major C[M,N] = A[M,K]·W[N,K]ᵀ in `type` (fp32 on CUDA cores: pedantic math, no TF32;
    /// fp16/bf16 with fp32 sums on tensor cores). In cuBLAS's column-major terms that is
    /// Cᵀ = op(W)·Aᵀ with W transposed: m = N, n = M, lda = ldb = K, ldc = N.
    public func gemm(a: DeviceBuffer, w: DeviceBuffer, c: DeviceBuffer, m: Int, n: Int, k: Int, type: DataType) throws {
        try context.makeCurrent()
        // fp32 stays fp32 (no TF32): what the CUDA-core kernel is compared with.
        let mode = type == .fp32 ? Int32(CCUBLAS_PEDANTIC_MATH) : Int32(CCUBLAS_DEFAULT_MATH)
        guard setMathMode(handle, mode) == 0 else { throw GPUError(.cublasCall, "cublasSetMathMode(\(mode)) failed") }
        var alpha: Float = 1, beta: Float = 0
        let cudaType: Int32
        switch type {
        case .fp32: cudaType = Int32(CCUDA_R_32F)
        case .fp16: cudaType = Int32(CCUDA_R_16F)
        case .bf16: cudaType = Int32(CCUDA_R_16BF)
        }
        let status = gemmEx(
            handle, Int32(CCUBLAS_OP_T), Int32(CCUBLAS_OP_N), Int32(n), Int32(m), Int32(k), &alpha,
            UnsafeRawPointer(bitPattern: UInt(w.address)), cudaType, Int32(k),
            UnsafeRawPointer(bitPattern: UInt(a.address)), cudaType, Int32(k), &beta,
            UnsafeMutableRawPointer(bitPattern: UInt(c.address)), cudaType, Int32(n),
            Int32(CCUBLAS_COMPUTE_32F), Int32(type == .fp32 ? -1 : CCUBLAS_GEMM_DEFAULT_TENSOR_OP)  // CUBLAS_GEMM_DEFAULT = -1
        )
        guard status == 0 else { throw GPUError(.cublasCall, "cublasGemmEx(\(type), \(m)x\(n)x\(k)) failed: status \(status)") }
    }

    public enum DataType: String, Sendable { case fp32, fp16, bf16 }
}
