import Foundation
import Tuning
import TuningDatabase

/// What `tune` prints: one progress line per trial (stderr), then the winner.
public enum TuneReportText {
    public static func progressLine(_ progress: TuneProgress) -> String {
        let record = progress.record
        let count = progress.budget.map { "\(progress.trial)/\($0)" } ?? "\(progress.trial)"
        let outcome = record.status == .ok ? String(format: "%8.2f GFLOP/s", record.gflops ?? 0) : String(repeating: " ", count: max(0, 16 - record.status.rawValue.count)) + record.status.rawValue
        var line = "[\(count)] \(outcome)"
        if let best = progress.bestGFLOPS {
            line += String(format: "  best %.2f", best)
            if let fraction = progress.bestRooflineFraction { line += String(format: " (%.0f%% of roofline)", fraction * 100) }
        }
        if let eta = progress.etaSeconds { line += "  ETA \(duration(eta))" }
        line += "  \(progress.reused ? "reused " : "")\(record.source == "analytical" || record.source.hasPrefix("transfer") ? "[\(record.source.prefix { $0 != ":" })] " : "")\(record.config)"
        if record.status != .ok, let message = record.message { line += "  — \(message)" }
        return line
    }

    public static func render(_ result: TuneResult) -> String {
        var lines = ["\(result.problem.key)"]
        let failed = result.trials.filter { $0.status != .ok }
        var summary = "  run \(result.runID)\(result.resumed ? " (resumed: \(result.reusedTrials) trials reused, not re-measured)" : ""): "
            + "\(result.trials.count) trials, \(failed.count) failed; stopped: \(result.stopReason.rawValue)"
        if let size = result.validSpaceSize {
            summary += "; \(result.validSpaceSizeIsEstimate ? "about " : "")\(size) valid configurations in the space"
        }
        lines.append(summary)
        if result.workerRestarts > 0 { lines.append("  worker processes restarted after crashes or timeouts: \(result.workerRestarts)") }
        let statuses = Dictionary(grouping: failed, by: \.status).map { "\($0.value.count) \($0.key.rawValue)" }.sorted()
        if !statuses.isEmpty { lines.append("  failed: \(statuses.joined(separator: ", "))") }
        guard let best = result.best else {
            lines.append("  no configuration ran successfully")
            return lines.joined(separator: "\n")
        }
        var winner = String(format: "  best: %.2f GFLOP/s", best.gflops)
        if let fraction = best.rooflineFraction, let bound = result.boundGFLOPS {
            winner += String(format: " (%.0f%% of the %.1f GFLOP/s roofline bound, ", fraction * 100, bound) + (result.boundKind ?? "") + ")"
        }
        lines.append(winner + "  \(best.config)")
        if let margin = best.margin, let runnerUp = best.runnerUpConfig {
            lines.append(String(format: "  margin over the runner-up: %.1f%% (interleaved race)  runner-up: %@", (margin - 1) * 100, runnerUp))
        }
        if let speedup = best.speedupOverDefault {
            lines.append(String(format: "  speed-up over the default configuration: %.2fx  default: %@", speedup, best.defaultConfig))
        } else if let defaultGFLOPS = result.defaultGFLOPS {
            lines.append(String(format: "  speed-up over the default configuration: %.2fx (search measurements)", best.gflops / defaultGFLOPS))
        }
        return lines.joined(separator: "\n")
    }

    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        return total >= 60 ? "\(total / 60)m\(String(format: "%02d", total % 60))s" : "\(total)s"
    }
}
