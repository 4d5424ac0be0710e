import Foundation
import Kernels
import Measurement

/// Checks the measurement harness itself: what it adds to a short kernel's time, and how well
/// repeated measurements of one kernel agree.
public struct HarnessCheck {
    public struct Overhead: Sendable {
        /// Median seconds per run as the harness reports it.
        public var harnessSeconds: Double
        /// Seconds per run of the same kernel in a bare loop timed as a whole.
        public var bareSeconds: Double
        public var rounds: Int
        /// harness / bare − 1, median over interleaved rounds.
        public var overhead: Double
    }

    public init() {}

    /// Interleaves `rounds` harness measurements with bare loops of the same instance.
    public func overhead(of instance: any KernelInstance, team: ParallelTeam, rounds: Int = 9) throws -> Overhead {
                var ratios: [Double] = []
        var harness: [Double] = []
        var bare: [Double] = []
        for _ in 0..<rounds {
            let measured = try KernelMeasurer(options: .init(timeCap: 0.5), team: team).measure(instance)
            let runs = max(100, Int(0.2 / max(measured.statistics.median, 1e-9)))
            let begin = MonotonicClock.seconds()
            for _ in 0..<runs { instance.run() }
            let loop = (MonotonicClock.seconds() - begin) / Double(runs)
            harness.append(measured.statistics.median)
            bare.append(loop)
            ratios.append(measured.statistics.median / loop - 1)
        }
        return Overhead(harnessSeconds: Statistics(harness).median, bareSeconds: Statistics(bare).median,
                        rounds: rounds, overhead: Statistics(ratios).median)
    }
}
