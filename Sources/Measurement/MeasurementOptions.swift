/// How hard to measure one candidate: the methodology of docs/DESIGN.md in numbers.
public struct MeasurementOptions: Sendable {
    /// Runs before timing counts (caches, page faults, frequency ramp-up); at least this many
    /// and at least `warmupSeconds`.
    public var warmupRuns: Int
    public var warmupSeconds: Double
    /// Samples taken before the stopping rule is checked.
    public var minSamples: Int
    public var maxSamples: Int
    /// Stop once the 95% confidence interval of the median is within ± this fraction of it.
    public var targetRelativeHalfWidth: Double
    /// Stop after this many seconds of sampling, converged or not.
    public var timeCap: Double
    /// A sample is at least this long: faster kernels run several times per sample, so the
    /// clock's cost stays under a percent.
    public var minSampleSeconds: Double
    /// Bytes to overwrite between samples to empty the caches (0: no flush). With a flush,
    /// each sample is one run.
    public var flushBytes: Int
    /// PAPI events to count (names); the counter backend falls back as docs/DESIGN.md says.
    public var counters: [String]
    /// Let PAPI time-share the counters when more events are asked for than the CPU has.
    public var multiplexCounters = false

    public init(
        warmupRuns: Int = 2, warmupSeconds: Double = 0.02, minSamples: Int = 7, maxSamples: Int = 500,
        targetRelativeHalfWidth: Double = 0.01, timeCap: Double = 2, minSampleSeconds: Double = 50e-6,
        flushBytes: Int = 0, counters: [String] = []
    ) {
        self.warmupRuns = warmupRuns
        self.warmupSeconds = warmupSeconds
        self.minSamples = minSamples
        self.maxSamples = maxSamples
        self.targetRelativeHalfWidth = targetRelativeHalfWidth
        self.timeCap = timeCap
        self.minSampleSeconds = minSampleSeconds
        self.flushBytes = flushBytes
        self.counters = counters
    }
}
