import ArgumentParser
import Foundation
import Reports
import Search
import Tuning

struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Replay search strategies on a recorded space (no kernel runs) and compare them.",
        discussion: """
        The space is a file written by `tune --strategy exhaustive --write-space FILE`, or a T4 \
        results file (Kernel Tuner's format; score = 1 / time). Prints the median fraction of the \
        space's optimum reached after N trials over --repeats seeds, its 10th and 90th \
        percentiles, and the trials the median run needs to reach 97%.
        """
    )

    @Option(help: "The recorded space (JSON) or T4 results file; repeat it with more recordings of the same space to average them.")
    var space: [String]

    @Option(help: "Strategies, comma-separated, or 'all'.", transform: ValueList.strategies)
    var strategy = StrategyName.replayedByDefault

    @Option(help: "Trials per replay (default: 5% of the space).")
    var budget: Int?

    @Option(help: "Seeds per strategy.")
    var repeats = 20

    @Flag(name: .customLong("no-seeds"), help: "Do not measure the analytical configuration first (as `tune --no-seeds`).")
    var noSeeds = false

    func run() throws {
        try runReportingErrors {
            guard !space.isEmpty else { throw ValidationError("give --space FILE") }
            let recorded = try RecordedSpace.averaging(try space.map(RecordedSpace.load(path:)))
            guard repeats > 0, (budget ?? 1) > 0 else { throw ValidationError("--budget and --repeats must be positive") }
            print(try StrategySimulation(space: recorded, strategies: strategy.map(\.rawValue), budget: budget, repeats: repeats, seeded: !noSeeds).render())
        }
    }
}
