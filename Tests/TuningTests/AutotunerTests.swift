import Foundation
import HardwareProbe
import Kernels
import Reports
import Testing

@testable import Tuning
import TuningDatabase
import Workloads

@Suite("autotune", .serialized)
struct AutotunerTests {
    static let workload = Workload(name: "tiny", source: "test", instances: [
        .init(name: "decode", layer: .gemm(m: 2, n: 64, k: 64), count: 3),
        .init(name: "prefill", layer: .gemm(m: 24, n: 40, k: 24, epilogue: Epilogue(bias: true, activation: .relu))),
        .init(name: "decode again", layer: .gemm(m: 2, n: 64, k: 64)),
    ])

    @Test("a precision whose kernel cannot take the layer (int4 with one output: a MoE's shared-expert gate) is rejected, and the autotune goes on")
    func kernelRefusesShape() throws {
        let path = try temporaryPath("odd.sqlite")
        let tuner = Tuner(profile: TunerTests.profile, database: try TuningDatabase(path: path),
                          runner: InProcessTrialRunner(topology: try HwlocTopology()))
        let workload = Workload(name: "gate", source: "test", instances: [.init(name: "shared_expert_gate", layer: .gemm(m: 1, n: 1, k: 64))])
        var request = Autotuner.Request(workload: workload, precisions: [.int4], maxError: 0.5, totalSeconds: 0.5)
        request.settings.timeCap = 0.02
        let result = try Autotuner(tuner: tuner).run(request)
        let layer = try #require(result.layers.first)
        #expect(layer.candidates.last?.rejection?.hasPrefix("the int4 kernel cannot compute this layer: ") == true, "\(layer.candidates.last?.rejection ?? "-")")
        #expect(layer.winner?.precision == .fp32)
    }

    @Test("each unique layer tuned once per precision; int4 rejected by the error limit; totals weighted by multiplicity; a rerun reuses")
    func autotune() throws {
        let path = try temporaryPath("a.sqlite")
        let tuner = Tuner(profile: TunerTests.profile, database: try TuningDatabase(path: path),
                          runner: InProcessTrialRunner(topology: try HwlocTopology()))
        var request = Autotuner.Request(workload: Self.workload, precisions: [.int8, .int4], maxError: 0.01, totalSeconds: 1.5)
        request.settings.timeCap = 0.02
        let result = try Autotuner(tuner: tuner).run(request)
        #expect(result.layers.map(\.layer.description) == ["gemm m=2 n=64 k=64", "gemm m=24 n=40 k=24 bias relu"])
        #expect(result.layers.map(\.multiplicity) == [4, 1])
        #expect(result.layers.map(\.kernel.rawValue) == ["gemv", "gemm"])
        for layer in result.layers {
            #expect(layer.candidates.map(\.precision) == [.fp32, .int8, .int4])
            let int4 = try #require(layer.candidates.last)
            #expect(int4.rejection?.contains("above the limit") == true, "int4 error \(int4.relativeError ?? -1)")
            let winner = try #require(layer.winner)
            #expect(winner.precision != .int4)
            #expect((winner.relativeError ?? 1) <= 0.01)
            // The winner is the most accurate eligible candidate within the clearly-faster margin of
            // the fastest (Autotuner.choose): a less accurate one wins only by being clearly faster.
            let eligible = layer.candidates.filter { $0.rejection == nil && $0.best != nil }
            let fastest = try #require(eligible.compactMap(\.best?.medianSeconds).min())
            let close = eligible.filter { ($0.best?.medianSeconds ?? .infinity) * Autotuner.clearlyFaster <= fastest }
            #expect(close.contains { $0.precision == winner.precision })
            #expect(close.allSatisfy { ($0.relativeError ?? 0) >= (winner.relativeError ?? 0) })
            #expect(layer.defaultSeconds != nil)
        }
        let tuned = try #require(result.tunedSeconds)
        #expect(abs(tuned - result.layers.reduce(0) { $0 + ($1.tunedSeconds ?? 0) * Double($1.multiplicity) }) < 1e-15)
        let runs = try tuner.database.runs().count
        #expect(runs == 6)
        // Each layer's decision is recorded for deployments: the winner's precision and best row.
        let choices = try tuner.database.choices()
        #expect(choices.count == 2)
        for layer in result.layers {
            let choice = try #require(choices.first { $0.layer == layer.layer.description })
            #expect(choice.policy == "max-error 0.01 over fp32,int8,int4")
            #expect(choice.precision == layer.winner?.precision.rawValue)
            #expect(choice.bestLayer == layer.winner?.best?.layer)
        }
        // A rerun reuses every best found by a search of at least Autotuner.minimumTrials measured
        // trials (or the whole space) and searches the others again, saying which and why.
        var finished: [String: Bool] = [:]
        for layer in result.layers {
            for candidate in layer.candidates {
                let best = try #require(candidate.best)
                let measured = try tuner.database.trials(runID: best.runId).filter { $0.status == .ok }.count
                let space = try KernelCatalog.kernel(for: KernelProblem(layer: layer.layer, precision: candidate.precision),
                                                     limits: MachineSizes(profile: TunerTests.profile)).space.cardinality
                finished[best.layer] = measured >= min(Autotuner.minimumTrials, space)
            }
        }
        var lines: [String] = []
        let again = try Autotuner(tuner: tuner).run(request) { progress in AutotuneReportText.progressLine(progress).map { lines.append($0) } }
        let retuned = finished.values.filter { !$0 }.count
        #expect(try tuner.database.runs().count == runs + retuned)
        for layer in again.layers {
            for candidate in layer.candidates {
                let key = layer.layer.key(precision: candidate.precision)
                #expect(candidate.reused == finished[key], "\(key)")
                let line = lines.first { $0.contains("\(layer.layer) \(candidate.precision.rawValue):") } ?? ""
                #expect(line.contains(candidate.reused ? "measured trials, run " : "searching again"), "\(line)")
            }
        }
        if retuned == 0 { #expect(again.tunedSeconds == result.tunedSeconds) }
        #expect(AutotuneReportText.render(again, maxError: 0.01).contains("forward pass over the imported layers"))
    }
}

@Suite("autotune on a model's weights", .serialized)
struct ModelWeightAutotuneTests {
    /// K x N weights uniform in [-1, 1) with a 50 in every `every` rows of each column: int8
    /// spends its levels on the outlier, and the other weights of its group lose precision.
    static func outlierWeights(k: Int, n: Int, every: Int) -> LayerWeights {
        var data = TestData(seed: 11)
        var values = (0..<k * n).map { _ in data.nextUnit() }
        for column in 0..<n {
            for start in stride(from: 0, to: k, by: every) { values[(start + column % every) * n + column] = 50 }
        }
        return LayerWeights(source: "outliers", rows: k, columns: n, values: values)
    }

    @Test("the error of a precision on given weights: exact where representable, per-group better than per-channel with outliers")
    func errorOnWeights() throws {
        // Every column holds -1, 0, 1 times a power of two: fp16, bf16 and int8 store them exactly.
        let exact = LayerWeights(source: "exact", rows: 64, columns: 16, values: (0..<64 * 16).map { Float(($0 * 5) % 3 - 1) * 0.25 })
        for precision in [Precision.fp32, .fp16, .bf16, .int8] {
            #expect(try ModelWeightAccuracy.relativeError(of: exact, precision: precision, group: 0) < 1e-6, "\(precision)")
        }
        // One outlier per column: groups of 32 rows confine it to one group.
        let outliers = Self.outlierWeights(k: 128, n: 32, every: 128)
        let perChannel = try ModelWeightAccuracy.relativeError(of: outliers, precision: .int8, group: 0)
        let perGroup = try ModelWeightAccuracy.relativeError(of: outliers, precision: .int8, group: 32)
        #expect(perChannel > 0.01)
        #expect(perGroup < perChannel)
        #expect(try ModelWeightAccuracy.relativeError(of: outliers, precision: .fp16, group: 0) < 1e-3)
    }

    @Test("a precision that passes on random weights is rejected on the model's weights when they quantize badly")
    func modelWeightsDecide() throws {
        let layer = Layer.gemm(m: 24, n: 32, k: 128)
        let random = Workload(name: "random", source: "test", instances: [.init(name: "fc", layer: layer)])
        // An outlier in every group of 32 rows: no quantization group escapes it.
        let model = Workload(name: "model", source: "test", instances: [.init(name: "fc", layer: layer, weights: Self.outlierWeights(k: 128, n: 32, every: 32))])
        func run(_ workload: Workload) throws -> Autotuner.Candidate {
            let tuner = Tuner(profile: TunerTests.profile, database: try TuningDatabase(path: try temporaryPath("w.sqlite")),
                              runner: InProcessTrialRunner(topology: try HwlocTopology()))
            var request = Autotuner.Request(workload: workload, precisions: [.int8], maxError: 0.01, totalSeconds: 1)
            request.settings.timeCap = 0.02
            let result = try Autotuner(tuner: tuner).run(request)
            return try #require(result.layers.first?.candidates.first { $0.precision == .int8 })
        }
        let onRandom = try run(random)
        #expect(!onRandom.errorOnModelWeights)
        #expect(onRandom.rejection == nil, "int8 on random weights: \(onRandom.relativeError ?? -1)")
        let onModel = try run(model)
        #expect(onModel.errorOnModelWeights)
        let best = try #require(onModel.best)
        let group = try KernelConfig(parsing: best.config).int("group") ?? 0
        #expect(onModel.relativeError == (try ModelWeightAccuracy.relativeError(of: model.instances[0].weights!, precision: .int8, group: group)))
        #expect(onModel.rejection?.contains("above the limit") == true, "int8 on the model's weights: \(onModel.relativeError ?? -1)")
    }
}
