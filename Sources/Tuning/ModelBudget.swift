import Foundation
import HardwareProbe
import Kernels
import ModelEngine
import TunebenchCore
import Workloads

/// `--max-error` for a whole model: the layers' precisions are chosen one layer at a time
/// (each within the limit on its own), but errors add up through a graph. This runs the model
/// with the chosen precisions on calibration inputs and, while its output error is above the
/// limit, backs off the layer that costs the most accuracy per second saved to its next more
/// accurate candidate (ultimately fp32), recording the new choice. Then, in context: a layer
/// whose lower precision won alone (by its kernel's time, caches warm) is raced in the whole
/// pass against its fp32 candidate, and runs fp32 where that is clearly faster in the graph.
public struct ModelBudget {
    public struct Outcome: Sendable {
        /// The model's output error with the final choices (worst over graphs and inputs).
        public var error: Double
        /// The error with the per-layer choices, before any back-off.
        public var errorBefore: Double
        public var limit: Double
        public var metric: ModelMetric
        public var calibrationInputs: Int
        /// The calibration file or directory; nil: seeded inputs.
        public var calibrationSource: String?
        /// Each back-off: the layer, and the precision it left and took.
        public var backedOff: [(layer: Layer, from: Precision, to: Precision)]
        /// Each layer put back to fp32 because the whole pass ran clearly faster with it, and the
        /// pass's seconds with the lower precision and with fp32 (medians of alternated passes).
        public var fasterInContext: [(layer: Layer, from: Precision, seconds: Double, fp32Seconds: Double)] = []
        /// Layers with a lower precision left unraced because the races' budget ran out.
        public var notRacedInContext = 0
        /// The whole forward pass with the final choices in the compiled plan (summed over the
        /// graphs), and the part of it in the layers: what the layers' own times predict.
        public var measuredPass: (seconds: Double, layerSeconds: Double)?

        public var holds: Bool { error <= limit }

        /// The check as a choice records it: "bert-encoder.onnx (batch=2, seq=8): relative L2
        /// against fp32, worst of 2 seeded calibration inputs, limit 0.01".
        func description(models: [ONNXPlan]) -> String {
            let names = models.map { plan in
                let file = (plan.file.path as NSString).lastPathComponent
                return plan.dimensions.isEmpty ? file : file + " (" + plan.dimensions.map { "\($0.name)=\($0.size)" }.joined(separator: ", ") + ")"
            }
            let inputs = calibrationSource.map { "from \($0)" } ?? "seeded"
            return "\(names.joined(separator: "; ")): \(metric.description), worst of \(calibrationInputs) \(inputs) calibration inputs, limit \(limit)"
        }
    }

    let autotuner: Autotuner
    let request: Autotuner.Request

    public init(autotuner: Autotuner, request: Autotuner.Request) {
        self.autotuner = autotuner
        self.request = request
    }

    func enforce(on results: inout [Autotuner.LayerResult]) throws -> Outcome {
        let profile = autotuner.tuner.profile
        let limits = MachineSizes(profile: profile)
        // Each graph (binding of the dimensions) on the calibration sets of its input shapes.
        let sets = request.graphs.map { plan in
            request.calibration.filter { (try? ModelInputs.check($0, plan: plan, source: "")) != nil }
        }
        if !request.calibration.isEmpty, sets.allSatisfy(\.isEmpty) {
            let shapes = request.graphs.map { plan in plan.inputs.map { "\($0.name) \($0.shape)" }.joined(separator: ", ") }
            throw OptionError("--calibration \(request.calibrationSource ?? ""): no input set matches the model's inputs at the given dimensions (\(shapes.joined(separator: "; ")))")
        }
        let checks = try zip(request.graphs, sets).map { plan, calibration in
            try ModelAccuracy(plan: plan, limits: limits, threads: max(1, profile.topology.cores), calibration: calibration, metric: request.metric)
        }
        // What runs each layer with the current choices (analytical fp32 for a layer with none).
        func chooser(_ results: [Autotuner.LayerResult]) -> (Layer) -> ModelAccuracy.Choice {
            let choices = Dictionary(results.map { ($0.layer, Self.choice(for: $0, limits: limits)) }, uniquingKeysWith: { first, _ in first })
            return { layer in choices[layer] ?? Self.analytical(layer, limits: limits) }
        }
        func chooser() -> (Layer) -> ModelAccuracy.Choice { chooser(results) }
        func error() throws -> Double {
            let choose = chooser()
            return try checks.map { try $0.error(choose) }.max() ?? 0
        }
        let before = try error()
        var current = before
        var backedOff: [(layer: Layer, from: Precision, to: Precision)] = []
        while current > request.maxError, let (index, next) = Self.nextBackOff(results) {
            let from = results[index].winner?.precision ?? .fp32
            results[index].chosen = next
            backedOff.append((results[index].layer, from, results[index].candidates[next].precision))
            current = try error()
        }
        // In context: fp32 where the whole pass is clearly faster with it (fp32 only lowers the error).
        var fasterInContext: [(layer: Layer, from: Precision, seconds: Double, fp32Seconds: Double)] = []
        var notRaced = 0
        // The races get a tenth of the tuning budget (at least 2 s), the layers that weigh most in
        // the pass first: a model with many layers must not run long past --time.
        let raceDeadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(2, request.totalSeconds / 10) * 1e9)
        let weight = { (result: Autotuner.LayerResult) in (result.winner?.best?.medianSeconds ?? 0) * Double(result.multiplicity) }
        for index in results.indices.sorted(by: { weight(results[$0]) > weight(results[$1]) }) where request.raceInContext {
            guard let winner = results[index].winner, winner.precision != .fp32,
                  let fp32 = results[index].candidates.firstIndex(where: { $0.precision == .fp32 && $0.rejection == nil && $0.best != nil }) else { continue }
            guard DispatchTime.now().uptimeNanoseconds < raceDeadline else {
                notRaced += 1
                continue
            }
            var trial = results
            trial[index].chosen = fp32
            let (present, alternative) = (chooser(), chooser(trial))
            let times = try checks.map { try $0.race(present, alternative) }
            let (seconds, fp32Seconds) = (times.map(\.a).reduce(0, +), times.map(\.b).reduce(0, +))
            if fp32Seconds < Self.clearlyFaster * seconds {
                results[index].chosen = fp32
                fasterInContext.append((results[index].layer, winner.precision, seconds, fp32Seconds))
            }
        }
        if !fasterInContext.isEmpty { current = try error() }
        var outcome = Outcome(error: current, errorBefore: before, limit: request.maxError, metric: request.metric,
                              calibrationInputs: checks.map(\.calibrationCount).reduce(0, +),
                              calibrationSource: sets.contains { !$0.isEmpty } ? request.calibrationSource : nil, backedOff: backedOff)
        outcome.fasterInContext = fasterInContext
        outcome.notRacedInContext = notRaced
        let choose = chooser()
        let passes = try checks.map { try $0.wholePass(choose) }
        outcome.measuredPass = (passes.map(\.seconds).reduce(0, +), passes.map(\.layerSeconds).reduce(0, +))
        // Every layer's choice records the check it passed (the deployment artifact carries it).
        let check = outcome.description(models: request.graphs)
        for result in results {
            guard let winner = result.winner else { continue }
            try autotuner.recordChoice(winner, layer: result.layer, policy: request.policy, modelCheck: check, modelOutputError: current)
        }
        return outcome
    }

    /// The whole pass with fp32 must take less than this fraction of the time with the lower
    /// precision to switch: the alternated medians still differ by a few percent between
    /// identical plans here.
    static let clearlyFaster = 0.95

    /// The layer whose chosen precision costs the most error per second it saves over its next
    /// more accurate eligible candidate, and that candidate's index; nil when every layer runs
    /// its most accurate candidate.
    static func nextBackOff(_ results: [Autotuner.LayerResult]) -> (Int, Int)? {
        var best: (index: Int, next: Int, ratio: Double)?
        for (index, result) in results.enumerated() {
            guard let chosen = result.chosen, let winner = result.winner, let seconds = winner.best?.medianSeconds else { continue }
            let error = winner.relativeError ?? 0
            let alternatives = result.candidates.indices.filter { other in
                other != chosen && result.candidates[other].rejection == nil && result.candidates[other].best != nil
                    && (result.candidates[other].relativeError ?? 0) < error
            }
            // The fastest of the more accurate candidates.
            guard let next = alternatives.min(by: {
                (result.candidates[$0].best?.medianSeconds ?? .infinity) < (result.candidates[$1].best?.medianSeconds ?? .infinity)
            }) else { continue }
            let saved = max(((result.candidates[next].best?.medianSeconds ?? seconds) - seconds) * Double(result.multiplicity), 1e-12)
            let ratio = error / saved
            if ratio > best?.ratio ?? -1 { best = (index, next, ratio) }
        }
        return best.map { ($0.index, $0.next) }
    }

    static func choice(for result: Autotuner.LayerResult, limits: MachineSizes) -> ModelAccuracy.Choice {
        guard let winner = result.winner, let best = winner.best, let config = try? KernelConfig(parsing: best.config) else {
            return analytical(result.layer, limits: limits)
        }
        return ModelAccuracy.Choice(kernel: best.kernel, config: config, precision: winner.precision)
    }

    static func analytical(_ layer: Layer, limits: MachineSizes) -> ModelAccuracy.Choice {
        ModelAccuracy.Choice(kernel: layer.kernel.rawValue, config: ModelBinding.analytical(layer, limits: limits), precision: .fp32)
    }
}
