import Counters
import Foundation

/// Builds a `HardwareProfile` of this machine, or of the machine an hwloc XML export describes.
public enum HardwareProbe {
    /// Probes the live machine: hwloc topology, cpuid/HWCAP, cpufreq, GPUs (PCI + NVML), OS,
    /// build and the PAPI counter inventory.
    public static func probeLiveMachine(build: BuildTarget = .unrecorded) throws -> HardwareProfile {
        let live = try LiveIdentity()
        return assemble(
            source: ProbeSource(kind: .live), cpu: live.cpu, topology: live.info,
            frequency: CPUFrequency.probe(cpuKinds: live.info.cpuKinds), gpus: gpus(of: live.topology), system: live.system,
            counters: CounterInventory.probe(), build: build
        )
    }

    /// What identifies the live machine, quickly: topology, CPU identity and GPUs, without
    /// the counter inventory, frequencies or build (for the runtime library: its fingerprint
    /// and caches). Same fingerprint as `probeLiveMachine`.
    public static func identifyLiveMachine() throws -> HardwareProfile {
        let live = try LiveIdentity()
        return assemble(
            source: ProbeSource(kind: .live), cpu: live.cpu, topology: live.info, frequency: CPUFrequency.fromCPUKinds(live.info.cpuKinds),
            gpus: gpus(of: live.topology), system: live.system, counters: .notProbed, build: .unrecorded
        )
    }

    /// The live machine's topology, OS and CPU identity: what both probes start from.
    struct LiveIdentity {
        let topology: HwlocTopology
        let info: TopologyInfo
        let system: SystemInfo
        let cpu: CPUIdentity

        init() throws {
            topology = try HwlocTopology()
            info = topology.topologyInfo()
            system = SystemInfo.live()
            #if arch(x86_64) || arch(i386)
            cpu = CPUIdentity.fromCPUID() ?? HardwareProbe.identityFromHwloc(topology)
            #else
            cpu = CPUIdentity.fromARM(cpuinfo: ProcCPUInfo.read(), hwloc: topology)
            #endif
        }
    }

    /// PCI GPUs, with NVML's details where the driver library is present.
    static func gpus(of topology: HwlocTopology) -> [GPUInfo] {
        var gpus = topology.pciGPUs()
        if let nvml = NVMLLibrary() {
            let driver = nvml.driverVersion
            for device in nvml.devices() {
                if let index = gpus.firstIndex(where: { $0.pciBusID == device.pciBusID }) {
                    gpus[index].enrich(from: device, driverVersion: driver)
                }
            }
        }
        return gpus
    }

    /// A profile of the machine an hwloc XML export describes. CPU identity comes from the
    /// export's info attributes; the ISA is unknown (an export does not record it) and counters
    /// are not probed.
    public static func probe(topologyFile path: String, build: BuildTarget = .unrecorded) throws -> HardwareProfile {
        let topology = try HwlocTopology(xmlFile: path)
        let info = topology.topologyInfo()
        return assemble(
            source: ProbeSource(kind: .hwlocXML, path: path), cpu: identityFromHwloc(topology),
            topology: info, frequency: CPUFrequency.fromCPUKinds(info.cpuKinds), gpus: topology.pciGPUs(),
            system: SystemInfo.fromXML(topology), counters: .notProbed, build: build
        )
    }

    static func identityFromHwloc(_ topology: HwlocTopology) -> CPUIdentity {
        // ARM exports name the implementer and, per CPU kind, the part instead of a model.
        let implementer = topology.packageInfo("CPUImplementer").map(ARMImplementer.name)
        let parts = topology.cpuKinds().compactMap { $0.info["CPUPart"] }
        let armModel = parts.isEmpty ? nil : "\(implementer ?? "ARM") part \(parts.joined(separator: " + "))"
        return CPUIdentity(
            vendor: topology.packageInfo("CPUVendor") ?? implementer,
            modelName: topology.packageInfo("CPUModel") ?? armModel,
            family: topology.packageInfo("CPUFamilyNumber").flatMap { Int($0) },
            model: topology.packageInfo("CPUModelNumber").flatMap { Int($0) },
            stepping: topology.packageInfo("CPUStepping").flatMap { Int($0) },
            isa: [], isaSource: "unknown"
        )
    }

    static func assemble(
        source: ProbeSource, cpu: CPUIdentity, topology: TopologyInfo, frequency: CPUFrequency,
        gpus: [GPUInfo], system: SystemInfo, counters: CounterInventory, build: BuildTarget
    ) -> HardwareProfile {
        let id = Fingerprint.compute(cpu: cpu, topology: topology, gpus: gpus, architecture: system.architecture)
        return HardwareProfile(
            id: id, name: humanName(cpu: cpu, topology: topology), probedAt: Timestamp.now(),
            source: source, cpu: cpu, topology: topology, frequency: frequency, gpus: gpus,
            system: system, software: .current(papiVersion: counters.papiVersion, build: build), counters: counters
        )
    }

    /// e.g. "AMD EPYC 7B13, 2 cores" or "2x Intel Xeon E5-2650, 16 cores, 32 threads".
    static func humanName(cpu: CPUIdentity, topology: TopologyInfo) -> String {
        let model = cpu.modelName ?? cpu.vendor ?? "unknown CPU"
        let packages = topology.packages > 1 ? "\(topology.packages)x " : ""
        let threads = topology.pus != topology.cores ? ", \(topology.pus) threads" : ""
        return "\(packages)\(model), \(topology.cores) cores\(threads)"
    }
}

enum Timestamp {
    static func now() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date())
    }
}
