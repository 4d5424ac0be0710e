import Foundation
import Kernels
import Reports
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
        let seeds = seeded ? [analytical].compactMap { $0 } : []
        let budget = self.budget
        rows = try strategies.map { name in
            _ = try StrategyCatalog.make(name, seed: 1) // unknown names fail before any work
            let curve = simulation.run(budget: budget, repeats: repeats, seeds: seeds) { seed in
                (try? StrategyCatalog.make(name, seed: seed, budget: budget, validSize: recorded.entries.count)) ?? RandomSearch(seed: seed)
            }
            return Row(strategy: name, curve: curve, trialsTo97: curve.median.firstIndex { $0 >= 0.97 }.map { $0 + 1 })
        }
    }

    public func render() -> String {
        var lines = [
            "\(layer): \(validConfigurations) recorded configurations\(passes > 1 ? " (each the mean of \(passes) measurements)" : ""); optimum \(String(format: "%.2f", optimum)) (\(optimumConfig))",
            "budget \(budget) trials (\(String(format: "%.1f", 100 * Double(budget) / Double(max(1, validConfigurations))))% of the space), \(repeats) seeds\(seeded ? ", analytical seed first" : "")",
        ]
        if let analyticalFraction { lines.append(String(format: "analytical configuration alone: %.1f%% of the optimum", analyticalFraction * 100)) }
        let checkpoints = Array(Set([1, budget / 10, budget / 4, budget / 2, budget].filter { $0 >= 1 })).sorted()
        var table = TextTable(header: ["strategy"] + checkpoints.map { "@\($0)" } + ["p10@\(budget)", "p90@\(budget)", "to 97%"])
        for row in rows {
            table.add([row.strategy] + checkpoints.map { String(format: "%.1f%%", row.curve.median[$0 - 1] * 100) }
                + [String(format: "%.1f%%", row.curve.p10[budget - 1] * 100), String(format: "%.1f%%", row.curve.p90[budget - 1] * 100),
                   row.trialsTo97.map { "\($0)" } ?? "-"])
        }
        lines.append("median fraction of the optimum after N trials:")
        lines.append(table.render())
        return lines.joined(separator: "\n")
    }
}
