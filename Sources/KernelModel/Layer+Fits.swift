import Foundation

extension Layer {
    /// The largest size of one dimension (2^31 - 1): a product of two never overflows, and no
    /// real layer comes near it.
    public static let largestDimension = Int(Int32.max)

    /// Refuses, before anything is allocated, a layer whose operands alone (`minimumBytes`)
    /// would not fit in `memoryBytes` (this machine's memory by default), or whose sizes are not
    /// positive: a hostile shape gets one line instead of an abort in the allocator.
    public func checkFits(precision: Precision = .fp32, memoryBytes: UInt64 = ProcessInfo.processInfo.physicalMemory) throws {
        if operation == .gemm || operation == .matmul {
            let dims = [m ?? 0, n ?? 0, k ?? 0]
            guard dims.allSatisfy({ (1...Self.largestDimension).contains($0) }) else {
                throw KernelError.unsupported("\(self): M, N and K must be between 1 and \(Self.largestDimension)")
            }
        }
        let needed = minimumBytes(precision: precision)
        guard needed.isFinite, needed <= Double(memoryBytes) else {
            throw KernelError.unsupported(String(format: "%@ needs at least %@ of memory for its operands; this machine has %@",
                                                   description, Self.bytesText(needed), Self.bytesText(Double(memoryBytes))))
        }
    }

    static func bytesText(_ bytes: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = bytes
        var unit = 0
        while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
        return value >= 1e6 ? String(format: "%.2g %@", value, units[unit]) : String(format: "%.0f %@", value, units[unit])
    }
}
