import Foundation
import Kernels
import Search

/// `tunebench simulate`: strategies replayed on a recorded space, compared by the fraction of
/// the space's optimum reached against trials (median and spread over seeds).
public struct StrategySimulation {
    public struct Row: Sendable {
        public var strategy: String
        public var curve: Simulation.Curve
        /// Trials after which the median run reaches 97% of the optimum (nil: not within budget).
        public var trialsTo97: Int?
    }

    public var layer: String
    public var validConfigurations: Int
    public var optimum: Double
    public var optimumConfig: String
    public var budget: Int
    public var repeats: Int
    public var seeded: Bool
    /// The analytical configuration's score over the optimum.
    public var analyticalFraction: Double?
    public var rows: [Row]
    public var passes: Int

    public init(space recorded: RecordedSpace, strategies: [String], budget: Int?, repeats: Int, seeded: Bool) throws {
        let space = recorded.searchSpace
        let scores = recorded.scores
        guard let top = scores.max(by: { $0.value < $1.value }) else { throw SearchError(message: "the recorded space has no successful configuration") }
        let simulation = Simulation(space: space, scores: scores)
        layer = recorded.layer
        passes = recorded.passes ?? 1
        validConfigurations = recorded.entries.count
        optimum = top.value
        optimumConfig = top.key.description
        self.budget = budget ?? max(1, Int((Double(recorded.entries.count) * 0.05).rounded(.up)))
        self.repeats = repeats
        self.seeded = seeded
        let analytical = recorded.analytical.flatMap { try? KernelConfig(parsing: $0) }
        analyticalFraction = analytical.flatMap { scores[$0] }.map { $0 / top.value }
        // The tuner skips an analytical configuration its fixed parameters make invalid (an
        // 8x32 default under nc=240), so that costs the simulated search no trial either.
        let seeds = seeded ? [analytical].compactMap { $0 }.filter { space.isValid($0) } : []
        let budget = self.budget
        rows = try strategies.map { name in
            _ = try StrategyCatalog.make(name, seed: 1) // unknown names fail before any work
            let curve = simulation.run(budget: budget, repeats: repeats, seeds: seeds) { seed in
                (try? StrategyCatalog.make(name, seed: seed, budget: budget, validSize: recorded.entries.count)) ?? RandomSearch(seed: seed)
            }
            return Row(strategy: name, curve: curve, trialsTo97: curve.median.firstIndex { $0 >= 0.97 }.map { $0 + 1 })
        }
    }
}
