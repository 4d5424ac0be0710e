import Kernels

/// Several candidates measured in rounds, each round running every candidate once (the order
/// reversed on alternate rounds, so drift hits all alike): A B C, C B A, A B C … The ratio of
/// each candidate to the first is taken within each round, so machine-wide slowdowns cancel.
public struct InterleavedComparison: Sendable {
    /// Untimed runs after `settle`, in seconds.
    public static let settledWarmUpSeconds = 0.03

    public struct Ratio: Sendable, Equatable {
        /// Median over rounds of time(candidate) / time(first): below 1 is faster.
        public var timeRatio: Double
        /// 95% confidence interval of that median.
        public var low: Double
        public var high: Double
        /// Throughput ratio: how many times faster than the first (1 / timeRatio).
        public var speedup: Double { 1 / timeRatio }
    }

    /// Seconds per run of each candidate.
    public var statistics: [Statistics]
    /// `ratios[i]` compares candidate i with candidate 0 (so `ratios[0]` is 1).
    public var ratios: [Ratio]
    public var rounds: Int

    /// Runs `rounds` rounds; each candidate's sample is `runsPerSample[i]` runs (as calibrated
    /// by the measurer), so short kernels are timed above the clock's resolution.
    /// `settle`, where given, runs before each sample and is followed by `settledWarmUpSeconds`
    /// of untimed runs of the candidate (after a pause the virtual CPUs and clocks take a while to
    /// come back): for candidates with thread pools of their own, whose idle threads spin for a
    /// while after each call (OpenBLAS's for 2^28 cycles, tunebench's team for 0.5 ms) and
    /// would otherwise take the next candidate's cores.
    /// `warmUp` alone (no settle) also runs that warm-up before each sample: each sample then
    /// starts with the candidate's own data in the caches, as the single-candidate measurements
    /// a race follows had it (the weights of a decode layer fill most of L3, and the previous
    /// candidate's run evicted them).
    /// `clock` is injectable so tests can check the arithmetic with exact durations.
    public static func run(_ candidates: [() -> Void], runsPerSample: [Int], rounds: Int,
                           clock: () -> Double = MonotonicClock.seconds, settle: (() -> Void)? = nil,
                           warmUp: Bool = false) -> InterleavedComparison {
        precondition(!candidates.isEmpty && candidates.count == runsPerSample.count && rounds > 0)
        var samples = Array(repeating: [Double](), count: candidates.count)
        for round in 0..<rounds {
            let order = round % 2 == 0 ? Array(candidates.indices) : candidates.indices.reversed()
            for index in order {
                let runs = runsPerSample[index]
                settle?()
                if settle != nil || warmUp {
                    let start = clock()
                    repeat { candidates[index]() } while clock() - start < Self.settledWarmUpSeconds
                }
                let begin = clock()
                for _ in 0..<runs { candidates[index]() }
                samples[index].append((clock() - begin) / Double(runs))
            }
        }
        let ratios = candidates.indices.map { index -> Ratio in
            let perRound = zip(samples[index], samples[0]).map { $0 / $1 }
            let statistics = Statistics(perRound)
            return Ratio(timeRatio: statistics.median, low: statistics.medianLow, high: statistics.medianHigh)
        }
        return InterleavedComparison(statistics: samples.map(Statistics.init), ratios: ratios, rounds: rounds)
    }
}
