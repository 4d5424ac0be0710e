import Foundation
import HardwareProbe
import Kernels
import TunebenchCore
import TuningDatabase

/// Re-measures the recorded best configurations of this machine's profile and flags drift:
/// tuning is continuous, and a configuration that got slower (a kernel change, a firmware or
/// kernel update, a noisy neighbour) must be seen. Each best is raced interleaved with the
/// analytical default, so both the absolute time and the speed-up over the default (a ratio
/// measured in one run, robust to the machine's drift) are compared with the record.
public struct Verifier {
    public struct Check: Sendable {
        public enum Status: String, Sendable { case ok, slower, failed }
        public var best: BestRecord
        public var nowSeconds: Double?
        public var nowSpeedupOverDefault: Double?
        public var status: Status
        public var message: String

        /// Time now over recorded time (1.2: 20% slower than recorded).
        public var slowdown: Double? { nowSeconds.map { $0 / best.medianSeconds } }
    }

    public let profile: HardwareProfile
    public let database: any TuningStore
    public let runner: any TrialRunner

    public init(profile: HardwareProfile, database: any TuningStore, runner: any TrialRunner) {
        self.profile = profile
        self.database = database
        self.runner = runner
    }

    /// - Parameters:
    ///   - margin: a best is flagged when it now takes more than (1 + margin) x its recorded
    ///     time, or its speed-up over the default fell below recorded / (1 + margin).
    ///   - layerContaining: only layers whose key contains this text.
    /// - Throws: when the database has no best configuration of this profile to check.
    public func run(margin: Double = 0.15, rounds: Int = 5, layerContaining filter: String? = nil,
                    settings: TrialSettings = TrialSettings(), progress: (Int, Int, BestRecord) -> Void = { _, _, _ in }) throws -> [Check] {
        // GPU records are checked on their GPU (`tune --gpu` again), not by this CPU race.
        let records = try database.best(profileID: profile.id, kernelLibraryVersion: KernelLibrary.version)
            .filter { (filter.map($0.layer.contains) ?? true) && !GPUDefaults.isGPUKernel($0.kernel) }
        guard !records.isEmpty else {
            throw FileError(path: database.address, message: "has no best configuration of profile \(profile.id) for kernel library \(KernelLibrary.version)"
                            + (filter.map { " with a layer containing \"\($0)\"" } ?? ""))
        }
        let limits = MachineSizes(profile: profile)
        var checks: [Check] = []
        for (index, best) in records.enumerated() {
            progress(index + 1, records.count, best)
            do {
                guard let kernel = KernelKind(rawValue: best.kernel) else { throw KernelError.invalidConfig("unknown kernel \"\(best.kernel)\"") }
                let problem = try KernelProblem(key: best.layer, kernel: kernel)
                let configs = [try KernelConfig(parsing: best.config), try KernelConfig(parsing: best.defaultConfig)]
                let race = try runner.race(problem, limits: limits, configs: configs, rounds: rounds, settings: settings)
                let now = race.statistics[0].median
                let speedup = race.timeRatios.count > 1 ? race.timeRatios[1] : nil
                var reasons: [String] = []
                if now > best.medianSeconds * (1 + margin) {
                    reasons.append(String(format: "%.0f%% slower than recorded", (now / best.medianSeconds - 1) * 100))
                }
                if let recorded = best.speedupOverDefault, let speedup, speedup < recorded / (1 + margin) {
                    reasons.append(String(format: "speed-up over the default %.2fx, recorded %.2fx", speedup, recorded))
                }
                checks.append(Check(best: best, nowSeconds: now, nowSpeedupOverDefault: speedup,
                                    status: reasons.isEmpty ? .ok : .slower, message: reasons.joined(separator: "; ")))
            } catch {
                checks.append(Check(best: best, nowSeconds: nil, nowSpeedupOverDefault: nil, status: .failed, message: "\(error)"))
            }
        }
        return checks
    }
}
