import Counters
import Foundation
import HardwareProbe
import Kernels

/// The outcome of measuring one kernel configuration.
public struct KernelMeasurement: Sendable {
    /// Seconds per run.
    public var statistics: Statistics
    /// Runs per timed sample (several for very short kernels).
    public var runsPerSample: Int
    public var validation: Validation
    /// Event counts per run, summed over the team's threads ("cpu-seconds" always present).
    public var counters: [String: Double]
    public var counterBackend: CounterInventory.Backend?
    /// Seconds a counter start/stop pair costs (measured on the calling thread).
    public var counterOverheadSeconds: Double?
    /// Whether sampling stopped because the median's confidence interval was narrow enough
    /// (false: the time cap or the sample cap stopped it).
    public var converged: Bool
}

/// Measures kernel instances as docs/DESIGN.md prescribes: validate against the reference before any
/// timing counts, warm up, then sample until the median's 95% confidence interval is narrow
/// enough or the time cap is reached.
public struct KernelMeasurer: Sendable {
    public let options: MeasurementOptions
    public let team: ParallelTeam
    /// Seconds from a monotonic clock; injectable so tests can drive the stopping rule exactly.
    public let clock: @Sendable () -> Double

    public init(options: MeasurementOptions = .init(), team: ParallelTeam, clock: @escaping @Sendable () -> Double = MonotonicClock.seconds) {
        self.options = options
        self.team = team
        self.clock = clock
    }

    public func measure(_ instance: any KernelInstance) throws -> KernelMeasurement {
        instance.run()
        let validation = instance.validate()
        guard validation.passed else { throw MeasurementError.wrongResult(validation) }
        let runsPerSample = warmUpAndCalibrate(instance)
        let flush = options.flushBytes > 0 ? CacheFlusher(bytes: options.flushBytes) : nil
        let sessions = options.counters.isEmpty ? nil : startCounters()
        var samples: [Double] = []
        let started = clock()
        var converged = false
        while samples.count < options.maxSamples {
            flush?.flush()
            let begin = clock()
            for _ in 0..<runsPerSample { instance.run() }
            samples.append((clock() - begin) / Double(runsPerSample))
            if samples.count >= options.minSamples {
                if Statistics(samples).relativeMedianHalfWidth <= options.targetRelativeHalfWidth {
                    converged = true
                    break
                }
                if clock() - started >= options.timeCap { break }
            }
        }
        var counters: [String: Double] = [:]
        var backend: CounterInventory.Backend?
        var overhead: Double?
        if let sessions {
            let totals = stopCounters(sessions)
            let runs = Double(samples.count * runsPerSample)
            counters = totals.mapValues { $0 / runs }
            backend = sessions.backend
            overhead = sessions.overhead
        }
        return KernelMeasurement(
            statistics: Statistics(samples), runsPerSample: runsPerSample, validation: validation,
            counters: counters, counterBackend: backend, counterOverheadSeconds: overhead, converged: converged
        )
    }

    /// `warmUpAndCalibrate` for callers outside this module (a peer measured alongside).
    public func warmUpAndCalibrateRuns(_ instance: any KernelInstance) -> Int { warmUpAndCalibrate(instance) }

    /// Warm-up runs, then how many runs make one sample at least `minSampleSeconds` long.
    /// With a cache flush every sample is a single run (a flush between runs is the point).
    func warmUpAndCalibrate(_ instance: any KernelInstance) -> Int {
        let begin = clock()
        var runs = 0
        var last = 0.0
        while runs < options.warmupRuns || clock() - begin < options.warmupSeconds {
            let start = clock()
            instance.run()
            last = clock() - start
            runs += 1
            if runs > 10_000 { break }
        }
        guard options.flushBytes == 0, last > 0 else { return 1 }
        return max(1, Int((options.minSampleSeconds / last).rounded(.up)))
    }

    private final class TeamCounters: @unchecked Sendable {
        // `@unchecked Sendable`: slot i is created, started and stopped only by team thread i.
        var sessions: [CounterSession?]
        var totals: [[String: Double]]
        var backend: CounterInventory.Backend = .clock
        var overhead: Double = 0
        init(size: Int) {
            sessions = Array(repeating: nil, count: size)
            totals = Array(repeating: [:], count: size)
        }
    }

    private func startCounters() -> TeamCounters {
        let state = TeamCounters(size: team.size)
        let requested = options.counters == ["default"] ? [] : options.counters
        let multiplex = options.multiplexCounters
        let overhead = CounterSession(requested: requested, multiplex: multiplex).overheadSeconds()
        team.run { index in
            let session = CounterSession(requested: requested, multiplex: multiplex)
            state.sessions[index] = session
            session.start()
        }
        state.backend = state.sessions[0]?.backend ?? .clock
        state.overhead = overhead
        return state
    }

    private func stopCounters(_ state: TeamCounters) -> [String: Double] {
        team.run { index in
            state.totals[index] = state.sessions[index]?.stop() ?? [:]
            state.sessions[index] = nil
        }
        return state.totals.reduce(into: [:]) { sum, counts in
            for (name, value) in counts { sum[name, default: 0] += value }
        }
    }
}

/// Overwrites a buffer larger than the caches between samples, so each run starts cold.
final class CacheFlusher {
    private let buffer: UnsafeMutablePointer<UInt8>
    private let bytes: Int
    private var round: UInt8 = 0

    init(bytes: Int) {
        self.bytes = bytes
        buffer = .allocate(capacity: bytes)
        buffer.initialize(repeating: 0, count: bytes)
    }

    deinit { buffer.deallocate() }

    func flush() {
        round &+= 1
        for offset in stride(from: 0, to: bytes, by: 64) { buffer[offset] = round }
    }
}
