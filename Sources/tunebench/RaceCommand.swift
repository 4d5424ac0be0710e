import ArgumentParser
import Foundation
import HardwareProbe
import Kernels
import Tuning

struct RaceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "race",
        abstract: "Race configurations of one problem interleaved (A B C, C B A …) and print their ratios.",
        discussion: "Each --config is a full configuration as `tune` prints it (\"gemm kc=256,…\") or overrides of the default (\"mr=6,nr=16\")."
    )

    @Option(help: "gemm, gemv or conv2d.")
    var kernel: String

    @Option(help: "The problem shape.")
    var shape: String

    @Option(help: "Weight precision.")
    var precision = "fp32"

    @Option(help: "Fused epilogue: none, bias, relu, gelu, bias+relu, bias+gelu.")
    var epilogue = "none"

    @Option(help: "A configuration to race (give two or more).")
    var config: [String] = []

    @Option(help: "Interleaved rounds.")
    var rounds = 15

    @OptionGroup var profiles: ProfileOptions

    func run() throws {
        try runReportingErrors {
            guard let precision = Precision(rawValue: precision) else { throw ValidationError("--precision is one of \(Precision.allCases.map(\.rawValue).joined(separator: ", "))") }
            guard config.count >= 2 else { throw ValidationError("give at least two --config") }
            let profile = try profiles.currentMachine()
            let problem = KernelProblem(kernel: kernel, shape: shape, precision: precision, epilogue: epilogue)
            let limits = HardwareLimits(profile: profile)
            let made = try problem.make(limits: limits)
            let configs = try config.map { text in
                text.hasPrefix(made.name + " ") ? try KernelConfig(parsing: text) : try made.defaultConfig.applying(overrides: text)
            }
            var settings = TrialSettings()
            settings.timeCap = 1
            let race = try InProcessTrialRunner(topology: try HwlocTopology())
                .race(problem, limits: limits, configs: configs, rounds: rounds, settings: settings)
            print("\(made.signature), \(rounds) interleaved rounds, profile \(profile.id)")
            for (index, config) in configs.enumerated() {
                let median = race.statistics[index].median
                print(String(format: "  %8.3f ms  %8.2f GFLOP/s  time ratio to the first %.3f  ", median * 1e3, made.flops / median / 1e9,
                             race.timeRatios[index]) + config.description)
            }
        }
    }
}
