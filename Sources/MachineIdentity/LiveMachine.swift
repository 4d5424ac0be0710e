import Foundation
import TunebenchCore

/// What identifies the live machine, quickly: topology, CPU identity and GPUs as PCI devices,
/// without the counter inventory, measured frequencies or build. Enough for a deployment's
/// fingerprint and caches (TunebenchRuntime); `HardwareProbe.probeLiveMachine` adds the rest and
/// gives the same fingerprint.
public enum LiveMachine {
    public static func identify() throws -> HardwareProfile {
        let live = try Parts()
        return assemble(
            source: ProbeSource(kind: .live), cpu: live.cpu, topology: live.info, frequency: CPUFrequency.fromCPUKinds(live.info.cpuKinds),
            gpus: live.topology.pciGPUs(), system: live.system, counters: .notProbed, build: .unrecorded
        )
    }

    /// The live machine's topology, OS and CPU identity: what every probe starts from.
    public struct Parts {
        public let topology: HwlocTopology
        public let info: TopologyInfo
        public let system: SystemInfo
        public let cpu: CPUIdentity

        public init() throws {
            topology = try HwlocTopology()
            info = topology.topologyInfo()
            system = SystemInfo.live()
            #if arch(x86_64) || arch(i386)
            cpu = CPUIdentity.fromCPUID() ?? CPUIdentity.fromHwloc(topology)
            #else
            cpu = CPUIdentity.fromARM(cpuinfo: ProcCPUInfo.read(), hwloc: topology)
            #endif
        }
    }

    /// A profile from its parts, with its fingerprint and human name.
    public static func assemble(
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

extension CPUIdentity {
    /// The identity an hwloc topology's info attributes give (an XML export, or a CPU cpuid
    /// does not describe); the ISA is unknown there.
    public static func fromHwloc(_ topology: HwlocTopology) -> CPUIdentity {
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
}
