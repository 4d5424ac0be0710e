import ArgumentParser
import Foundation
import Kernels
import Reports
import Tuning

struct RaceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "race",
        abstract: "Race configurations of one problem interleaved (A B C, C B A …) and print their ratios.",
        discussion: "Each --config is a full configuration as `tune` prints it (\"gemm kc=256,…\") or overrides of the default (\"mr=6,nr=16\")."
    )

    @Option(help: "The kernel.")
    var kernel: KernelKind

    @Option(help: "The problem shape.")
    var shape: String

    @Option(help: "Weight precision.")
    var precision = Precision.fp32

    @Option(help: "Fused epilogue: none, bias, an activation (relu, relu6, gelu for the tanh form, gelu_erf for the exact one), or bias+activation.", transform: EpilogueArgument.parse)
    var epilogue = Epilogue.none

    @Option(help: "A configuration to race (give two or more).")
    var config: [String] = []

    @Option(help: "Interleaved rounds.")
    var rounds = 15

    @OptionGroup var profiles: ProfileOptions

    func run() throws {
        try runReportingErrors {
            guard config.count >= 2 else { throw ValidationError("give at least two --config") }
            let problem = KernelProblem(layer: try Layer(kernel: kernel, shape: shape, epilogue: epilogue), precision: precision, kernel: kernel)
            var settings = TrialSettings()
            settings.timeCap = 1
            let race = try ConfigurationRace.run(problem, configs: config, rounds: rounds, profile: try profiles.currentMachine(), settings: settings)
            print(RaceReportText.render(race))
        }
    }
}
