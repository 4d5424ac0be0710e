import ArgumentParser
import Foundation
import HardwareProbe
import Kernels
import Tuning
import TuningDatabase
import Workloads

struct AutotuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "autotune",
        abstract: "Tune every layer of a workload on this machine and report the model as a whole.",
        discussion: """
        The workload is a Hugging Face config.json (--hf-config, with --tokens) or a layer list \
        (--layers, docs/workloads.md); without either, the bundled example \
        examples/example-layers.json. Identical layers are tuned once and counted with their \
        multiplicity. Each unique layer is tuned in each candidate precision within its share of \
        --time (shared by FLOPs); the fastest precision whose error stays within --max-error wins. \
        Layers already tuned for this profile are reused, so an interrupted autotune continues.
        """
    )

    @Option(name: .customLong("hf-config"), help: "A Hugging Face config.json (llama, mistral, qwen2, gpt2, bert).")
    var hfConfig: String?

    @Option(help: "Token counts for --hf-config, e.g. 1,32 (1 = a decode step).")
    var tokens = "1"

    @Option(help: "A layer list (JSON, docs/workloads.md).")
    var layers: String?

    @Option(help: "Candidate weight precisions: auto (fp32, fp16, bf16, int8, int4) or a list, e.g. fp32 or fp32,int8.")
    var precision = "auto"

    @Option(name: .customLong("max-error"), help: "Largest relative L2 error of a layer's output against fp32 (default 1%).")
    var maxError = 0.01

    @Option(help: "Total time budget for the searches, e.g. 10m.")
    var time = "10m"

    @Option(help: "Search strategy for every layer.")
    var strategy = "auto"

    @Option(help: "The tuning database.")
    var db = TuningDatabase.defaultPath



    @Flag(help: "Search again layers that already have a best configuration for this profile.")
    var retune = false


    @Option(help: "Also write the result as JSON to this file.")
    var json: String?

    @Flag(help: "Per-layer lines only, no per-trial lines.")
    var quiet = false

    @OptionGroup var trials: TrialOptions

    @OptionGroup var profiles: ProfileOptions

    func run() throws {
        try runReportingErrors {
            guard hfConfig == nil || layers == nil else { throw ValidationError("give --hf-config or --layers, not both") }
            let workload: Workload
            do {
                if let hfConfig {
                    let counts = tokens.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
                    guard !counts.isEmpty, counts.allSatisfy({ $0 > 0 }) else { throw ValidationError("--tokens takes positive counts, e.g. 1,32") }
                    workload = try HuggingFaceConfig.load(path: hfConfig, tokens: counts)
                } else {
                    workload = try LayerList.load(path: layers ?? "examples/example-layers.json")
                }
            } catch let error as WorkloadError {
                printToStderr("tunebench: error: \(error)")
                throw ExitCode(1)
            }
            let candidates: [Precision] = try precision == "auto" ? Precision.allCases : precision.split(separator: ",").map { name in
                guard let value = Precision(rawValue: String(name)) else {
                    throw ValidationError("--precision: \(name) is not one of auto, \(Precision.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return value
            }
            for item in workload.unsupported { printToStderr("warning: not imported: \(item)") }
            var request = Autotuner.Request(workload: workload, precisions: candidates, maxError: maxError, totalSeconds: try parseDuration(time),
                                            strategy: strategy, retune: retune)
            request.settings.timeCap = trials.timeCap
            let profile = try profiles.currentMachine()
            let database = try TuningDatabase(path: db)
            let runner = try trials.runner()
            let autotuner = Autotuner(tuner: Tuner(profile: profile, database: database, runner: runner))
            printToStderr("autotuning \(workload.name): \(workload.uniqueLayers.count) unique layers x \(Set(candidates + [.fp32]).count) precisions within \(time) on profile \(profile.id) into \(db)")
            let result = try autotuner.run(request) { progress in
                if case .trial(let trial) = progress {
                    if !quiet { printToStderr("    " + TuneReportText.progressLine(trial)) }
                } else if let line = AutotuneReportText.progressLine(progress) {
                    printToStderr(line)
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
