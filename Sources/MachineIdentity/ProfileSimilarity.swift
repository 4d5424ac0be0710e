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
}
