import Benchmarks
import Foundation
import HardwareProbe
import Kernels
import Measurement
import Search
import TuningDatabase

/// Tunes one layer on this machine: seeds, then a search strategy, each trial measured by the
/// runner (isolated in a worker process by default) and written to the database as it
/// completes; stops on the trial or time budget, patience, or nearness to the roofline; races
/// the finalists and the default interleaved and records the winner with its margin.
///
/// An interrupted run (Ctrl-C, kill -9) is resumed by the next call with the same key: the
/// strategy is replayed from its seed, and every configuration it proposes that the run had
/// already measured takes its recorded result instead of being measured again.
public struct Tuner {
    public let profile: HardwareProfile
    public let database: any TuningStore
    public let runner: any TrialRunner
    public let clock: @Sendable () -> Double

    public init(profile: HardwareProfile, database: any TuningStore, runner: any TrialRunner,
                clock: @escaping @Sendable () -> Double = MonotonicClock.seconds) {
        self.profile = profile
        self.database = database
        self.runner = runner
        self.clock = clock
    }

    public func tune(_ request: TuneRequest, progress: (TuneProgress) -> Void = { _ in }) throws -> TuneResult {
        let limits = HardwareLimits(profile: profile)
        let kernel = try request.problem.make(limits: limits)
        let fixed = try KernelConfig(kernel: kernel.name).applying(overrides: request.fixed).description
            .split(separator: " ", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
        let space = SearchSpace(try kernel.space.fixing(fixed))
        let validSize = space.validSize()
        guard validSize.count > 0 || !validSize.exact else { throw SearchError(message: "no valid configuration of \(kernel.signature) with \(fixed)") }
        var strategy = try StrategyCatalog.make(request.strategy, seed: request.seed, budget: request.budgetTrials, validSize: validSize.count)

        let profileJSON = String(decoding: try ProfileStore.encode(profile), as: UTF8.self)
        try database.save(profile: ProfileRecord(id: profile.id, name: profile.name, json: profileJSON, addedAt: Timestamp.now()))
        var run = RunRecord(id: UUID().uuidString.lowercased(), profileId: profile.id, layer: kernel.signature, kernel: kernel.name,
                            strategy: request.strategy, seed: Int(truncatingIfNeeded: request.seed), fixed: fixed,
                            budgetTrials: request.budgetTrials, budgetSeconds: request.budgetSeconds, startedAt: Timestamp.now(),
                            provenance: .current(profile: profile))
        var earlier: [String: TrialRecord] = [:]
        var resumed = false
        if request.resume, let existing = try database.resumableRun(like: run), existing.host == run.host || request.resumeOtherHosts {
            run = existing
            resumed = true
            for trial in try database.trials(runID: existing.id) where earlier[trial.config] == nil { earlier[trial.config] = trial }
        } else {
            try database.insert(run: run)
        }
        var nextSeq = (earlier.values.map(\.seq).max() ?? -1) + 1

        let seeding = SeedConfigurations(space: space, fixed: fixed)
        let defaultConfig = seeding.adapted(kernel.defaultConfig)
        let seeds = request.useSeeds ? try self.seeds(seeding, kernel: kernel, runID: run.id) : []

        var records: [TrialRecord] = []
        var history: [Trial] = []
        var reused = 0
        var best: TrialRecord?
        var sinceImprovement = 0
        // The time budget is wall time: measuring, proposing and recording all count. Trials
        // reused from an interrupted run count with the time they took then.
        let started = clock()
        var reusedSeconds = 0.0
        var spent: Double { clock() - started + reusedSeconds }
        let stopReason: TuneResult.StopReason
        let bound = defaultConfig.flatMap { RooflineBound(profile: profile, kernel: kernel, config: $0) }
        while true {
            if let budget = request.budgetTrials, history.count >= budget { stopReason = .budget; break }
            // A time budget always allows one trial (the analytical seed): a layer whose share of
            // an autotune's time ran out still gets a measured configuration.
            if let seconds = request.budgetSeconds, spent >= seconds, !history.isEmpty { stopReason = .time; break }
            if let patience = request.patience, sinceImprovement >= patience { stopReason = .patience; break }
            if let fraction = request.stopAtRooflineFraction, let reached = best?.rooflineFraction, reached >= fraction { stopReason = .roofline; break }
            let config: KernelConfig
            let source: String
            if let seed = seeds.first(where: { seed in !history.contains { $0.config == seed.config } }) {
                (config, source) = (seed.config, seed.source)
            } else if let proposal = strategy.next(in: space, history: history) {
                (config, source) = (proposal, strategy.name)
            } else {
                stopReason = .exhausted
                break
            }
            let record: TrialRecord
            let wasReused: Bool
            if let old = earlier[config.description] {
                record = old
                wasReused = true
                reused += 1
                reusedSeconds += old.wallSeconds
            } else {
                record = measure(config, source: source, kernel: kernel, problem: request.problem, limits: limits, request: request,
                                 runID: run.id, seq: nextSeq)
                nextSeq += 1
                try checkOwnership(request)
                try database.append(trial: record)
                wasReused = false
            }
            records.append(record)
            history.append(Trial(config: config, score: record.status == .ok ? record.gflops : nil))
            if record.status == .ok, let gflops = record.gflops {
                if gflops > (best?.gflops ?? 0) * 1.01 { sinceImprovement = 0 } else { sinceImprovement += 1 }
                if gflops > (best?.gflops ?? 0) { best = record }
            } else {
                sinceImprovement += 1
            }
            progress(TuneProgress(trial: history.count, budget: request.budgetTrials, record: record, reused: wasReused,
                                  bestGFLOPS: best?.gflops, bestRooflineFraction: best?.rooflineFraction, elapsedSeconds: spent,
                                  etaSeconds: eta(request: request, done: history.count, spent: spent)))
        }

        var result = TuneResult(runID: run.id, layer: kernel.signature, resumed: resumed, trials: records, reusedTrials: reused,
                                stopReason: stopReason, validSpaceSize: validSize.count, validSpaceSizeIsEstimate: !validSize.exact, best: nil,
                                defaultGFLOPS: records.first { $0.config == defaultConfig?.description && $0.status == .ok }?.gflops,
                                boundGFLOPS: bound?.gflops, boundKind: bound?.description, workerRestarts: (runner as? WorkerProcess)?.restarts ?? 0)
        if best != nil {
            let winner = try raceFinalists(records, defaultConfig: defaultConfig, kernel: kernel, request: request, limits: limits, run: run)
            try checkOwnership(request)
            try database.record(best: winner)
            result.best = winner
            // The bound that applies to the winner (its thread count, its bytes).
            if let config = try? KernelConfig(parsing: winner.config), let winnerBound = RooflineBound(profile: profile, kernel: kernel, config: config) {
                result.boundGFLOPS = winnerBound.gflops
                result.boundKind = winnerBound.description
            }
        }
        try database.finish(runID: run.id, at: Timestamp.now())
        return result
    }

    private func checkOwnership(_ request: TuneRequest) throws {
        if let stillOwned = request.stillOwned, try !stillOwned() {
            throw TuneInterrupted(message: "another tuner took over \(request.problem.kernel) \(request.problem.shape) \(request.problem.precision.rawValue)")
        }
    }

    /// The analytical configuration, then the transfer seeds from the database's best
    /// configurations (a resumed run's own result excluded: the replay must propose what it did).
    private func seeds(_ seeding: SeedConfigurations, kernel: any TunableKernel, runID: String) throws -> [SeedConfigurations.Seed] {
        var seeds: [SeedConfigurations.Seed] = []
        if let analytical = seeding.analytical(kernel) { seeds.append(analytical) }
        let profiles = Dictionary(try database.profiles().compactMap { record in
            (try? ProfileStore.decode(Data(record.json.utf8), file: "profile \(record.id) in \(database.address)")).map { (record.id, $0) }
        }, uniquingKeysWith: { first, _ in first })
        let best = try database.best().filter { $0.runId != runID }
        for seed in seeding.transfer(from: best, profiles: profiles, current: profile, kernel: kernel)
            where !seeds.contains(where: { $0.config == seed.config }) { seeds.append(seed) }
        return seeds
    }

    private func measure(_ config: KernelConfig, source: String, kernel: any TunableKernel, problem: KernelProblem, limits: HardwareLimits,
                         request: TuneRequest, runID: String, seq: Int) -> TrialRecord {
        let started = clock()
        let outcome = runner.measure(problem, limits: limits, config: config, settings: request.settings)
        var record = TrialRecord(runId: runID, seq: seq, config: config.description, source: source, status: outcome.status,
                                 measuredAt: Timestamp.now(), wallSeconds: clock() - started)
        record.message = outcome.message
        record.relativeError = outcome.relativeError
        if let statistics = outcome.statistics {
            record.medianSeconds = statistics.median
            record.minSeconds = statistics.min
            record.ciLowSeconds = statistics.medianLow
            record.ciHighSeconds = statistics.medianHigh
            record.cv = statistics.cv
            record.samples = statistics.count
            record.runsPerSample = outcome.runsPerSample
            record.converged = outcome.converged
            let gflops = kernel.flops / statistics.median / 1e9
            record.gflops = gflops
            record.rooflineFraction = RooflineBound(profile: profile, kernel: kernel, config: config).map { gflops / $0.gflops }
        }
        if let counters = outcome.counters, let data = try? JSONEncoder().encode(counters) {
            record.counters = String(decoding: data, as: UTF8.self)
        }
        return record
    }

    private func eta(request: TuneRequest, done: Int, spent: Double) -> Double? {
        var estimates: [Double] = []
        if let budget = request.budgetTrials, done > 0 { estimates.append(spent / Double(done) * Double(max(0, budget - done))) }
        if let seconds = request.budgetSeconds { estimates.append(max(0, seconds - spent)) }
        return estimates.min()
    }

    /// The top distinct configurations by search score, raced interleaved with the default;
    /// the fastest in the race wins. Without a race (a single candidate, or the race failed)
    /// the search's best stands, with no margin.
    private func raceFinalists(_ records: [TrialRecord], defaultConfig: KernelConfig?, kernel: any TunableKernel, request: TuneRequest,
                               limits: HardwareLimits, run: RunRecord) throws -> BestRecord {
        let ranked = records.filter { $0.status == .ok && $0.gflops != nil }.sorted { ($0.gflops ?? 0) > ($1.gflops ?? 0) }
        var candidates: [String] = []
        for record in ranked where candidates.count < max(1, request.finalists) && !candidates.contains(record.config) {
            candidates.append(record.config)
        }
        let defaultText = defaultConfig?.description
        let defaultOK = records.contains { $0.config == defaultText && $0.status == .ok }
        if let defaultText, defaultOK, !candidates.contains(defaultText) { candidates.append(defaultText) }
        let top = ranked[0]
        var best = BestRecord(profileId: profile.id, layer: kernel.signature, kernelLibraryVersion: KernelLibrary.version, kernel: kernel.name,
                              config: top.config, medianSeconds: top.medianSeconds ?? 0, gflops: top.gflops ?? 0,
                              rooflineFraction: top.rooflineFraction, margin: nil, runnerUpConfig: nil, defaultConfig: defaultText ?? "",
                              speedupOverDefault: top.config == defaultText ? 1 : nil, runId: run.id, updatedAt: Timestamp.now())
        guard candidates.count >= 2, request.raceRounds > 0,
              let race = try? runner.race(request.problem, limits: limits, configs: try candidates.map(KernelConfig.init(parsing:)),
                                          rounds: request.raceRounds, settings: request.settings) else { return best }
        let order = race.timeRatios.indices.sorted { race.timeRatios[$0] < race.timeRatios[$1] }
        let (winner, runnerUp) = (order[0], order[1])
        let config = try KernelConfig(parsing: candidates[winner])
        best.config = candidates[winner]
        best.medianSeconds = race.statistics[winner].median
        best.gflops = kernel.flops / best.medianSeconds / 1e9
        best.rooflineFraction = RooflineBound(profile: profile, kernel: kernel, config: config).map { best.gflops / $0.gflops }
        best.margin = race.timeRatios[runnerUp] / race.timeRatios[winner]
        best.runnerUpConfig = candidates[runnerUp]
        if let defaultText, let index = candidates.firstIndex(of: defaultText) {
            best.speedupOverDefault = race.timeRatios[index] / race.timeRatios[winner]
        }
        return best
    }
}
