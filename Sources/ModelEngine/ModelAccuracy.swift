import Kernels
import TunebenchCore
import Workloads

/// A model's output error with chosen kernels, configurations and precisions per layer,
/// against the fp32 reference path (every operator plain fp32, products in double): relative L2
/// over all the outputs, the worst over a few seeded calibration inputs. What the autotuner
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
    let initializers: [String: Tensor]
    let inputs: [[String: Tensor]]
    let expected: [[Tensor]]
    let limits: MachineSizes
    let team: ParallelTeam

    /// - Parameters:
    ///   - calibration: how many input sets (uniform in [-1, 1), seeds 42, 43, …).
    ///   - threads: the team the layers run on (at least the largest `threads=` of a choice).
    public init(plan: ONNXPlan, limits: MachineSizes, threads: Int, calibration: Int = 2) throws {
        self.plan = plan
        self.limits = limits
        team = ParallelTeam(size: max(1, threads))
        initializers = try ModelBinding.initializers(plan)
        inputs = (0..<max(1, calibration)).map { index in
            var data = TestData(seed: UInt64(42 + index))
            return Dictionary(uniqueKeysWithValues: plan.inputs.map { input in
                (input.name, Tensor(shape: input.shape, data: (0..<input.shape.reduce(1, *)).map { _ in data.nextUnit() }))
            })
        }
        let reference = ModelExecutor(plan: plan, initializers: initializers, steps: [])
        expected = try inputs.map { try reference.run($0).outputs }
    }

    /// The worst relative L2 error of the outputs over the calibration inputs, each layer run
    /// as `choose` says.
    public func error(_ choose: (Layer) -> Choice) throws -> Double {
        let steps = try plan.bindings.map { binding in
            let choice = choose(binding.layer)
            return try ModelBinding.bind(binding, plan: plan, kernel: choice.kernel, config: choice.config, precision: choice.precision,
                                         limits: limits, team: team)
        }
        let executor = ModelExecutor(plan: plan, initializers: initializers, steps: steps)
        return try zip(inputs, expected).map { input, reference in
            ModelExecutor.relativeError(try executor.run(input).outputs, against: reference)
        }.max() ?? 0
    }
}
