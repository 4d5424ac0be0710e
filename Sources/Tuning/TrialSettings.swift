import Measurement

/// How hard to measure each candidate during a search: quicker than `bench` (many candidates
/// are far from the best and only need ranking); the finalists are raced afterwards.
public struct TrialSettings: Codable, Equatable, Sendable {
    public var warmupRuns = 1
    public var minSamples = 5
    public var maxSamples = 60
    /// Stop a candidate's sampling once the median's 95% interval is within ± this fraction.
    public var targetRelativeHalfWidth = 0.02
    /// Seconds of sampling per candidate at most.
    public var timeCap = 0.3
    /// PAPI events to count per trial (the counter backend falls back as docs/DESIGN.md says).
    public var counters: [String] = []

    public init() {}

    public var measurementOptions: MeasurementOptions {
        var options = MeasurementOptions(warmupRuns: warmupRuns, warmupSeconds: 0.005, minSamples: minSamples, maxSamples: maxSamples,
                                         targetRelativeHalfWidth: targetRelativeHalfWidth, timeCap: timeCap)
        options.counters = counters
        return options
    }
}
