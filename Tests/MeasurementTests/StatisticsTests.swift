import Kernels

@testable import Measurement
import Testing

@Suite("statistics and the measurement loop")
struct StatisticsTests {
    @Test("summary statistics of known samples")
    func known() {
        let s = Statistics((1...10).map(Double.init).reversed())
        #expect(s.count == 10)
        #expect(s.min == 1 && s.max == 10)
        #expect(s.mean == 5.5 && s.median == 5.5)
        #expect(abs(s.p10 - 1.9) < 1e-12 && abs(s.p90 - 9.1) < 1e-12)
        #expect(abs(s.standardDeviation - 3.027_650_354_097_491_7) < 1e-12)
        #expect(abs(s.cv - 3.027_650_354_097_491_7 / 5.5) < 1e-12)
    }

    @Test("the median's 95% interval uses the binomial order statistics")
    func medianInterval() {
        // For n = 100 the textbook ranks are the 40th and 61st values (1-based).
        #expect(Statistics.medianConfidenceRanks(100) == (39, 60))
        #expect(Statistics.medianConfidenceRanks(5) == (0, 4))
        let s = Statistics((1...100).map(Double.init))
        #expect(s.medianLow == 40 && s.medianHigh == 61)
        let one = Statistics([3])
        #expect(one.median == 3 && one.standardDeviation == 0 && one.medianLow == 3)
    }

    /// A kernel whose run takes exactly `seconds` on a fake clock.
    final class FakeKernel: KernelInstance, @unchecked Sendable {
        let clock: FakeClock
        let seconds: Double
        let correct: Bool
        var runs = 0
        init(clock: FakeClock, seconds: Double, correct: Bool = true) {
            self.clock = clock
            self.seconds = seconds
            self.correct = correct
        }
        func run() {
            runs += 1
            clock.now += seconds
        }
        func validate() -> Validation {
            Validation(relativeError: correct ? 0 : 1, tolerance: 1e-5, checkedElements: 1)
        }
    }

    final class FakeClock: @unchecked Sendable {
        var now = 0.0
    }

    @Test("a steady kernel converges at the minimum sample count with its exact time")
    func steady() throws {
        let clock = FakeClock()
        let kernel = FakeKernel(clock: clock, seconds: 1e-3)
        let measurer = KernelMeasurer(options: .init(warmupRuns: 3, warmupSeconds: 0, minSamples: 7), team: ParallelTeam(size: 1)) { clock.now }
        let result = try measurer.measure(kernel)
        #expect(result.converged)
        #expect(result.statistics.count == 7)
        #expect(abs(result.statistics.median - 1e-3) < 1e-12)
        #expect(result.runsPerSample == 1) // 1 ms is far above the 50 µs minimum sample
        #expect(kernel.runs == 1 + 3 + 7) // validation run, warm-up, samples
    }

    @Test("short kernels are batched so each sample is long enough")
    func batching() throws {
        let clock = FakeClock()
        let kernel = FakeKernel(clock: clock, seconds: 2e-6)
        let measurer = KernelMeasurer(options: .init(warmupRuns: 2, warmupSeconds: 0, minSampleSeconds: 50e-6), team: ParallelTeam(size: 1)) { clock.now }
        let result = try measurer.measure(kernel)
        #expect(result.runsPerSample == 25)
        #expect(abs(result.statistics.median - 2e-6) < 1e-12)
    }

    @Test("a wrong result stops the measurement before any timing")
    func wrongResult() {
        let clock = FakeClock()
        let kernel = FakeKernel(clock: clock, seconds: 1e-3, correct: false)
        let measurer = KernelMeasurer(team: ParallelTeam(size: 1)) { clock.now }
        #expect(throws: MeasurementError.self) { try measurer.measure(kernel) }
        #expect(kernel.runs == 1)
    }

    @Test("interleaved rounds give each candidate's ratio to the first")
    func interleaved() {
        let clock = FakeClock()
        var order: [Int] = []
        let candidates: [() -> Void] = [
            { clock.now += 2; order.append(0) },
            { clock.now += 1; order.append(1) },
            { clock.now += 4; order.append(2) },
        ]
        let result = InterleavedComparison.run(candidates, runsPerSample: [1, 1, 1], rounds: 4) { clock.now }
        #expect(result.ratios.map(\.timeRatio) == [1, 0.5, 2])
        #expect(result.ratios[1].speedup == 2)
        #expect(order == [0, 1, 2, 2, 1, 0, 0, 1, 2, 2, 1, 0]) // A B C, C B A, …
        #expect(result.statistics[2].median == 4)
    }

    @Test("with settle: the pause and untimed warm-up runs precede each sample and count in no time")
    func interleavedSettle() {
        let clock = FakeClock()
        var events: [String] = []
        // Durations that are binary fractions, so every sum is exact.
        let candidates: [() -> Void] = [{ clock.now += 1.0 / 32; events.append("A") }, { clock.now += 1.0 / 64; events.append("B") }]
        let result = InterleavedComparison.run(candidates, runsPerSample: [2, 2], rounds: 2, clock: { clock.now },
                                                   settle: { clock.now += 5; events.append("settle") })
        // Warm-up until 0.03 s: A once (1/32 s), B twice; then the 2 timed runs; B first in the second round.
        #expect(events == ["settle", "A", "A", "A", "settle", "B", "B", "B", "B", "settle", "B", "B", "B", "B", "settle", "A", "A", "A"])
        #expect(result.statistics[0].median == 1.0 / 32 && result.statistics[1].median == 1.0 / 64)
        #expect(abs(result.ratios[1].timeRatio - 0.5) < 1e-9)
    }

    @Test("with warmUp alone: untimed runs precede each sample, no pause; without either, none")
    func interleavedWarmUp() {
        let clock = FakeClock()
        var events: [String] = []
        let candidates: [() -> Void] = [{ clock.now += 1.0 / 32; events.append("A") }, { clock.now += 1.0 / 64; events.append("B") }]
        let warm = InterleavedComparison.run(candidates, runsPerSample: [1, 1], rounds: 2, clock: { clock.now }, warmUp: true)
        // Warm-up until 0.03 s: A once, B twice; then one timed run each; B first in the second round.
        #expect(events == ["A", "A", "B", "B", "B", "B", "B", "B", "A", "A"])
        #expect(warm.statistics[0].median == 1.0 / 32 && warm.statistics[1].median == 1.0 / 64)
        events.removeAll()
        _ = InterleavedComparison.run(candidates, runsPerSample: [1, 1], rounds: 2, clock: { clock.now })
        #expect(events == ["A", "B", "B", "A"])
    }

    @Test("counters requested on a kernel are reported with their backend")
    func counters() throws {
        let kernel = try GEMMKernel(m: 16, n: 16, k: 16, limits: .typical)
        let team = ParallelTeam(size: 1)
        let instance = try kernel.instantiate(kernel.defaultConfig, team: team)
        let measurer = KernelMeasurer(options: .init(minSamples: 3, maxSamples: 5, counters: ["perf::TASK-CLOCK"]), team: team)
        let result = try measurer.measure(instance)
        #expect(result.counterBackend != nil)
        #expect(result.counters["cpu-seconds"] != nil)
        if result.counterBackend != .clock {
            #expect((result.counters["perf::TASK-CLOCK"] ?? 0) > 0)
        }
    }
}
