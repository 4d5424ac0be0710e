import HardwareProbe
import Kernels

/// The roofline's limit for one kernel configuration: min(peak FLOP/s, bandwidth x arithmetic
/// intensity) at the nearest measured thread count. Bandwidth is the read figure of the level
/// the repeated runs are served from: the smallest cache at least twice the problem's bytes,
/// else DRAM (else triad). A layer whose weights fit in L3 is measured L3-resident, and
/// judging it against DRAM would give fractions above 100%. Nil without a measured roofline.
public struct RooflineBound: Sendable {
    public enum Kind: String, Sendable { case memory, compute }

    public var gflops: Double
    public var kind: Kind
    /// The memory level whose bandwidth applies: "L1d", "L2", "L3" or "DRAM".
    public var level: String

    /// "compute", or "memory (L3)".
    public var description: String { kind == .compute ? "compute" : "memory (\(level))" }

    public init?(profile: HardwareProfile, kernel: any TunableKernel, config: KernelConfig) {
        guard let point = profile.roofline?.point(threads: config.int("threads") ?? 1) else { return nil }
        let bytes = kernel.minimumBytes(config)
        let limits = MachineSizes(profile: profile)
        let caches = [("L1d", limits.l1dBytes), ("L2", limits.l2Bytes), ("L3", limits.l3Bytes)]
        var level = caches.first { Double($0.1) >= 2 * bytes }?.0 ?? "DRAM"
        let bandwidth: Double
        if let measured = point.cacheRead.first(where: { $0.level == level }) ?? point.cacheRead.first(where: { $0.level == "DRAM" }) {
            (bandwidth, level) = (measured.GBps, measured.level)
        } else {
            (bandwidth, level) = (point.triadGBps, "DRAM")
        }
        self.level = level
        let memoryBound = bandwidth * kernel.flops / bytes
        (gflops, kind) = memoryBound < point.peakGFLOPS ? (memoryBound, .memory) : (point.peakGFLOPS, .compute)
        // A profile with a zero, negative or non-finite figure (edited by hand, or broken) has no
        // bound: fractions of it were inf or negative in the database, and export failed on them.
        guard gflops > 0, gflops.isFinite else { return nil }
    }
}
