import ArgumentParser

@main
struct Tunebench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tunebench",
        abstract: "Hardware-aware autotuning benchmark harness for ML inference kernels.",
        version: "0.1.0",
        subcommands: [
            ProbeCommand.self, RooflineCommand.self, CompareCommand.self, BenchCommand.self, TuneCommand.self, SimulateCommand.self,
            AutotuneCommand.self, InspectCommand.self, RunCommand.self, ExportCommand.self, VerifyCommand.self, DatabaseCommand.self, RaceCommand.self, WorkerCommand.self,
        ]
    )
}
