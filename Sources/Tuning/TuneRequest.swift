import Kernels

/// What `tunebench tune` was asked: the problem, the search and when to stop.
public struct TuneRequest: Sendable {
    public var problem: KernelProblem
    public var strategy: String
    public var seed: UInt64
    /// Stop after this many trials (seeds included; trials reused from an interrupted run count).
    public var budgetTrials: Int?
    /// Stop after this many seconds of wall time (proposing and recording included).
    public var budgetSeconds: Double?
    /// Stop when nothing improved the best by more than 1% for this many trials.
    public var patience: Int?
    /// Stop when the best reaches this fraction of the layer's roofline bound.
    public var stopAtRooflineFraction: Double?
    /// Parameters held fixed ("threads=1,pack_b=2").
    public var fixed: String
    public var settings: TrialSettings
    /// Finalists raced interleaved at the end (the default configuration races with them).
    public var finalists: Int
    public var raceRounds: Int
    /// Seed the search with the analytical configuration and with the best configurations of
    /// similar profiles and shapes in the database.
    public var useSeeds: Bool
    /// Continue an interrupted run with the same key instead of starting afresh.
    public var resume: Bool
    /// Also continue a run another host left unfinished. Off by default: in a shared database
    /// an unfinished run of another machine may be alive (two unshared autotunes of one layer
    /// at once); a shared autotune turns it on, since its lease proves the other tuner dead.
    public var resumeOtherHosts = false
    /// Asked before each trial is written and before the winner is: false stops the run with
    /// `TuneInterrupted` and writes nothing more (a shared layer whose claim another tuner
    /// took over: its lease expired).
    public var stillOwned: (@Sendable () throws -> Bool)?

    public init(problem: KernelProblem, strategy: String = "auto", seed: UInt64 = 1, budgetTrials: Int? = 100,
                budgetSeconds: Double? = nil, patience: Int? = nil, stopAtRooflineFraction: Double? = nil, fixed: String = "",
                settings: TrialSettings = TrialSettings(), finalists: Int = 3, raceRounds: Int = 9, useSeeds: Bool = true,
                resume: Bool = true) {
        self.problem = problem
        self.strategy = strategy
        self.seed = seed
        self.budgetTrials = budgetTrials
        self.budgetSeconds = budgetSeconds
        self.patience = patience
        self.stopAtRooflineFraction = stopAtRooflineFraction
        self.fixed = fixed
        self.settings = settings
        self.finalists = finalists
        self.raceRounds = raceRounds
        self.useSeeds = useSeeds
        self.resume = resume
    }
}
