import Counters
import CUDALibraries
import Foundation

@_exported import MachineIdentity

/// Builds a full `HardwareProfile` of this machine, or of the machine an hwloc XML export
/// describes: the identity of `LiveMachine` plus the PAPI counter inventory, frequencies and
/// NVML's GPU details.
public enum HardwareProbe {
    /// Probes the live machine: hwloc topology, cpuid/HWCAP, cpufreq, GPUs (PCI + NVML), OS,
    /// build and the PAPI counter inventory.
    public static func probeLiveMachine(build: BuildTarget = .unrecorded) throws -> HardwareProfile {
        let live = try LiveMachine.Parts()
        return LiveMachine.assemble(
            source: ProbeSource(kind: .live), cpu: live.cpu, topology: live.info,
            frequency: CPUFrequency.probe(cpuKinds: live.info.cpuKinds), gpus: gpus(of: live.topology), system: live.system,
            counters: CounterInventory.probe(), build: build
        )
    }

    /// This machine's saved profile in `store` (it carries the measured roofline), else a fresh probe.
    public static func currentMachine(store: ProfileStore, build: BuildTarget) throws -> HardwareProfile {
        let live = try probeLiveMachine(build: build)
        return (try? store.load(store.path(for: live.id))) ?? live
    }

    /// PCI GPUs, with NVML's and the CUDA driver's details where the driver's libraries are present.
    static func gpus(of topology: HwlocTopology) -> [GPUInfo] {
        var gpus = topology.pciGPUs()
        let nvml = NVMLLibrary()
        let nvmlDevices = nvml?.devices() ?? []
        if let driver = try? CUDADriver.shared(), let devices = try? driver.devices() {
            addCUDADevices(devices, to: &gpus, migBuses: Set(nvmlDevices.filter { $0.migEnabled == true }.map(\.pciBusID)))
        }
        let driver = nvml?.driverVersion
        for device in nvmlDevices {
            // Every MIG instance at the address (below) takes the GPU's driver version.
            for index in gpus.indices where gpus[index].pciBusID == device.pciBusID {
                gpus[index].enrich(from: device, driverVersion: driver)
            }
        }
        return gpus
    }

    /// The topology of an hwloc XML export, a broken file's error located by libxml2.
    public static func topology(xmlFile path: String) throws -> HwlocTopology {
        try HwlocTopology(xmlFile: path, diagnose: XMLSyntaxCheck.firstError(inFile:))
    }

    /// A profile of the machine an hwloc XML export describes. CPU identity comes from the
    /// export's info attributes; the ISA is unknown (an export does not record it) and counters
    /// are not probed.
    public static func probe(topologyFile path: String, build: BuildTarget = .unrecorded) throws -> HardwareProfile {
        let topology = try topology(xmlFile: path)
        let info = topology.topologyInfo()
        return LiveMachine.assemble(
            source: ProbeSource(kind: .hwlocXML, path: path), cpu: CPUIdentity.fromHwloc(topology),
            topology: info, frequency: CPUFrequency.fromCPUKinds(info.cpuKinds), gpus: topology.pciGPUs(),
            system: SystemInfo.fromXML(topology), counters: .notProbed, build: build
        )
    }
}
