import Foundation
import HardwareProbe

/// The readable summary `tunebench probe` prints: identity, an lstopo-style topology tree,
/// caches, ISA, GPUs, counters and the roofline.
public enum ProfileSummary {
    public static func render(_ profile: HardwareProfile) -> String {
        var out: [String] = []
        out.append("Profile \(profile.id)  \(profile.name)")
        let source = profile.source.kind == .live ? "live machine" : "hwloc XML \(profile.source.path ?? "")"
        out.append("  source      \(source), probed \(profile.probedAt)")
        out.append("  CPU         \(cpuLine(profile.cpu))")
        let isa = profile.cpu.isa.isEmpty ? "unknown" : profile.cpu.isa.joined(separator: " ")
        out.append("  ISA         \(isa)  (from \(profile.cpu.isaSource))")
        out.append("  frequency   \(frequencyLine(profile.frequency))")
        out.append("  system      \(systemLine(profile.system))")
        let software = profile.software
        out.append("  build       \(software.compiler), -march=\(software.buildMarch) (\(software.buildISALevel)), hwloc \(software.hwlocVersion), PAPI \(software.papiVersion ?? "unavailable"), tunebench \(software.tunebenchVersion)")
        out.append("")
        let topology = profile.topology
        out.append("Topology: \(topology.packages) package(s), \(topology.numaNodes.count) NUMA node(s), \(topology.cores) cores, \(topology.pus) PUs, \(topology.threadsPerCore) thread(s) per core")
        out.append(contentsOf: tree(topology.tree, depth: 1))
        if topology.cpuKinds.count > 1 {
            out.append("")
            out.append("CPU kinds (hybrid):")
            for kind in topology.cpuKinds {
                let info = kind.info.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                out.append("  efficiency \(kind.efficiency): \(kind.pus) PUs  \(info)")
            }
        }
        out.append("")
        out.append("Caches:")
        out.append(topology.caches.isEmpty ? "  none in this topology" : cacheTable(topology.caches).render())
        out.append("")
        out.append("GPUs:" + (profile.gpus.isEmpty ? " none" : ""))
        for gpu in profile.gpus { out.append("  " + gpuLine(gpu)) }
        out.append("")
        out.append("Counters: \(profile.counters.summary)")
        if !profile.counters.components.isEmpty {
            let active = profile.counters.components.filter(\.enabled).map(\.name).joined(separator: ", ")
            out.append("  active PAPI components: \(active)")
        }
        if !profile.counters.softwareEvents.isEmpty {
            out.append("  software events: \(profile.counters.softwareEvents.prefix(8).joined(separator: ", "))\(profile.counters.softwareEvents.count > 8 ? ", …" : "")")
        }
        if !profile.counters.hardwareEvents.isEmpty {
            out.append("  hardware events: \(profile.counters.hardwareEvents.prefix(8).joined(separator: ", "))\(profile.counters.hardwareEvents.count > 8 ? ", …" : "")")
        }
        out.append("")
        if let roofline = profile.roofline {
            out.append("Roofline (measured \(roofline.measuredAt), -march=\(roofline.buildMarch), \(roofline.vectorBits)-bit FMA, STREAM arrays \(ByteCount.format(roofline.streamArrayBytes))):")
            out.append(rooflineTable(roofline).render())
        } else {
            out.append("Roofline: not measured (run `tunebench probe --measure`)")
        }
        return out.joined(separator: "\n")
    }

    static func cpuLine(_ cpu: CPUIdentity) -> String {
        var parts = [cpu.modelName ?? "unknown model"]
        if let vendor = cpu.vendor { parts.append("(\(vendor))") }
        let numbers = [("family", cpu.family), ("model", cpu.model), ("stepping", cpu.stepping)]
            .compactMap { name, value in value.map { "\(name) \($0)" } }
        if !numbers.isEmpty { parts.append(numbers.joined(separator: ", ")) }
        return parts.joined(separator: " ")
    }

    static func frequencyLine(_ frequency: CPUFrequency) -> String {
        guard frequency.source != "none" || frequency.governor != nil else { return "not reported by the kernel" }
        let mhz = { (value: Double?) in value.map { String(format: "%.0f MHz", $0) } ?? "?" }
        var line = "base \(mhz(frequency.baseMHz)), max \(mhz(frequency.maxMHz))"
        if let governor = frequency.governor { line += ", governor \(governor)" }
        if let driver = frequency.driver { line += " (\(driver))" }
        return line + " [\(frequency.source)]"
    }

    static func systemLine(_ system: SystemInfo) -> String {
        [system.osName, system.kernelRelease.map { "kernel \($0)" }, system.architecture]
            .compactMap { $0 }.joined(separator: ", ")
    }

    public static func gpuLine(_ gpu: GPUInfo) -> String {
        var parts = ["\(gpu.pciBusID)  \(gpu.name ?? "unknown") [\(String(format: "%04x:%04x", gpu.vendorID, gpu.deviceID))]"]
        if let vendor = gpu.vendor { parts.append(vendor) }
        if let memory = gpu.memoryBytes { parts.append(ByteCount.format(memory)) }
        if let capability = gpu.computeCapability { parts.append("compute \(capability)") }
        if let sms = gpu.multiprocessors { parts.append("\(sms) SMs") }
        if let cuda = gpu.cuda {
            parts.append("\(cuda.clockMHz) MHz, \(cuda.memoryBusWidthBits)-bit memory at \(cuda.memoryClockMHz) MHz")
            parts.append("L2 \(ByteCount.format(UInt64(cuda.l2CacheBytes)))")
            parts.append("shared \(ByteCount.format(UInt64(cuda.sharedMemoryPerBlockOptInBytes)))/block, \(ByteCount.format(UInt64(cuda.sharedMemoryPerSMBytes)))/SM")
            parts.append("\(cuda.registersPerSM / 1024)K registers/SM, \(cuda.maxThreadsPerBlock) threads/block")
            parts.append("CUDA \(cuda.cudaVersion)")
        }
        if let driver = gpu.driverVersion { parts.append("driver \(driver)") }
        if let placement = gpu.placement {
            if let link = placement.pciLinkGBps { parts.append(String(format: "PCIe %.1f GB/s", link)) }
            if !placement.numaNodes.isEmpty { parts.append("near NUMA \(placement.numaNodes.map(String.init).joined(separator: ","))") }
            if let nvlink = placement.nvlinkGBps { parts.append(String(format: "NVLink %.0f GB/s", nvlink)) }
        }
        if let uuid = gpu.uuid { parts.append(uuid) }
        if !gpu.computeBackends.isEmpty { parts.append("via \(gpu.computeBackends.joined(separator: "/"))") }
        var line = parts.joined(separator: ", ")
        if let roofline = gpu.roofline {
            line += String(format: "\n    roofline: copy %.0f GB/s, triad %.0f GB/s, fp32 %.1f TFLOP/s", roofline.copyGBps, roofline.triadGBps, roofline.fp32GFLOPs / 1000)
            if let fp16 = roofline.fp16TensorGFLOPs { line += String(format: ", fp16 mma %.0f TFLOP/s", fp16 / 1000) }
            if let bf16 = roofline.bf16TensorGFLOPs { line += String(format: ", bf16 mma %.0f TFLOP/s", bf16 / 1000) }
        }
        return line
    }

    static func tree(_ node: TopologyNode, depth: Int) -> [String] {
        var label = node.type
        if let index = node.osIndex { label += " P#\(index)" }
        if let detail = node.detail { label += " (\(detail))" }
        let line = String(repeating: "  ", count: depth) + label
        return [line] + node.children.flatMap { tree($0, depth: depth + 1) }
    }

    public static func cacheTable(_ caches: [CacheInfo]) -> TextTable {
        var table = TextTable(header: ["cache", "size", "line", "ways", "shared by PUs", "count"])
        for cache in caches {
            let ways: String = switch cache.associativity {
            case nil: "?"
            case -1: "full"
            case let value?: "\(value)"
            }
            table.add([
                cache.label, ByteCount.format(cache.sizeBytes), cache.lineBytes.map { "\($0) B" } ?? "?",
                ways, "\(cache.sharedByPUs)", "\(cache.count)",
            ])
        }
        return table
    }

    public static func rooflineTable(_ roofline: Roofline) -> TextTable {
        let levels = roofline.points.first?.cacheRead.map(\.level) ?? []
        var table = TextTable(header: ["threads", "FMA GFLOP/s", "copy GB/s", "triad GB/s"] + levels.map { "\($0) read GB/s" })
        for point in roofline.points {
            table.add([
                "\(point.threads)", format(point.peakGFLOPS), format(point.copyGBps), format(point.triadGBps),
            ] + point.cacheRead.map { format($0.GBps) })
        }
        return table
    }

    static func format(_ value: Double) -> String { String(format: "%.1f", value) }
}
