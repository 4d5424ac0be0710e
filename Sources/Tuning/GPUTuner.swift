import CUDALibraries
import Foundation
import GPUKernels
import HardwareProbe
import Kernels
import KernelModel
import Search
import TunebenchCore
import TuningDatabase

/// What a GPU tuning run is asked for.
public struct GPUTuneRequest: Sendable {
    /// The database's layer text, e.g. "gemm m=4096 n=4096 k=4096 fp16 on NVIDIA H200".
    public var layer: String
    public var strategy: String
    public var seed: UInt64
    public var budgetTrials: Int?
    public var budgetSeconds: Double?
    /// Trials measured even when `budgetSeconds` is spent (an autotune's layer whose share of
    /// the time ran out still gets its default and a few more measured).
    public var minimumTrials: Int

    public init(layer: String, strategy: String = "auto", seed: UInt64 = 1, budgetTrials: Int? = nil, budgetSeconds: Double? = nil,
                minimumTrials: Int = 0) {
        self.layer = layer
        self.strategy = strategy
        self.seed = seed
        self.budgetTrials = budgetTrials
        self.budgetSeconds = budgetSeconds
        self.minimumTrials = minimumTrials
    }
}

/// A GPU run's trials and winner.
public struct GPUTuneResult: Sendable {
    public var run: RunRecord
    public var trials: [TrialRecord]
    public var best: BestRecord?
    public var compileStatistics: (hits: Int, compilations: Int)
    /// Why the run ended before its budget, when a configuration faulted and took the CUDA
    /// context with it.
    public var stoppedBecause: String?
    /// The layer's recorded best when it is another kernel's and faster than this run's: kept.
    public var keptBest: BestRecord?
}

/// Tunes one GPU kernel on one device: the default configuration first, then the strategy's
/// proposals, each compiled (NVRTC, cached), validated and timed with CUDA events by
/// `CUDAKernelRunner`. A configuration that does not compile, that the device cannot launch or
/// that computes a wrong result is recorded as a failed trial with its message, as on the CPU,
/// and the search goes on. Runs, trials and the best configuration go into the tuning database
/// under this machine's profile, the kernel named `cuda-…`.
public final class GPUTuner {
    public let profile: HardwareProfile
    public let database: any TuningStore
    public let runner: any GPUTrialMeasuring

    public init(profile: HardwareProfile, database: any TuningStore, runner: any GPUTrialMeasuring) {
        self.profile = profile
        self.database = database
        self.runner = runner
    }

    public func tune(_ family: any GPUKernelFamily, data: any GPUProblemData, request: GPUTuneRequest,
                     progress: (TrialRecord, BestRecord?) -> Void = { _, _ in }) throws -> GPUTuneResult {
        let space = SearchSpace(family.space)
        let validCount = family.allConfigurations().count
        guard validCount > 0 else { throw SearchError(message: "no valid configuration of \(family.kernel) for \(request.layer)") }
        let strategyName = request.strategy == "auto"
            ? (validCount <= (request.budgetTrials ?? Int.max) ? "exhaustive" : "bandit") : request.strategy
        var strategy = try StrategyCatalog.make(strategyName, seed: request.seed, budget: request.budgetTrials, validSize: validCount)
        let profileJSON = String(decoding: try ProfileStore.encode(profile), as: UTF8.self)
        try database.save(profile: ProfileRecord(id: profile.id, name: profile.name, json: profileJSON, addedAt: Timestamp.now()))
        var run = RunRecord(id: UUID().uuidString.lowercased(), profileId: profile.id, layer: request.layer, kernel: family.kernel,
                            strategy: strategyName, seed: Int(truncatingIfNeeded: request.seed), fixed: "",
                            budgetTrials: request.budgetTrials, budgetSeconds: request.budgetSeconds, startedAt: Timestamp.now(),
                            provenance: .current(profile: profile))
        run.buildFlags = runner.compilerDescription
        // An interrupted or stopped run of the same request continues: its trials are kept and
        // not measured again (a configuration that faulted is not tried again).
        var trials: [TrialRecord] = []
        if let existing = try database.resumableRun(like: run) {
            run = existing
            trials = try database.trials(runID: existing.id).sorted { $0.seq < $1.seq }
            try database.mark(runID: existing.id, as: .running)
        } else {
            try database.insert(run: run)
        }

        let started = Date()
        var history: [Trial] = []
        var best: BestRecord?
        var defaultSeconds: Double?
        for trial in trials {
            history.append(Trial(config: Self.searched(try KernelConfig(parsing: trial.config), in: family.space), score: Self.score(trial)))
            if trial.seq == 0, trial.status == .ok { defaultSeconds = trial.medianSeconds }
            best = Self.better(best, trial, profile: profile, request: request, family: family, run: run, defaultSeconds: defaultSeconds)
        }
        var stoppedBecause: String?
        let defaultConfig = family.defaultConfig
        while stoppedBecause == nil {
            if let limit = request.budgetTrials, trials.count >= limit { break }
            if let seconds = request.budgetSeconds, Date().timeIntervalSince(started) >= seconds, trials.count >= request.minimumTrials { break }
            let proposal: (KernelConfig, String)?
            if trials.isEmpty {
                proposal = (defaultConfig, "default")
            } else {
                proposal = strategy.next(in: space, history: history).map { ($0, strategyName) }
            }
            guard let (config, source) = proposal else { break }
            let (trial, lost) = measure(family, config, data: data, run: run, seq: trials.count, source: source)
            if lost {
                stoppedBecause = "\(trial.config) faulted and the CUDA context is lost; its trial is recorded as crashed: run the same command again to resume (measured trials are kept, the faulting one is not tried again)"
            }
            try database.append(trial: trial)
            trials.append(trial)
            history.append(Trial(config: Self.searched(config, in: family.space), score: Self.score(trial)))
            if trial.seq == 0, trial.status == .ok { defaultSeconds = trial.medianSeconds }
            best = Self.better(best, trial, profile: profile, request: request, family: family, run: run, defaultSeconds: defaultSeconds)
            progress(trial, best)
        }
        var keptBest: BestRecord?
        if let best {
            // One layer, two kernels (wgmma and mma.sync on Hopper): the best record holds the
            // faster; a re-tune of the same kernel replaces its own record.
            let existing = try database.best(profileID: profile.id, kernelLibraryVersion: best.kernelLibraryVersion)
                .first { $0.layer == best.layer }
            if let existing, existing.kernel != best.kernel, existing.medianSeconds < best.medianSeconds {
                keptBest = existing
            } else {
                try database.record(best: best)
            }
        }
        if stoppedBecause != nil {
            try database.mark(runID: run.id, as: .interrupted)
            run.status = .interrupted
        } else {
            let finished = Timestamp.now()
            try database.finish(runID: run.id, at: finished)
            run.status = .finished
            run.finishedAt = finished
        }
        return GPUTuneResult(run: run, trials: trials, best: best, compileStatistics: runner.compileStatistics,
                             stoppedBecause: stoppedBecause, keptBest: keptBest)
    }

    /// The configuration as strategies propose it: the searched parameters, the derived ones
    /// computed again, so that a strategy never proposes what its history holds. (Without the
    /// derived ones, a resumed run measured its configurations again, and exhaustive runs their
    /// default twice.)
    static func searched(_ config: KernelConfig, in space: ParameterSpace) -> KernelConfig {
        let names = Set(space.parameters.map(\.name))
        return space.completing(KernelConfig(kernel: config.kernel, values: config.values.filter { names.contains($0.key) }))
    }

    /// A strategy's score: GFLOP/s where the kernel counts flops, else runs per second.
    static func score(_ trial: TrialRecord) -> Double? {
        guard trial.status == .ok, let seconds = trial.medianSeconds else { return nil }
        return trial.gflops ?? 1 / seconds
    }

    /// `best`, or `trial` when it is faster.
    static func better(_ best: BestRecord?, _ trial: TrialRecord, profile: HardwareProfile, request: GPUTuneRequest,
                       family: any GPUKernelFamily, run: RunRecord, defaultSeconds: Double?) -> BestRecord? {
        guard trial.status == .ok, let seconds = trial.medianSeconds, seconds < best?.medianSeconds ?? .infinity else { return best }
        return BestRecord(
            profileId: profile.id, layer: request.layer, kernelLibraryVersion: KernelLibrary.version, kernel: family.kernel,
            config: trial.config, medianSeconds: seconds, gflops: trial.gflops ?? 0, rooflineFraction: nil, margin: nil,
            runnerUpConfig: best?.config, defaultConfig: family.defaultConfig.description,
            speedupOverDefault: defaultSeconds.map { $0 / seconds }, runId: run.id, updatedAt: Timestamp.now()
        )
    }

    /// One trial: measured, or failed with the reason in its message; `lost` when the failure
    /// left the CUDA context unusable.
    func measure(_ family: any GPUKernelFamily, _ config: KernelConfig, data: any GPUProblemData, run: RunRecord,
                 seq: Int, source: String) -> (TrialRecord, lost: Bool) {
        let started = Date()
        let complete = family.space.completing(config)
        var trial = TrialRecord(runId: run.id, seq: seq, config: complete.description, source: source, status: .ok,
                                measuredAt: Timestamp.now(), wallSeconds: 0)
        do {
            let result = try runner.measure(family, config, data: data)
            trial.medianSeconds = result.milliseconds / 1000
            trial.minSeconds = result.minimumMilliseconds / 1000
            trial.samples = runner.samples
            trial.gflops = family.flops > 0 ? result.gflops : nil
            trial.relativeError = result.validation.relativeError
            trial.message = "\(result.registers) registers, \(result.localBytes) B spilled, \(String(format: "%.0f", result.gigabytesPerSecond)) GB/s"
            if let joules = result.joulesPerRun {
                // The counters column holds per-run readings as JSON, as CPU trials' PAPI counts.
                trial.counters = String(format: "{\"gpu-energy-joules\":%.6g}", joules)
                trial.message! += String(format: ", %.3g J per run", joules)
            }
        } catch let error as GPUError {
            trial.status = error.code == .wrongResult ? .wrongResult : error.code == .contextLost ? .crashed : .invalid
            trial.message = error.message
        } catch {
            trial.status = .invalid
            trial.message = "\(error)"
        }
        trial.wallSeconds = Date().timeIntervalSince(started)
        return (trial, trial.status == .crashed)
    }
}
