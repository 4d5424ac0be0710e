import ArgumentParser
import Foundation
import MachineIdentity
import ModelRunner
import Reports
import TunebenchCore
import TunebenchRuntime
import TuningDatabase
import TuningDatabasePostgres
import Workloads

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run an ONNX model with the tuned configurations, check it against the fp32 reference, and time it.",
        discussion: """
        Each Gemm, MatMul and Conv (with its fused epilogue) runs the configuration the runtime \
        library gives for this machine (from --db or --artifact, with its fallback chain); the \
        other operators run their reference implementation. The output is compared with the \
        reference path (every operator plain fp32, products accumulated in double), and forward \
        passes with the tuned configurations are timed interleaved with passes at every layer's \
        fp32 analytical default.
        """
    )

    @Option(help: "The ONNX model.")
    var model: String

    @Option(name: .customLong("dim"), help: ArgumentHelp("A symbolic dimension and its size, e.g. batch=1 (repeat for each).", valueName: "name=size"),
            transform: DimensionBinding.parse)
    var dims: [DimensionBinding] = []

    @Option(help: "The model's inputs: a .npy file (a model with one input) or a .npz archive with an array per input name (default: seeded values, floats in [-1, 1), integers 0 and 1).")
    var input: String?

    @Option(help: "The tuning database the configurations come from.")
    var db = TuningDatabase.defaultPath

    @Option(help: "A deployment artifact (tunebench export) instead of --db.")
    var artifact: String?

    @Option(help: "Write the outputs of the tuned pass: a .npz archive (every output by name) or a .npy file (one output).")
    var output: String?

    @Option(help: "Timed forward passes of each kind.")
    var passes = 20

    @Option(help: "Threads the model runs on (default: the machine's cores); configurations tuned for more run on these.")
    var threads: Int?

    @Option(help: "Also write the report as JSON to this file (docs/deployment.md).")
    var json: String?

    @Flag(help: "Also time each step of the tuned plan (extra passes) and print the time per pass by operator.")
    var profile = false

    @Flag(help: "Run each attention node by node instead of as one fused step (to compare; the matmul layers' configurations then run).")
    var noFusedAttention = false

    func run() throws {
        try runReportingErrors {
            guard passes >= 1 else { throw ValidationError("--passes must be at least 1") }
            if let threads { guard threads >= 1 else { throw ValidationError("--threads takes a positive count") } }
            let dimensions = Dictionary(try DimensionBinding.single(dims).map { ($0.name, $0.size) }, uniquingKeysWith: { _, last in last })
            let plan = try ONNXImport.plan(path: model, dimensions: dimensions)
            for item in plan.workload.unsupported { printToStderr("warning: \(item)") }
            let machine = try LiveMachine.identify()
            let runtime = try artifact.map { try TuningRuntime(artifactPath: $0, machine: machine) }
                ?? TuningRuntime(store: try TuningStoreLocation.openForReading(db), machine: machine)
            var runner = ModelRun(plan: plan, runtime: runtime, machine: machine, threads: threads)
            runner.fuseAttention = !noFusedAttention
            let inputs = try input.map(runner.inputs(path:)) ?? runner.randomInputs()
            let report = try runner.run(inputs: inputs, passes: passes, profile: profile) { printToStderr($0) }
            print(RunReportText.render(report, plan: plan, profileID: machine.id, inputSource: input ?? "seeded values (floats in [-1, 1), integers 0 and 1)"))
            if let json {
                do { try RunSummary(report, run: runner).encoded().write(to: URL(fileURLWithPath: json)) } catch {
                    throw FileError(path: json, message: "cannot be written (\(error.localizedDescription))")
                }
                printToStderr("wrote \(json)")
            }
            if let output {
                try report.writeOutputs(to: output)
                printToStderr("wrote \(output)")
            }
        }
    }
}
