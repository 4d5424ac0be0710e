import Foundation
import Kernels
import TunebenchCore
import Workloads

/// A model's output error with chosen kernels, configurations and precisions per layer,
/// against the fp32 reference path (every operator plain fp32, products in double), by a
/// metric (relative L2 by default), the worst over the calibration inputs. What the autotuner
/// holds `--max-error` to for a graph, instead of each layer alone.
public struct ModelAccuracy {
    /// What runs one layer.
    public struct Choice: Sendable {
        public var kernel: String
        public var config: KernelConfig
        public var precision: Precision

        public init(kernel: String, config: KernelConfig, precision: Precision) {
            self.kernel = kernel
            self.config = config
            self.precision = precision
        }
    }

    public let plan: ONNXPlan
    public let metric: ModelMetric
    let initializers: [String: Tensor]
    let inputs: [[String: Tensor]]
    let expected: [[Tensor]]
    let limits: MachineSizes
    let team: ParallelTeam

    /// - Parameters:
    ///   - calibration: the input sets; empty: two seeded sets (seeds 42, 43; `ModelInputs.seeded`).
    ///   - threads: the team the layers run on (at least the largest `threads=` of a choice).
    public init(plan: ONNXPlan, limits: MachineSizes, threads: Int, calibration: [[String: Tensor]] = [], metric: ModelMetric = .relativeL2) throws {
        self.plan = plan
        self.limits = limits
        self.metric = metric
        team = ParallelTeam(size: max(1, threads))
        initializers = try ModelBinding.initializers(plan)
        inputs = calibration.isEmpty ? (0..<2).map { ModelInputs.seeded(plan, seed: UInt64(42 + $0)) } : calibration
        let reference = ModelExecutor(plan: plan, initializers: initializers, steps: [])
        expected = try inputs.map { try reference.run($0).outputs }
    }

    public var calibrationCount: Int { inputs.count }

    /// The worst error (by `metric`) of the outputs over the calibration inputs, each layer run
    /// as `choose` says.
    public func error(_ choose: (Layer) -> Choice) throws -> Double {
        let executor = ModelExecutor(plan: plan, initializers: initializers, steps: try steps(choose))
        return try zip(inputs, expected).map { input, reference in
            metric.error(try executor.run(input).outputs, against: reference)
        }.max() ?? 0
    }

    /// The whole forward pass as a deployment runs it (the compiled plan, layers as `choose`
    /// says), on the first calibration input: the median of up to `passes` passes after one
    /// warm-up (fewer when they pass `timeCap` seconds), and the part of it spent in the layers.
    /// The layers' own measurements (alone, caches warm) predict the pass; this is the figure to
    /// hold the prediction against.
    public func wholePass(_ choose: (Layer) -> Choice, passes: Int = 30, timeCap: Double = 2) throws -> (seconds: Double, layerSeconds: Double) {
        let compiled = try CompiledModel(plan: plan, initializers: initializers, steps: try steps(choose), team: team)
        let input = inputs[0]
        _ = try compiled.run(input)
        var (times, layerTimes) = ([Double](), [Double]())
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(timeCap * 1e9)
        while times.count < max(1, passes) && (times.isEmpty || DispatchTime.now().uptimeNanoseconds < deadline) {
            let start = DispatchTime.now().uptimeNanoseconds
            let layers = try compiled.run(input).layerSeconds
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            layerTimes.append(layers)
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        return (median(times), median(layerTimes))
    }

    /// The whole pass with the layers as `a` says and as `b` says, compiled once each and run in
    /// alternation (the first calibration input; one warm-up each): the medians of `passes`
    /// passes each, fewer when they pass `timeCap` seconds. Alternating keeps the machine's
    /// drift (20–30% here between runs) out of the comparison.
    public func race(_ a: (Layer) -> Choice, _ b: (Layer) -> Choice, passes: Int = 25, timeCap: Double = 1) throws -> (a: Double, b: Double) {
        let plans = [try CompiledModel(plan: plan, initializers: initializers, steps: try steps(a), team: team),
                     try CompiledModel(plan: plan, initializers: initializers, steps: try steps(b), team: team)]
        let input = inputs[0]
        for compiled in plans { _ = try compiled.run(input) }
        var times: [[Double]] = [[], []]
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(timeCap * 1e9)
        while times[0].count < max(1, passes) && (times[0].isEmpty || DispatchTime.now().uptimeNanoseconds < deadline) {
            for (index, compiled) in plans.enumerated() {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try compiled.run(input)
                times[index].append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        return (median(times[0]), median(times[1]))
    }

    private func steps(_ choose: (Layer) -> Choice) throws -> [BoundStep] {
        try plan.bindings.map { binding in
            let choice = choose(binding.layer)
            return try ModelBinding.bind(binding, plan: plan, kernel: choice.kernel, config: choice.config, precision: choice.precision,
                                         limits: limits, team: team)
        }
    }
}
