import HardwareProbe
import Kernels

/// `tunebench race`: configurations of one problem raced interleaved in this process (A B C,
/// C B A …), each as a full configuration text or overrides of the default.
public struct ConfigurationRace: Sendable {
    public var problem: KernelProblem
    public var configs: [KernelConfig]
    public var rounds: Int
    public var profileID: String
    public var outcome: RaceOutcome
    /// FLOPs of one run, for GFLOP/s.
    public var flops: Double

    /// - Parameter configs: "gemm kc=256,…" (as `tune` prints) or "mr=6,nr=16" (over the default).
    public static func run(_ problem: KernelProblem, configs texts: [String], rounds: Int, profile: HardwareProfile,
                           settings: TrialSettings) throws -> ConfigurationRace {
        let limits = MachineSizes(profile: profile)
        let kernel = try KernelCatalog.kernel(for: problem, limits: limits)
        let configs = try texts.map { text in
            text.hasPrefix(kernel.name + " ") ? try KernelConfig(parsing: text) : try kernel.defaultConfig.applying(overrides: text)
        }
        let outcome = try InProcessTrialRunner(topology: try HwlocTopology())
            .race(problem, limits: limits, configs: configs, rounds: rounds, settings: settings)
        return ConfigurationRace(problem: problem, configs: configs, rounds: rounds, profileID: profile.id, outcome: outcome, flops: kernel.flops)
    }
}
