import Foundation
import HardwareProbe
import Kernels
import Search
import TuningDatabase

/// The configurations a search measures first: the analytical model's choice (BLIS-style
/// blocking from the profile's caches, the kernel's default) and its alternatives (the
/// dot-product kernels of int8/int4 weights), then transfer: the best
/// configurations recorded for the most similar profiles and shapes of the same kernel and
/// kernel-library version.
public struct SeedConfigurations {
    public struct Seed: Sendable, Equatable {
        public var config: KernelConfig
        /// "analytical", or "transfer:<profile id>:<layer>".
        public var source: String
    }

    public let space: SearchSpace
    public let fixed: String

    public init(space: SearchSpace, fixed: String) {
        self.space = space
        self.fixed = fixed
    }

    /// The configuration with the fixed parameters imposed, if that is valid in the space.
    public func adapted(_ config: KernelConfig) -> KernelConfig? {
        guard let adapted = try? config.applying(overrides: fixed), space.isValid(adapted), space.index(of: adapted) != nil else { return nil }
        return adapted
    }

    public func analytical(_ kernel: any TunableKernel) -> Seed? {
        adapted(kernel.defaultConfig).map { Seed(config: $0, source: "analytical") }
    }

    /// The kernel's other analytical choices (another path or arithmetic), valid here.
    public func alternatives(_ kernel: any TunableKernel) -> [Seed] {
        kernel.alternativeDefaults.compactMap(adapted).map { Seed(config: $0, source: "analytical") }
    }

    /// Up to `limit` distinct valid configurations from `best`, nearest first (a different
    /// machine counts more than a different shape).
    public func transfer(from best: [BestRecord], profiles: [String: HardwareProfile], current: HardwareProfile,
                         problem: KernelProblem, kernel: any TunableKernel, limit: Int = 3) -> [Seed] {
        let ranked = best.filter { $0.kernel == problem.kernel.rawValue && $0.kernelLibraryVersion == KernelLibrary.version }
            .compactMap { record -> (BestRecord, Double)? in
                guard let recorded = try? KernelProblem(key: record.layer, kernel: problem.kernel) else { return nil }
                let machine = record.profileId == current.id ? 0 : profiles[record.profileId].map { ProfileSimilarity.distance(current, $0) } ?? 20
                return (record, 2 * machine + problem.distance(to: recorded))
            }
            .sorted { ($0.1, $0.0.layer) < ($1.1, $1.0.layer) }
        var seeds: [Seed] = []
        for (record, _) in ranked where seeds.count < limit {
            guard let parsed = try? KernelConfig(parsing: record.config) else { continue }
            // Parameters this space lacks are dropped, ones it adds keep the default's value.
            var merged = kernel.defaultConfig
            for (name, value) in parsed.values where space.space.parameters.contains(where: { $0.name == name }) { merged.values[name] = value }
            guard let config = adapted(merged),
                  !seeds.contains(where: { $0.config == config }) else { continue }
            seeds.append(Seed(config: config, source: "transfer:\(record.profileId):\(record.layer)"))
        }
        return seeds
    }
}
