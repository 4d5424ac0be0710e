import Kernels
import TunebenchCore
import Workloads

/// Turns an ONNX plan's layers into steps the executor runs: each layer's kernel (from
/// KernelCatalog) with a configuration and precision, bound to the model's weights. Knows no
/// tuning database: callers say which configuration each layer runs (`ModelRun` asks the
/// runtime library; the autotuner's accuracy check uses its own choices).
public enum ModelBinding {
    /// The graph's initializers as tensors (integer ones keep their integers for shape arithmetic).
    public static func initializers(_ plan: ONNXPlan) throws -> [String: Tensor] {
        try plan.file.graph.initializer.reduce(into: [String: Tensor]()) { table, proto in
            guard let tensor = try plan.file.tensor(proto.name) else { return }
            table[proto.name] = Tensor(tensor)
        }
    }

    /// The fp32 analytical configuration of the kernel that serves `layer`, for the tiles this
    /// process runs.
    public static func analytical(_ layer: Layer, limits: MachineSizes) -> KernelConfig {
        AnalyticalDefaults.config(kernel: layer.kernel, m: layer.m ?? 1, precision: .fp32, limits: limits.runnable)
    }

    /// The layer's kernel (from KernelCatalog) bound to the model's weights, or for matmul to
    /// the bias alone (its B is an activation).
    public static func bind(_ binding: ONNXLayerBinding, plan: ONNXPlan, kernel name: String, config: KernelConfig, precision: Precision,
                            limits: MachineSizes, team: ParallelTeam) throws -> BoundStep {
        guard let kind = KernelKind(rawValue: name) else { throw KernelError.invalidConfig("unknown kernel \"\(name)\"") }
        let bias = try binding.bias.map { name -> [Float] in
            guard let values = try plan.file.tensor(name)?.floats else {
                throw FileError(path: plan.file.path, message: "bias \"\(name)\" is not a floating-point initializer")
            }
            return values
        }
        // matmul is fp32 only (its weights are an activation), and so is the depthwise kernel.
        let problem = KernelProblem(layer: binding.layer, precision: [.matmul, .dwconv2d].contains(kind) ? .fp32 : precision, kernel: kind)
        let kernel = try KernelCatalog.kernel(for: problem, limits: limits)
        if let gemm = kernel as? GEMMKernel, gemm.activationB {
            return BoundStep(binding: binding, kernel: .product(try gemm.bindProduct(config, bias: bias, team: team), m: gemm.m, n: gemm.n, k: gemm.k))
        }
        guard let weights = binding.weights else { throw KernelError.invalidConfig("layer \(binding.name) has no constant weights") }
        guard let bindable = kernel as? any WeightBindingKernel else {
            throw KernelError.invalidConfig("the \(name) kernel cannot be bound to weights")
        }
        let bound = try bindable.bind(config, operands: LayerOperands(weights: weights.values, bias: bias), team: team)
        return BoundStep(binding: binding, kernel: .layer(bound))
    }
}
