import Kernels
import TuningDatabase

/// What a tuning run found.
public struct TuneResult: Sendable {
    public enum StopReason: String, Sendable {
        case budget = "trial budget reached"
        case time = "time budget reached"
        case patience = "no improvement within the patience"
        case roofline = "best within the set fraction of the roofline bound"
        case exhausted = "space exhausted"
    }

    public var runID: String
    public var problem: KernelProblem
    /// True when an interrupted run was continued.
    public var resumed: Bool
    /// Trials of the run: measured now, and reused from before an interruption.
    public var trials: [TrialRecord]
    public var reusedTrials: Int
    public var stopReason: StopReason
    /// Valid configurations in the (fixed) space: counted, or estimated by sampling in large spaces.
    public var validSpaceSize: Int?
    public var validSpaceSizeIsEstimate = false
    /// Nil when no configuration ran successfully.
    public var best: BestRecord?
    /// GFLOP/s of the default configuration in its trial.
    public var defaultGFLOPS: Double?
    public var boundGFLOPS: Double?
    /// The roofline bound of the winner (of the default configuration when nothing won), and
    /// "compute" or "memory (L3)": what limits it.
    public var boundKind: String?
    public var workerRestarts: Int
}

/// One line of live progress.
public struct TuneProgress: Sendable {
    public var trial: Int
    public var budget: Int?
    public var record: TrialRecord
    public var reused: Bool
    public var bestGFLOPS: Double?
    public var bestRooflineFraction: Double?
    public var elapsedSeconds: Double
    /// Seconds left by the trial or time budget, whichever ends first (nil: unknown).
    public var etaSeconds: Double?
}
