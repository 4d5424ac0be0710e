import Foundation
import Tuning

extension StrategySimulation {
    /// The table `tunebench simulate` prints: the median fraction of the optimum after N trials.
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
