import ArgumentParser
import Foundation
import HardwareProbe
import Kernels
import ModelEngine
import Reports
import Search
import TunebenchCore
import Tuning
import TuningDatabase
import TuningDatabasePostgres
import Workloads

struct AutotuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "autotune",
        abstract: "Tune every layer of a workload on this machine and report the model as a whole.",
        discussion: """
        The workload is an ONNX model (--model, with --dim for its symbolic dimensions), a Hugging \
        Face config.json (--hf-config, with --tokens) or a layer list (--layers, \
        docs/workloads.md); without any, the bundled example examples/example-layers.json. \
        Identical layers are tuned once and counted with their \
        multiplicity. Each unique layer is tuned in each candidate precision within its share of \
        --time (shared by FLOPs); the fastest precision whose error stays within --max-error wins. \
        Layers already tuned for this profile are reused, so an interrupted autotune continues.

        With --share NAME and a PostgreSQL --db, every tuner started with the same NAME and \
        workload on a machine with the same profile takes unique layers from one queue in the \
        database until none is left; each layer is tuned once, with the search time it would \
        get alone, and a layer whose tuner died is taken over when its --lease expires \
        (scripts/fleet/ has Kubernetes and Slurm recipes).

        With --gpu, the workload's GEMM layers are tuned on a GPU with tunebench's CUDA kernels \
        and the GPU's precision choices recorded (docs/gpu.md); --compile-only compiles every \
        configuration they would try, without a GPU.
        """
    )

    @Option(help: "An ONNX model: its Gemm, MatMul and Conv nodes become layers, its initializers the weights of the error checks.")
    var model: String?

    @Option(name: .customLong("dim"), help: ArgumentHelp("A symbolic dimension of --model and its sizes, e.g. batch=1,32 (repeat for each).", valueName: "name=sizes"),
            transform: DimensionBinding.parse)
    var dims: [DimensionBinding] = []

    @Option(name: .customLong("hf-config"), help: "A Hugging Face config.json (Llama, Mistral, Qwen2/3, Gemma, Phi-3, Mixtral, Qwen-MoE, DeepSeek, Llama 4, GPT-2, BERT, …: docs/workloads.md).")
    var hfConfig: String?

    @Option(help: "Token counts for --hf-config, e.g. 1,32 (1 = a decode step).", transform: TokenCounts.parse)
    var tokens = [1]

    @Option(help: "A layer list (JSON, docs/workloads.md).")
    var layers: String?

    @Option(help: "Candidate weight precisions: auto (fp32, fp16, bf16, int8, int4) or a list, e.g. fp32 or fp32,int8.", transform: ValueList.precisions)
    var precision = Precision.allCases

    @Option(name: .customLong("max-error"), help: "Largest error against fp32 (default 1%): of an ONNX model's outputs by --metric, of each layer's output (relative L2) for other workloads.")
    var maxError = 0.01

    @Option(help: "How an ONNX model's output error is measured: l2 (relative L2), cosine (1 - cosine similarity) or top1 (1 - top-1 agreement of the first output's rows).")
    var metric = ModelMetric.relativeL2

    @Option(help: ArgumentHelp("Calibration inputs for an ONNX model's output error: a .npz (an array per input) or .npy file, or a directory of them (default: two seeded sets).", valueName: "file|dir"))
    var calibration: String?

    @Option(parsing: .unconditional, help: "Total time budget for the searches, e.g. 10m.", transform: DurationArgument.parse)
    var time = 600.0

    @Option(help: "Search strategy for every layer.")
    var strategy = StrategyName.auto

    @Option(help: ArgumentHelp(StoreLocation.help))
    var db = TuningDatabase.defaultPath

    @Flag(help: "Search again layers that already have a best configuration for this profile.")
    var retune = false

    @Option(help: "Hold every kernel's thread count at this, e.g. 1 when several tuners share one machine's cores.")
    var threads: Int?

    @Option(help: ArgumentHelp("Split the layers with the other tuners started with this name (needs a postgres:// --db).", valueName: "name"))
    var share: String?

    @Option(parsing: .unconditional, help: "With --share: how long a claimed layer stays claimed without renewal, e.g. 60s (a dead tuner's layer waits this long).",
            transform: DurationArgument.parse)
    var lease = 60.0

    @Option(help: "Also write the result as JSON to this file.")
    var json: String?

    @Flag(help: "Per-layer lines only, no per-trial lines.")
    var quiet = false

    @OptionGroup var trials: TrialOptions

    @OptionGroup var profiles: ProfileOptions

    @OptionGroup(title: "GPU") var gpuOptions: AutotuneGPUOptions

    func run() throws {
        InterruptHandler.install()
        try runReportingErrors {
            if !gpuOptions.gpu, gpuOptions.compileOnly || gpuOptions.arch != nil || gpuOptions.device != 0 {
                throw ValidationError("--compile-only, --arch and --device apply to GPU autotunes: add --gpu")
            }
            if gpuOptions.gpu, share != nil || threads != nil || calibration != nil {
                throw ValidationError("--share, --threads and --calibration apply to CPU autotunes, not to --gpu")
            }
            let source = try WorkloadSource.from(model: model, dimensions: try DimensionBinding.sizes(dims), hfConfig: hfConfig,
                                                 tokens: tokens, layers: layers)
            let workload = try source.load()
            for item in workload.unsupported { printToStderr("warning: not imported: \(item)") }
            for note in workload.notes { printToStderr("note: \(note)") }
            var request = Autotuner.Request(workload: workload, precisions: precision, maxError: maxError, totalSeconds: time,
                                            strategy: strategy.rawValue, retune: retune)
            request.settings.timeCap = trials.timeCap
            request.graphs = try source.graphs()
            request.metric = metric
            if let calibration {
                guard !request.graphs.isEmpty else { throw ValidationError("--calibration applies to ONNX models (--model): other workloads have no graph to run") }
                request.calibration = try ModelInputs.calibration(path: calibration, plans: request.graphs)
                request.calibrationSource = calibration
            }
            if let threads {
                guard threads >= 1 else { throw ValidationError("--threads takes a positive count") }
                request.fixed = "threads=\(threads)"
            }
            if gpuOptions.gpu {
                try gpuOptions.run(request, db: db, json: json, quiet: quiet, profiles: profiles)
                return
            }
            let profile = try profiles.currentMachine()
            let database = try TuningStoreLocation.open(db, create: true)
            let sharing = try share.map { name in
                guard !name.isEmpty else { throw ValidationError("--share takes a non-empty name") }
                guard let work = database as? any SharedWork else {
                    throw ValidationError("--share splits the work through a PostgreSQL database: give --db postgres://user@host:port/dbname")
                }
                return Autotuner.Sharing(work: work, name: name, leaseSeconds: lease)
            }
            let autotuner = Autotuner(tuner: Tuner(profile: profile, database: database, runner: try trials.runner()))
            printToStderr(AutotuneReportText.startLine(request, profileID: profile.id, database: database.address, sharing: sharing))
            var lastWaiting: WorkProgress?
            let result = try autotuner.run(request, sharing: sharing) { progress in
                switch progress {
                case .trial(let trial):
                    if !quiet { printToStderr("    " + TuneReportText.progressLine(trial)) }
                case .waiting(let state):
                    // Polled every few seconds: said once per change.
                    if state != lastWaiting, let line = AutotuneReportText.progressLine(progress) { printToStderr(line) }
                    lastWaiting = state
                default:
                    if let line = AutotuneReportText.progressLine(progress) { printToStderr(line) }
                }
            }
            print(AutotuneReportText.render(result, maxError: maxError))
            if let json {
                try AutotuneSummary(result).encoded().write(to: URL(fileURLWithPath: json))
                printToStderr("wrote \(json)")
            }
        }
    }
}
