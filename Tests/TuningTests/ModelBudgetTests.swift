import Foundation
import HardwareProbe
import Kernels
import Testing

@testable import Tuning
import TuningDatabase
import Workloads

@Suite("model-level accuracy budget", .serialized)
struct ModelBudgetTests {
    static let mlp = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("examples/onnx/mlp.onnx").path

    /// A layer's result as autotune would leave it: fp32 and int8 candidates, int8 chosen (faster,
    /// within the per-layer limit), with analytical configurations.
    static func result(_ layer: Layer, int8Seconds: Double, limits: MachineSizes) -> Autotuner.LayerResult {
        func candidate(_ precision: Precision, seconds: Double, error: Double) -> Autotuner.Candidate {
            let config = AnalyticalDefaults.config(kernel: layer.kernel, m: layer.m ?? 1, precision: precision, limits: limits)
            let best = BestRecord(profileId: "p", layer: layer.key(precision: precision), kernelLibraryVersion: KernelLibrary.version,
                                  kernel: layer.kernel.rawValue, config: config.description, medianSeconds: seconds, gflops: 1,
                                  rooflineFraction: nil, margin: nil, runnerUpConfig: nil, defaultConfig: config.description,
                                  speedupOverDefault: nil, runId: "r", updatedAt: "t")
            return Autotuner.Candidate(precision: precision, best: best, relativeError: error, rejection: nil, reused: true)
        }
        return Autotuner.LayerResult(layer: layer, multiplicity: 1, names: [], kernel: layer.kernel,
                                     candidates: [candidate(.fp32, seconds: 1e-5, error: 1e-8), candidate(.int8, seconds: int8Seconds, error: 5e-3)],
                                     chosen: 1, defaultSeconds: 1e-5, tunedHere: false)
    }

    @Test("int8 on every layer of the MLP is above a tight model limit: layers are backed off to fp32, most error per second saved first, until the output is within it")
    func backsOff() throws {
        let plan = try ONNXImport.plan(path: Self.mlp, dimensions: ["batch": 8])
        let limits = MachineSizes(profile: TunerTests.profile)
        // int8 saves the most time on the first layer, the least on the last: the last is backed off first.
        var results = zip(plan.bindings.map(\.layer), [2e-6, 5e-6, 9e-6]).map { Self.result($0, int8Seconds: $1, limits: limits) }
        let tuner = Tuner(profile: TunerTests.profile, database: try TuningDatabase(path: try temporaryPath("budget.sqlite")),
                          runner: InProcessTrialRunner(topology: try HwlocTopology()))
        var request = Autotuner.Request(workload: plan.workload, precisions: [.int8], maxError: 1e-4)
        request.graphs = [plan]
        let outcome = try ModelBudget(autotuner: Autotuner(tuner: tuner), request: request).enforce(on: &results)
        #expect(outcome.errorBefore > 1e-4, "\(outcome.errorBefore)")
        #expect(outcome.error <= 1e-4 && outcome.holds, "\(outcome.error)")
        #expect(!outcome.backedOff.isEmpty && outcome.backedOff.allSatisfy { $0.from == .int8 && $0.to == .fp32 })
        #expect(outcome.backedOff.first?.layer == plan.bindings.last?.layer)
        #expect(results.filter { $0.winner?.precision == .fp32 }.count == outcome.backedOff.count)
        // A loose limit keeps every choice.
        var kept = zip(plan.bindings.map(\.layer), [2e-6, 5e-6, 9e-6]).map { Self.result($0, int8Seconds: $1, limits: limits) }
        request.maxError = 0.05
        let loose = try ModelBudget(autotuner: Autotuner(tuner: tuner), request: request).enforce(on: &kept)
        #expect(loose.backedOff.isEmpty && loose.error == loose.errorBefore && loose.error < 0.05)
        #expect(kept.allSatisfy { $0.winner?.precision == .int8 })
    }
}
