import Foundation
import Kernels
import MachineIdentity
import ModelEngine
import TunebenchCore
import TunebenchRuntime
import Workloads

/// An ONNX model ready to serve on this machine: loaded and cleaned, its dimensions bound,
/// each layer's kernel bound to the model's weights with the configuration and precision the
/// runtime library answers (from a tuning database or a deployment artifact, with its fallback
/// chain), and the graph compiled (`CompiledModel`). What a Swift service links; `tunebench run`
/// runs the same code.
///
///     let model = try TunedModel(path: "model.onnx", dimensions: ["batch": 1], artifact: "deploy.json")
///     let outputs = try model.run(["x": Tensor(shape: [1, 64], data: values)])
public final class TunedModel {
    public let plan: ONNXPlan
    /// Per layer, the runtime's answer and, when it could not be bound, why the analytical
    /// fp32 configuration runs instead.
    public let layers: [ModelRun.LayerChoice]
    public let threads: Int
    let compiled: CompiledModel
    let team: ParallelTeam
    /// The model's initializers, decoded once (`run` builds its other plans on them).
    let initializers: [String: Tensor]

    /// The model's inputs: names, shapes at the bound dimensions, whether they hold integers.
    public var inputs: [(name: String, shape: [Int], isInteger: Bool)] { plan.inputs }
    public var outputNames: [String] { plan.file.graph.output.map(\.name) }
    /// The compiled plan's arena in bytes, and the nodes it runs on the reference operators.
    public var arenaBytes: Int { compiled.arenaBytes }
    public var referenceNodes: [String: Int] { compiled.referenceNodes }
    /// The attentions run as one fused step ("scores → softmax → context" node names).
    public var fusedAttentions: [String] { compiled.fusedAttentions }

    /// - Parameters:
    ///   - threads: the team the model runs on (default: the machine's cores); configurations
    ///     tuned for more threads run on these.
    ///   - fuseAttention: run each attention the graph spells out node by node as one fused step
    ///     (`CompiledModel`); false runs its nodes one by one, to compare.
    public init(plan: ONNXPlan, runtime: TuningRuntime, machine: HardwareProfile, threads: Int? = nil, fuseAttention: Bool = true) throws {
        self.plan = plan
        let threads = max(1, threads ?? machine.topology.cores)
        self.threads = threads
        let team = ParallelTeam(size: threads)
        self.team = team
        let limits = MachineSizes(profile: machine)
        var layers: [ModelRun.LayerChoice] = []
        var steps: [BoundStep] = []
        for binding in plan.bindings {
            var answer = runtime.config(for: binding.layer)
            // What runs: a configuration tuned for more threads runs on the team's.
            answer.config = Self.capped(answer.config, threads: threads)
            var choice = ModelRun.LayerChoice(name: binding.name, layer: binding.layer, answer: answer)
            do {
                steps.append(try ModelBinding.bind(binding, plan: plan, kernel: answer.kernel, config: answer.config,
                                                   precision: answer.precision, limits: limits, team: team))
            } catch {
                choice.fallbackReason = "\(error)"
                steps.append(try Self.analyticalStep(binding, plan: plan, limits: limits, team: team))
            }
            layers.append(choice)
        }
        self.layers = layers
        initializers = try ModelBinding.initializers(plan)
        compiled = try CompiledModel(plan: plan, initializers: initializers, steps: steps, team: team, fuseAttention: fuseAttention)
    }

    /// The model at `path` with `dimensions` bound, configured from a deployment artifact.
    public convenience init(path: String, dimensions: [String: Int] = [:], artifact: String, threads: Int? = nil) throws {
        let machine = try LiveMachine.identify()
        try self.init(plan: try ONNXImport.plan(path: path, dimensions: dimensions), runtime: try TuningRuntime(artifactPath: artifact, machine: machine),
                      machine: machine, threads: threads)
    }

    /// One forward pass: the graph outputs by name. Inputs are checked against the model.
    public func run(_ inputs: [String: Tensor]) throws -> [String: Tensor] {
        try ModelInputs.check(inputs, plan: plan, source: plan.file.path)
        let outputs = try compiled.run(inputs).outputs
        return Dictionary(uniqueKeysWithValues: zip(outputNames, outputs))
    }

    /// One pass and the seconds spent in the tuned layers (for timing), outputs in graph order.
    func timedRun(_ inputs: [String: Tensor]) throws -> (outputs: [Tensor], layerSeconds: Double) {
        try compiled.run(inputs)
    }

    /// `config` with its thread count capped at `threads`.
    static func capped(_ config: KernelConfig, threads: Int) -> KernelConfig {
        guard let given = config.int("threads"), given > threads else { return config }
        var capped = config
        capped.values["threads"] = .int(threads)
        return capped
    }

    /// The layer at its fp32 analytical configuration (capped to the team).
    static func analyticalStep(_ binding: ONNXLayerBinding, plan: ONNXPlan, limits: MachineSizes, team: ParallelTeam) throws -> BoundStep {
        let analytical = capped(ModelBinding.analytical(binding.layer, limits: limits), threads: team.size)
        return try ModelBinding.bind(binding, plan: plan, kernel: analytical.kernel, config: analytical, precision: .fp32, limits: limits, team: team)
    }
}
