import Crypto
import Foundation

/// The stable identity of a machine's hardware: a hash of CPU identity, ISA, cache hierarchy,
/// counts and GPU models. Never hostname, memory size (VMs change it), clocks or kernel version,
/// so two probes of one machine give one id and a changed cache gives another.
public enum Fingerprint {
    /// Hex characters kept from the SHA-256: 64 bits, ample for a fleet.
    static let length = 16

    public static func compute(cpu: CPUIdentity, topology: TopologyInfo, gpus: [GPUInfo], architecture: String) -> String {
        let identity = Identity(
            architecture: architecture,
            vendor: cpu.vendor, modelName: cpu.modelName,
            family: cpu.family, model: cpu.model, stepping: cpu.stepping, isa: cpu.isa.sorted(),
            packages: topology.packages, numaNodes: topology.numaNodes.count,
            cores: topology.cores, pus: topology.pus,
            caches: topology.caches.map {
                "\($0.label) size=\($0.sizeBytes) line=\($0.lineBytes ?? 0) ways=\($0.associativity ?? 0) shared=\($0.sharedByPUs) x\($0.count)"
            }.sorted(),
            cpuKinds: topology.cpuKinds.map { "\($0.efficiency):\($0.pus):\($0.info["CoreType"] ?? "")" }.sorted(),
            // PCI ids, not names (the name depends on whether NVML loaded), plus the compute
            // capability, SMs and memory where known; never clocks or driver (GPUInfo.fingerprintText).
            gpus: gpus.map(\.fingerprintText).sorted()
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding a struct of strings and integers cannot fail.
        let data = (try? encoder.encode(identity)) ?? Data()
        return SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined().prefix(length).description
    }

    public static func compute(_ profile: HardwareProfile) -> String {
        compute(cpu: profile.cpu, topology: profile.topology, gpus: profile.gpus, architecture: profile.system.architecture)
    }

    private struct Identity: Encodable {
        let architecture: String
        let vendor: String?
        let modelName: String?
        let family: Int?
        let model: Int?
        let stepping: Int?
        let isa: [String]
        let packages: Int
        let numaNodes: Int
        let cores: Int
        let pus: Int
        let caches: [String]
        let cpuKinds: [String]
        let gpus: [String]
    }
}
