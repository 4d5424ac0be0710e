import Measurement
import TuningDatabase

/// What measuring one configuration gave: statistics when it ran, a status and a message
/// when it did not. Crosses from the worker process as JSON.
public struct TrialOutcome: Codable, Equatable, Sendable {
    public var status: TrialRecord.Status
    public var statistics: Statistics?
    public var runsPerSample: Int?
    public var converged: Bool?
    public var relativeError: Double?
    public var message: String?
    public var counters: [String: Double]?

    public init(status: TrialRecord.Status, statistics: Statistics? = nil, runsPerSample: Int? = nil, converged: Bool? = nil,
                relativeError: Double? = nil, message: String? = nil, counters: [String: Double]? = nil) {
        self.status = status
        self.statistics = statistics
        self.runsPerSample = runsPerSample
        self.converged = converged
        self.relativeError = relativeError
        self.message = message
        self.counters = counters
    }

    public static func failed(_ status: TrialRecord.Status, _ message: String) -> TrialOutcome {
        TrialOutcome(status: status, message: message)
    }
}

/// The final interleaved race of the top candidates: per candidate its statistics and its
/// time relative to the first candidate, median over rounds.
public struct RaceOutcome: Codable, Equatable, Sendable {
    public var statistics: [Statistics]
    public var timeRatios: [Double]
    public var rounds: Int

    public init(statistics: [Statistics], timeRatios: [Double], rounds: Int) {
        self.statistics = statistics
        self.timeRatios = timeRatios
        self.rounds = rounds
    }
}
