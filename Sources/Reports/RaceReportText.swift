import Foundation
import Tuning

/// What `tunebench race` prints: each configuration's median, GFLOP/s and time ratio.
public enum RaceReportText {
    public static func render(_ race: ConfigurationRace) -> String {
        var lines = ["\(race.problem.key), \(race.rounds) interleaved rounds, profile \(race.profileID)"]
        for (index, config) in race.configs.enumerated() {
            let median = race.outcome.statistics[index].median
            lines.append(String(format: "  %8.3f ms  %8.2f GFLOP/s  time ratio to the first %.3f  ", median * 1e3, race.flops / median / 1e9,
                                race.outcome.timeRatios[index]) + config.description)
        }
        return lines.joined(separator: "\n")
    }
}
