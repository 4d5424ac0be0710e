import Foundation

/// How far apart two machines are for the purpose of reusing tuned configurations (docs/DESIGN.md's
/// "most similar profile"): the same vector ISA class first, then cache sizes and core count
/// on a log scale. 0 for the same fingerprint.
public enum ProfileSimilarity {
    public static func distance(_ a: HardwareProfile, _ b: HardwareProfile) -> Double {
        if a.id == b.id { return 0 }
        var distance = isaClass(a) == isaClass(b) ? 0.0 : 8.0
        for level in 1...3 {
            if let x = cacheBytes(a, level: level), let y = cacheBytes(b, level: level) {
                distance += abs(log2(Double(x) / Double(y))) * (level == 3 ? 0.5 : 1)
            } else {
                distance += 1
            }
        }
        distance += 0.5 * abs(log2(Double(max(1, a.topology.cores)) / Double(max(1, b.topology.cores))))
        return distance + 0.01 // never 0 for a different machine
    }

    /// The widest vector instruction set the profile reports.
    public static func isaClass(_ profile: HardwareProfile) -> String {
        let isa = Set(profile.cpu.isa)
        for name in ["avx512f", "avx2", "sve", "neon", "sse2"] where isa.contains(name) { return name }
        return profile.system.architecture
    }

    static func cacheBytes(_ profile: HardwareProfile, level: Int) -> UInt64? {
        profile.topology.caches.filter { $0.level == level && ($0.type == .data || $0.type == .unified) }.map(\.sizeBytes).min()
    }

    /// The GPU a profile's GPU records are for: its first CUDA device (one with a compute
    /// capability). Nil when the profile lists none.
    public static func cudaGPU(_ profile: HardwareProfile) -> GPUInfo? {
        profile.gpus.first { $0.computeCapability != nil }
    }

    /// How far apart two machines' GPUs are for reusing GPU configurations: nil unless both
    /// have a CUDA GPU of the same architecture family (compute capability major: the same
    /// tensor-core instructions and shared-memory limits); then SM count and memory size on a
    /// log scale, and 0.5 for another minor revision.
    public static func gpuDistance(_ a: HardwareProfile, _ b: HardwareProfile) -> Double? {
        guard let x = cudaGPU(a), let y = cudaGPU(b), let capabilityA = x.computeCapability, let capabilityB = y.computeCapability,
              capabilityA.split(separator: ".").first == capabilityB.split(separator: ".").first else { return nil }
        var distance = capabilityA == capabilityB ? 0.0 : 0.5
        if let smsA = x.multiprocessors, let smsB = y.multiprocessors {
            distance += abs(log2(Double(max(1, smsA)) / Double(max(1, smsB))))
        } else {
            distance += 1
        }
        if let memoryA = x.memoryBytes, let memoryB = y.memoryBytes, memoryA > 0, memoryB > 0 {
            distance += 0.5 * abs(log2(Double(memoryA) / Double(memoryB)))
        } else {
            distance += 0.5
        }
        return a.id == b.id ? 0 : distance + 0.01
    }
}
