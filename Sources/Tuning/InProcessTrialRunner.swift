import HardwareProbe
import Kernels
import Measurement

/// Measures configurations in this process, on hwloc-pinned thread teams. The worker process
/// runs one of these; `tune --no-isolation` uses one directly (faster to start, but a crashing
/// configuration takes the run down).
public final class InProcessTrialRunner: TrialRunner {
    let topology: HwlocTopology
    /// One team per size, kept: starting threads per trial would be measured noise.
    private var teams: [Int: ParallelTeam] = [:]

    public init(topology: HwlocTopology) {
        self.topology = topology
    }

    func team(size: Int) -> ParallelTeam {
        if let team = teams[size] { return team }
        let team = PinnedTeam.make(size: size, topology: topology)
        teams[size] = team
        return team
    }

    public func measure(_ problem: KernelProblem, limits: MachineSizes, config: KernelConfig, settings: TrialSettings) -> TrialOutcome {
        do {
            let kernel = try KernelCatalog.kernel(for: problem, limits: limits)
            let violations = kernel.space.violations(config)
            guard violations.isEmpty else { return .failed(.invalid, violations.joined(separator: "; ")) }
            let team = team(size: max(1, config.int("threads") ?? 1))
            let instance = try kernel.instantiate(config, team: team)
            let measurement = try KernelMeasurer(options: settings.measurementOptions, team: team).measure(instance)
            return TrialOutcome(status: .ok, statistics: measurement.statistics, runsPerSample: measurement.runsPerSample,
                                converged: measurement.converged, relativeError: measurement.validation.relativeError,
                                counters: measurement.counters.isEmpty ? nil : measurement.counters)
        } catch MeasurementError.wrongResult(let validation) {
            return TrialOutcome(status: .wrongResult, relativeError: validation.relativeError, message: "wrong result: \(validation)")
        } catch let error as KernelError {
            return .failed(.invalid, error.message)
        } catch {
            return .failed(.invalid, "\(error)")
        }
    }

    public func race(_ problem: KernelProblem, limits: MachineSizes, configs: [KernelConfig], rounds: Int,
                     settings: TrialSettings) throws -> RaceOutcome {
        let kernel = try KernelCatalog.kernel(for: problem, limits: limits)
        let team = team(size: configs.map { max(1, $0.int("threads") ?? 1) }.max() ?? 1)
        let measurer = KernelMeasurer(options: settings.measurementOptions, team: team)
        var instances: [any KernelInstance] = []
        var runs: [Int] = []
        for config in configs {
            let instance = try kernel.instantiate(config, team: team)
            instance.run()
            let validation = instance.validate()
            guard validation.passed else { throw MeasurementError.wrongResult(validation) }
            instances.append(instance)
            runs.append(measurer.warmUpAndCalibrateRuns(instance))
        }
        // Warm: each sample as the trials measured it (a decode layer's weights fill most of L3, and
        // a cold race of kernels all reading from DRAM picked among ties at random: on Zen 4 it
        // chose the fp32 dot loops for a bf16 layer `vdpbf16ps` ran 1.5x as fast).
        let comparison = InterleavedComparison.run(instances.map { instance in { instance.run() } }, runsPerSample: runs, rounds: rounds,
                                                   warmUp: true)
        return RaceOutcome(statistics: comparison.statistics, timeRatios: comparison.ratios.map(\.timeRatio), rounds: rounds)
    }
}
