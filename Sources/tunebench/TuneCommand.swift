import ArgumentParser
import Foundation
import HardwareProbe
import Kernels
import Reports
import Search
import Tuning
import TuningDatabase
import TuningDatabasePostgres

struct TuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune",
        abstract: "Search the fastest configuration of one kernel problem and record it in the tuning database.",
        discussion: """
        Every trial is validated against the reference, measured in a worker process (a crash or \
        hang is recorded as failed and the search goes on) and written to the database as it \
        completes. Run the same command again after an interruption to resume: finished trials \
        are reused, not re-measured. At the end the finalists and the default configuration are \
        raced interleaved; the winner, its margin and its speed-up over the default are recorded.
        Strategies: \(StrategyCatalog.names.joined(separator: ", ")) (auto: exhaustive when the \
        space fits in the budget, else a bandit over model-guided, annealing and genetic search).
        """
    )

    @Option(help: "The kernel: \(KernelKind.allCases.map(\.rawValue).joined(separator: ", ")); with --cuda, the function to tune.")
    var kernel: String

    @Option(help: "The problem shape: MxNxK for gemm and gemv, N,C,H,W,K,R,S[,stride[,pad[,dilation]]] for conv2d.")
    var shape: String?

    @Option(help: "Weight precision.")
    var precision = Precision.fp32

    @Option(help: "Fused epilogue: none, bias, an activation (relu, relu6, gelu for the tanh form, gelu_erf for the exact one), or bias+activation.", transform: EpilogueArgument.parse)
    var epilogue = Epilogue.none

    @Option(help: "Search strategy.")
    var strategy = StrategyName.auto

    @Option(help: "Trials at most (default 100, or none when --time is given).")
    var budget: Int?

    @Option(parsing: .unconditional, help: "Time budget for the trials, e.g. 90s, 2m, 1h.", transform: DurationArgument.parse)
    var time: Double?

    @Option(help: "Stop when nothing improved the best by more than 1% for this many trials.")
    var patience: Int?

    @Option(name: .customLong("stop-at"), help: "Stop when the best reaches this fraction of the roofline bound, e.g. 0.9.")
    var stopAt: Double?

    @Option(help: "Parameters held fixed, e.g. threads=1,pack_b=2.")
    var fix = ""

    @Option(help: "Seed of the strategy (runs with the same seed propose the same sequence).")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp(StoreLocation.help))
    var db = TuningDatabase.defaultPath

    @Option(help: "Finalists raced interleaved at the end (with the default configuration).")
    var finalists = 3

    @Option(help: "Interleaved rounds of the final race.")
    var rounds = 9

    @Flag(name: .customLong("no-seeds"), help: "Do not seed the search with the analytical and transferred configurations.")
    var noSeeds = false

    @Flag(help: "Start a new run even if an interrupted one with the same key exists.")
    var fresh = false

    @Option(name: .customLong("write-space"), help: "Write the run's configurations and scores as a recorded space for `simulate`.")
    var writeSpace: String?

    @Option(name: .customLong("t4"), help: "Write the run's trials in the T4 autotuning-results format (Kernel Tuner).")
    var t4: String?

    @Flag(help: "No per-trial progress lines.")
    var quiet = false

    @OptionGroup var trials: TrialOptions

    @OptionGroup var profiles: ProfileOptions

    @OptionGroup(title: "GPU") var gpuOptions: GPUTuneOptions

    func run() throws {
        InterruptHandler.install()
        try runReportingErrors {
            if gpuOptions.isRequested {
                try gpuOptions.run(kernel: kernel, shape: shape, precision: precision, strategy: strategy.rawValue, budget: budget,
                                   time: time, seed: seed, db: db, t4: t4, quiet: quiet, profiles: profiles)
                return
            }
            guard let kernel = KernelKind(rawValue: kernel) else {
                throw ValidationError("unknown kernel \"\(self.kernel)\" (known: \(KernelKind.allCases.map(\.rawValue).joined(separator: ", ")); --cuda FILE for a CUDA kernel)")
            }
            guard let shape else { throw ValidationError("--shape is required") }
            let problem = KernelProblem(layer: try Layer(kernel: kernel, shape: shape, epilogue: epilogue), precision: precision, kernel: kernel)
            var request = TuneRequest(problem: problem, strategy: strategy.rawValue, seed: seed, budgetTrials: budget ?? (time == nil ? 100 : nil),
                                      budgetSeconds: time, patience: patience, stopAtRooflineFraction: stopAt, fixed: fix,
                                      finalists: finalists, raceRounds: rounds, useSeeds: !noSeeds, resume: !fresh)
            request.settings.timeCap = trials.timeCap
            let profile = try profiles.currentMachine()
            let tuner = Tuner(profile: profile, database: try TuningStoreLocation.open(db, create: true), runner: try trials.runner())
            printToStderr("tuning \(kernel.rawValue) \(shape) \(precision.rawValue) on profile \(profile.id) into \(db)")
            let result = try tuner.tune(request) { progress in
                if !quiet { printToStderr(TuneReportText.progressLine(progress)) }
            }
            print(TuneReportText.render(result))
            if let writeSpace {
                try RecordedSpace(result: result, request: request, profile: profile).encoded().write(to: URL(fileURLWithPath: writeSpace))
                printToStderr("wrote the recorded space to \(writeSpace)")
            }
            if let t4 {
                try T4Results(trials: result.trials).encoded().write(to: URL(fileURLWithPath: t4))
                printToStderr("wrote T4 results to \(t4)")
            }
        }
    }
}

/// How `tune` and `autotune` measure each trial.
struct TrialOptions: ParsableArguments {
    @Option(name: .customLong("time-cap"), help: "Seconds of sampling per trial at most.")
    var timeCap = 0.3

    @Option(name: .customLong("trial-timeout"), help: "Seconds a trial may take before its worker is killed and it counts as timed out.")
    var trialTimeout = 120.0

    @Flag(name: .customLong("no-isolation"), help: "Measure in this process (a crashing configuration ends the run).")
    var noIsolation = false

    /// A worker process of this executable, or this process with --no-isolation.
    func runner() throws -> any TrialRunner {
        noIsolation ? InProcessTrialRunner(topology: try HwlocTopology()) : WorkerProcess(executable: ownExecutable(), timeout: trialTimeout)
    }
}

/// This executable, to start worker processes of the same build.
func ownExecutable() -> String {
    URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
}

struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Measure configurations for `tune`: JSON requests on stdin, one answer per line on stdout.",
        shouldDisplay: false
    )

    func run() throws {
        try WorkerLoop.run()
    }
}
