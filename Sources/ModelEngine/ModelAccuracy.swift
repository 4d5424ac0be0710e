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
        let steps = try plan.bindings.map { binding in
            let choice = choose(binding.layer)
            return try ModelBinding.bind(binding, plan: plan, kernel: choice.kernel, config: choice.config, precision: choice.precision,
                                         limits: limits, team: team)
        }
        let executor = ModelExecutor(plan: plan, initializers: initializers, steps: steps)
        return try zip(inputs, expected).map { input, reference in
            metric.error(try executor.run(input).outputs, against: reference)
        }.max() ?? 0
    }
}
