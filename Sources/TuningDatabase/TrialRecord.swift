import GRDB

/// One measured (or failed) configuration of a run. Every trial is kept, failed ones too.
public struct TrialRecord: Codable, Equatable, Sendable {
    public enum Status: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
        /// Validated and timed.
        case ok
        /// Rejected by the kernel (a constraint, a thread count the machine lacks …).
        case invalid
        /// Computed a result outside the precision's tolerance: never a winner.
        case wrongResult = "wrong_result"
        /// The worker process died measuring it.
        case crashed
        /// The worker did not answer within the trial timeout and was killed.
        case timedOut = "timed_out"
    }

    public var runId: String
    /// Position in the run, from 0.
    public var seq: Int
    /// The configuration as canonical text: "gemm kc=256,mc=96,…" (names sorted).
    public var config: String
    /// Who proposed it: "analytical", "transfer", or the strategy's name.
    public var source: String
    public var status: Status
    /// Seconds per run.
    public var medianSeconds: Double?
    public var minSeconds: Double?
    /// The 95% confidence interval of the median.
    public var ciLowSeconds: Double?
    public var ciHighSeconds: Double?
    public var cv: Double?
    public var samples: Int?
    public var runsPerSample: Int?
    public var converged: Bool?
    public var gflops: Double?
    /// GFLOP/s over the layer's roofline bound at this thread count (nil without a roofline).
    public var rooflineFraction: Double?
    /// Relative error against the reference.
    public var relativeError: Double?
    /// Why it failed, or a note.
    public var message: String?
    /// Counter readings per run as JSON (schema version 2).
    public var counters: String?
    public var measuredAt: String
    /// Wall time the trial took, preparation included.
    public var wallSeconds: Double

    public init(runId: String, seq: Int, config: String, source: String, status: Status, measuredAt: String, wallSeconds: Double) {
        self.runId = runId
        self.seq = seq
        self.config = config
        self.source = source
        self.status = status
        self.measuredAt = measuredAt
        self.wallSeconds = wallSeconds
    }
}

extension TrialRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "trials"
    public static var databaseColumnDecodingStrategy: DatabaseColumnDecodingStrategy { .convertFromSnakeCase }
    public static var databaseColumnEncodingStrategy: DatabaseColumnEncodingStrategy { .convertToSnakeCase }
}
