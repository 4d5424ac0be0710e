#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Memory for the weights a kernel keeps for its lifetime and streams on every call (repacked
/// at load). A buffer of 2 MiB or more starts on a 2 MiB boundary, spans whole 2 MiB pages and,
/// on Linux, is advised as transparent huge pages (`madvise(MADV_HUGEPAGE)`: Debian's default
/// THP mode, "madvise", gives huge pages only to memory that asks).
///
/// Why: a decode GEMV reads all its weights from DRAM once per call, and with 4 KiB pages each
/// page starts cold for the TLB and the hardware prefetchers. Measured on Zen 4 (1x4096x4096
/// fp32, 64 MiB of weights, `bench gemv --vs-openblas`, three runs each): one thread 15.0–15.4
/// GFLOP/s with huge pages where 4 KiB pages gave 10.1–14.3 (bimodal); OpenBLAS's `cblas_sgemv`
/// reading an ordinary buffer 13.1–14.7 in the same runs.
///
/// The advice is a request: where THP is off ("never") the kernel ignores it and the buffer is
/// ordinary memory, as fast as before.
public enum WeightMemory {
    public static let hugePageBytes = 2 << 20

    /// Zero-filled memory of at least `byteCount` bytes, 64-byte aligned (2 MiB from 2 MiB on).
    /// Free it with `deallocate`.
    public static func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
        let huge = byteCount >= hugePageBytes
        let bytes = huge ? (byteCount + hugePageBytes - 1) / hugePageBytes * hugePageBytes : max(byteCount, 64)
        var pointer: UnsafeMutableRawPointer?
        let status = posix_memalign(&pointer, huge ? hugePageBytes : 64, bytes)
        guard status == 0, let pointer else { fatalError("WeightMemory: cannot allocate \(bytes) bytes (posix_memalign: \(status))") }
        #if os(Linux)
        // Before the first touch, so the pages are faulted in as huge ones.
        if huge { _ = madvise(pointer, bytes, MADV_HUGEPAGE) }
        #endif
        memset(pointer, 0, bytes)
        return pointer
    }

    public static func deallocate(_ pointer: UnsafeMutableRawPointer) {
        free(pointer)
    }
}
