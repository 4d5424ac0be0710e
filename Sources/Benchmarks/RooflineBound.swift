import HardwareProbe
import Kernels

/// The roofline's limit for one kernel configuration: min(peak FLOP/s, bandwidth x arithmetic
/// intensity) at the nearest measured thread count. Bandwidth is the DRAM read figure (these
/// kernels mostly read weights), else triad. Nil when the profile has no measured roofline.
public struct RooflineBound: Sendable {
    public enum Kind: String, Sendable { case memory, compute }

    public var gflops: Double
    public var kind: Kind

    public init?(profile: HardwareProfile, kernel: any TunableKernel, config: KernelConfig) {
        guard let point = profile.roofline?.point(threads: config.int("threads") ?? 1) else { return nil }
        let bandwidth = point.cacheRead.first { $0.level == "DRAM" }?.GBps ?? point.triadGBps
        let memoryBound = bandwidth * kernel.flops / kernel.minimumBytes(config)
        (gflops, kind) = memoryBound < point.peakGFLOPS ? (memoryBound, .memory) : (point.peakGFLOPS, .compute)
    }
}
