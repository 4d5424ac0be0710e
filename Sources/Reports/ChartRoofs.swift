import Foundation
import HardwareProbe
import MachineIdentity

/// The roofs of one side's roofline chart in `compare --html`, from the measured roofline of the
/// device that side is compared on: a CPU's compute peak with its DRAM and cache-read roofs, or
/// a GPU's fp32 peak with its device-memory roof and, higher, its tensor-core peaks (the fp16
/// and bf16 layers run there, so a roof at the fp32 peak alone would put them above the roof).
struct ChartRoofs {
    struct Roof {
        var GBps: Double
        var peakGFLOPS: Double
        /// The CSS class: `roof-dram` (solid) or a dashed one.
        var style: String
        var label: String
    }

    var roofs: [Roof]
    var highestPeak: Double { roofs.map(\.peakGFLOPS).max() ?? 1 }

    /// nil when the device's roofline was not measured.
    init?(_ profile: HardwareProfile, on target: ComparisonTarget) {
        if target.device == .gpu {
            guard let measured = target.gpu?.roofline else { return nil }
            roofs = [Roof(GBps: measured.triadGBps, peakGFLOPS: measured.fp32GFLOPs, style: "roof-dram",
                          label: "device memory triad \(String(format: "%.0f", measured.triadGBps)) GB/s, fp32 peak \(String(format: "%.0f", measured.fp32GFLOPs)) GFLOP/s")]
            for (name, peak) in [("fp16", measured.fp16TensorGFLOPs), ("bf16", measured.bf16TensorGFLOPs)] {
                guard let peak else { continue }
                roofs.append(Roof(GBps: measured.triadGBps, peakGFLOPS: peak, style: "roof-tensor",
                                  label: "\(name) tensor cores \(String(format: "%.0f", peak)) GFLOP/s"))
            }
        } else {
            guard let point = profile.roofline.flatMap({ $0.point(threads: profile.topology.cores) }) else { return nil }
            roofs = point.cacheRead.filter { $0.level != "DRAM" }.map { level in
                Roof(GBps: level.GBps, peakGFLOPS: point.peakGFLOPS, style: "roof-cache", label: "\(level.level) read \(String(format: "%.0f", level.GBps)) GB/s")
            }
            roofs.append(Roof(GBps: point.triadGBps, peakGFLOPS: point.peakGFLOPS, style: "roof-dram",
                              label: "DRAM triad \(String(format: "%.1f", point.triadGBps)) GB/s, peak \(String(format: "%.0f", point.peakGFLOPS)) GFLOP/s"))
        }
    }

    /// What to run for the missing roofline.
    static func missing(on target: ComparisonTarget) -> String {
        target.device == .gpu ? "no measured GPU roofline (tunebench roofline --gpu --save)" : "no measured roofline (tunebench roofline --save)"
    }
}
