import Foundation
import HardwareProbe
import Kernels
import Measurement
import Search
import TunebenchCore
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

    /// The kernel, its space with the fixed parameters imposed and the default configuration of
    /// one request: what every step of a run works on.
    struct Setup {
        var request: TuneRequest
        var kernel: any TunableKernel
        var limits: MachineSizes
        /// The fixed parameters in canonical order ("pack_b=2,threads=1").
        var fixed: String
        var space: SearchSpace
        var validSize: (count: Int, exact: Bool)
        var defaultConfig: KernelConfig?
        var key: String { request.problem.key }
    }

    /// The search's state: the trials so far and the best of them.
    struct SearchState {
        var records: [TrialRecord] = []
        var history: [Trial] = []
        var reused = 0
        var best: TrialRecord?
        var sinceImprovement = 0
        var reusedSeconds = 0.0

        mutating func add(_ record: TrialRecord, config: KernelConfig) {
            records.append(record)
            history.append(Trial(config: config, score: record.status == .ok ? record.gflops : nil))
            if record.status == .ok, let gflops = record.gflops {
                if gflops > (best?.gflops ?? 0) * 1.01 { sinceImprovement = 0 } else { sinceImprovement += 1 }
                if gflops > (best?.gflops ?? 0) { best = record }
            } else {
                sinceImprovement += 1
            }
        }
    }

    public func tune(_ request: TuneRequest, progress: (TuneProgress) -> Void = { _ in }) throws -> TuneResult {
        let setup = try prepare(request)
        var strategy = try StrategyCatalog.make(request.strategy, seed: request.seed, budget: request.budgetTrials, validSize: setup.validSize.count)
        // Held until this returns (the lock file closes with it): no second process resumes a live run.
        let lease = RunLease(store: database)
        let (run, earlier, resumed) = try openRun(setup, lease: lease)
        ActiveRuns.begin(run.id, layer: setup.key, store: database)
        defer { ActiveRuns.end(run.id) }
        let seeds = request.useSeeds ? try self.seeds(setup, runID: run.id) : []
        let (search, stopReason) = try searchLoop(setup, run: run, earlier: earlier, seeds: seeds, strategy: &strategy, progress: progress)

        let bound = setup.defaultConfig.flatMap { RooflineBound(profile: profile, kernel: setup.kernel, config: $0) }
        var result = TuneResult(runID: run.id, problem: request.problem, resumed: resumed, trials: search.records, reusedTrials: search.reused,
                                stopReason: stopReason, validSpaceSize: setup.validSize.count, validSpaceSizeIsEstimate: !setup.validSize.exact,
                                best: nil,
                                defaultGFLOPS: search.records.first { $0.config == setup.defaultConfig?.description && $0.status == .ok }?.gflops,
                                boundGFLOPS: bound?.gflops, boundKind: bound?.description, workerRestarts: (runner as? WorkerProcess)?.restarts ?? 0)
        if search.best != nil {
            let winner = try raceFinalists(search.records, setup: setup, run: run)
            try checkOwnership(request)
            try database.record(best: winner)
            result.best = winner
            // The bound that applies to the winner (its thread count, its bytes).
            if let config = try? KernelConfig(parsing: winner.config),
               let winnerBound = RooflineBound(profile: profile, kernel: setup.kernel, config: config) {
                result.boundGFLOPS = winnerBound.gflops
                result.boundKind = winnerBound.description
            }
        }
        try database.finish(runID: run.id, at: Timestamp.now())
        return result
    }

    private func prepare(_ request: TuneRequest) throws -> Setup {
        try request.problem.layer.checkFits(precision: request.problem.precision)
        let limits = MachineSizes(profile: profile)
        let kernel = try KernelCatalog.kernel(for: request.problem, limits: limits)
        let fixed = try KernelConfig(kernel: request.problem.kernel.rawValue).applying(overrides: request.fixed).parameterText
        let space = SearchSpace(try kernel.space.fixing(fixed))
        let validSize = space.validSize()
        guard validSize.count > 0 || !validSize.exact else {
            throw SearchError(message: "no valid configuration of \(request.problem.key) with \(fixed)")
        }
        let defaultConfig = SeedConfigurations(space: space, fixed: fixed).adapted(kernel.defaultConfig)
        return Setup(request: request, kernel: kernel, limits: limits, fixed: fixed, space: space, validSize: validSize,
                     defaultConfig: defaultConfig)
    }

    /// The run this request continues (its trials by configuration), or a new one.
    private func openRun(_ setup: Setup, lease: RunLease?) throws -> (run: RunRecord, earlier: [String: TrialRecord], resumed: Bool) {
        let request = setup.request
        let profileJSON = String(decoding: try ProfileStore.encode(profile), as: UTF8.self)
        try database.save(profile: ProfileRecord(id: profile.id, name: profile.name, json: profileJSON, addedAt: Timestamp.now()))
        let run = RunRecord(id: UUID().uuidString.lowercased(), profileId: profile.id, layer: setup.key, kernel: request.problem.kernel.rawValue,
                            strategy: request.strategy, seed: Int(truncatingIfNeeded: request.seed), fixed: setup.fixed,
                            budgetTrials: request.budgetTrials, budgetSeconds: request.budgetSeconds, startedAt: Timestamp.now(),
                            provenance: .current(profile: profile))
        if request.resume, let existing = try database.resumableRun(like: run), existing.host == run.host || request.resumeOtherHosts {
            guard lease?.take(existing.id) ?? true else {
                throw FileError(path: database.address, message: "run \(existing.id) (\(existing.layer)) is being tuned right now by another tunebench process on this machine: wait for it to finish, or give this one another --db")
            }
            // Still unfinished now that it is ours (its tuner may have just finished it).
            if try database.resumableRun(like: run)?.id == existing.id {
                if existing.status == .interrupted { try database.mark(runID: existing.id, as: .running) }
                var earlier: [String: TrialRecord] = [:]
                for trial in try database.trials(runID: existing.id) where earlier[trial.config] == nil { earlier[trial.config] = trial }
                return (existing, earlier, true)
            }
            lease?.release(existing.id)
        }
        // Taken before the run exists, so no other process can resume it in between.
        _ = lease?.take(run.id)
        try database.insert(run: run)
        return (run, [:], false)
    }

    /// Seeds first, then the strategy's proposals, until a stop condition holds. Each trial is
    /// measured (or taken from the interrupted run) and written before the next is proposed.
    private func searchLoop(_ setup: Setup, run: RunRecord, earlier: [String: TrialRecord], seeds: [SeedConfigurations.Seed],
                            strategy: inout any SearchStrategy, progress: (TuneProgress) -> Void) throws -> (SearchState, TuneResult.StopReason) {
        let request = setup.request
        var search = SearchState()
        var nextSeq = (earlier.values.map(\.seq).max() ?? -1) + 1
        // The time budget is wall time: measuring, proposing and recording all count. Trials
        // reused from an interrupted run count with the time they took then.
        let started = clock()
        var spent: Double { clock() - started + search.reusedSeconds }
        while true {
            let analyticalPending = seeds.contains { seed in seed.source == "analytical" && !search.history.contains { $0.config == seed.config } }
            if let stop = stopReason(request, search: search, spent: spent, analyticalPending: analyticalPending) { return (search, stop) }
            let config: KernelConfig
            let source: String
            if let seed = seeds.first(where: { seed in !search.history.contains { $0.config == seed.config } }) {
                (config, source) = (seed.config, seed.source)
            } else if let proposal = strategy.next(in: setup.space, history: search.history) {
                (config, source) = (proposal, strategy.name)
            } else {
                return (search, .exhausted)
            }
            let record: TrialRecord
            let wasReused = earlier[config.description] != nil
            if let old = earlier[config.description] {
                record = old
                search.reused += 1
                search.reusedSeconds += old.wallSeconds
            } else {
                record = measure(config, source: source, setup: setup, runID: run.id, seq: nextSeq)
                nextSeq += 1
                try checkOwnership(request)
                try database.append(trial: record)
            }
            search.add(record, config: config)
            progress(TuneProgress(trial: search.history.count, budget: request.budgetTrials, record: record, reused: wasReused,
                                  bestGFLOPS: search.best?.gflops, bestRooflineFraction: search.best?.rooflineFraction, elapsedSeconds: spent,
                                  etaSeconds: eta(request: request, done: search.history.count, spent: spent)))
        }
    }

    private func stopReason(_ request: TuneRequest, search: SearchState, spent: Double, analyticalPending: Bool) -> TuneResult.StopReason? {
        if let budget = request.budgetTrials, search.history.count >= budget { return .budget }
        // A time budget always allows the analytical seeds (the default and its alternatives: a
        // handful of trials): a layer whose share of an autotune's time ran out still gets a
        // measured configuration and its speed-up over the default.
        if let seconds = request.budgetSeconds, spent >= seconds, !search.history.isEmpty, !analyticalPending { return .time }
        if let patience = request.patience, search.sinceImprovement >= patience { return .patience }
        if let fraction = request.stopAtRooflineFraction, let reached = search.best?.rooflineFraction, reached >= fraction { return .roofline }
        return nil
    }

    private func checkOwnership(_ request: TuneRequest) throws {
        if let stillOwned = request.stillOwned, try !stillOwned() {
            throw TuneInterrupted(message: "another tuner took over \(request.problem.kernel.rawValue) \(request.problem.key)")
        }
    }

    /// The analytical alternatives and configuration, then the transfer seeds from the database's best
    /// configurations (a resumed run's own result excluded: the replay must propose what it did).
    private func seeds(_ setup: Setup, runID: String) throws -> [SeedConfigurations.Seed] {
        let seeding = SeedConfigurations(space: setup.space, fixed: setup.fixed)
        var seeds: [SeedConfigurations.Seed] = []
        // The alternatives first: they are what the analytical model expects to be fastest (the
        // dot-product kernels on a VNNI machine), and a short budget may end after one trial.
        seeds += seeding.alternatives(setup.kernel)
        if let analytical = seeding.analytical(setup.kernel), !seeds.contains(where: { $0.config == analytical.config }) { seeds.append(analytical) }
        let profiles = Dictionary(try database.profiles().compactMap { record in
            (try? ProfileStore.decode(Data(record.json.utf8), file: "profile \(record.id) in \(database.address)")).map { (record.id, $0) }
        }, uniquingKeysWith: { first, _ in first })
        let best = try database.best().filter { $0.runId != runID }
        for seed in seeding.transfer(from: best, profiles: profiles, current: profile, problem: setup.request.problem, kernel: setup.kernel)
            where !seeds.contains(where: { $0.config == seed.config }) { seeds.append(seed) }
        return seeds
    }

    private func measure(_ config: KernelConfig, source: String, setup: Setup, runID: String, seq: Int) -> TrialRecord {
        let started = clock()
        let outcome = runner.measure(setup.request.problem, limits: setup.limits, config: config, settings: setup.request.settings)
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
            let gflops = setup.kernel.flops / statistics.median / 1e9
            record.gflops = gflops
            record.rooflineFraction = RooflineBound(profile: profile, kernel: setup.kernel, config: config).map { gflops / $0.gflops }
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
    private func raceFinalists(_ records: [TrialRecord], setup: Setup, run: RunRecord) throws -> BestRecord {
        let request = setup.request
        let ranked = records.filter { $0.status == .ok && $0.gflops != nil }.sorted { ($0.gflops ?? 0) > ($1.gflops ?? 0) }
        var candidates: [String] = []
        for record in ranked where candidates.count < max(1, request.finalists) && !candidates.contains(record.config) {
            candidates.append(record.config)
        }
        let defaultText = setup.defaultConfig?.description
        let defaultOK = records.contains { $0.config == defaultText && $0.status == .ok }
        if let defaultText, defaultOK, !candidates.contains(defaultText) { candidates.append(defaultText) }
        let top = ranked[0]
        var best = BestRecord(profileId: profile.id, layer: setup.key, kernelLibraryVersion: KernelLibrary.version,
                              kernel: request.problem.kernel.rawValue, config: top.config, medianSeconds: top.medianSeconds ?? 0,
                              gflops: top.gflops ?? 0, rooflineFraction: top.rooflineFraction, margin: nil, runnerUpConfig: nil,
                              defaultConfig: defaultText ?? "", speedupOverDefault: top.config == defaultText ? 1 : nil, runId: run.id,
                              updatedAt: Timestamp.now())
        guard candidates.count >= 2, request.raceRounds > 0,
              let race = try? runner.race(request.problem, limits: setup.limits, configs: try candidates.map(KernelConfig.init(parsing:)),
                                          rounds: request.raceRounds, settings: request.settings) else { return best }
        let order = race.timeRatios.indices.sorted { race.timeRatios[$0] < race.timeRatios[$1] }
        let (winner, runnerUp) = (order[0], order[1])
        let config = try KernelConfig(parsing: candidates[winner])
        best.config = candidates[winner]
        best.medianSeconds = race.statistics[winner].median
        best.gflops = setup.kernel.flops / best.medianSeconds / 1e9
        best.rooflineFraction = RooflineBound(profile: profile, kernel: setup.kernel, config: config).map { best.gflops / $0.gflops }
        best.margin = race.timeRatios[runnerUp] / race.timeRatios[winner]
        best.runnerUpConfig = candidates[runnerUp]
        if let defaultText, let index = candidates.firstIndex(of: defaultText) {
            best.speedupOverDefault = race.timeRatios[index] / race.timeRatios[winner]
        }
        return best
    }
}
