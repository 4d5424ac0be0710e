import Foundation
import Kernels
import MachineIdentity
import ModelEngine
import TunebenchCore
import TunebenchRuntime
import Workloads

/// `tunebench run`: a model through the runtime's tuned configurations, checked against the
/// fp32 reference path, and timed against the same model with every layer at its fp32
/// analytical default (interleaved passes).
public struct ModelRun {
    public struct LayerChoice: Sendable {
        public var name: String
        public var layer: Layer
        public var answer: RuntimeAnswer
        /// Set when the answer's configuration could not be bound to this layer and the
        /// analytical fp32 configuration ran instead.
        public var fallbackReason: String?
    }

    public struct Report: Sendable {
        public var layers: [LayerChoice]
        /// Relative L2 error of the outputs against the reference path (all outputs together).
        public var tunedError: Double
        public var defaultError: Double
        /// Median seconds per forward pass, and of it in the layers (the tuned kernels; the
        /// rest runs the reference operators either way).
        public var tunedSeconds: Double
        public var defaultSeconds: Double
        public var tunedLayerSeconds: Double
        /// Median seconds of `passes` tuned passes back to back, after the interleaved ones: the
        /// caches as a service running only this model keeps them (in the interleaved passes each
        /// tuned pass follows a default pass, whose packed weights evict the tuned ones), and
        /// how onnxruntime's passes are timed in scripts/bench-vs-onnxruntime.
        public var steadySeconds: Double = .nan
        public var defaultLayerSeconds: Double
        public var referenceSeconds: Double
        public var passes: Int
        public var outputShapes: [[Int]]
        /// The compiled plan's arena, what one buffer per value would take, and the nodes it
        /// runs on the reference operators (per pass).
        public var arenaBytes: Int = 0
        public var unplannedBytes: Int = 0
        public var referenceNodes: [String: Int] = [:]
        /// The attentions run as one fused step ("scores → softmax → context" node names).
        public var fusedAttentions: [String] = []
        /// With `profile`: seconds per pass of the tuned plan by step kind ("layer conv2d", an
        /// operator, "Op (reference)"), from extra passes after the timed ones.
        public var profile: [(kind: String, seconds: Double)] = []
        /// The graph outputs of the tuned pass, by the graph's output names, in order.
        public var outputs: [(name: String, tensor: Tensor)]
    }

    public let plan: ONNXPlan
    public let runtime: TuningRuntime
    public let machine: HardwareProfile
    /// The threads the model runs on (default: the machine's cores); a configuration tuned for
    /// more runs on these.
    public let threads: Int
    /// Run the attentions as one fused step each (`CompiledModel`), in both timed plans.
    public var fuseAttention = true

    public init(plan: ONNXPlan, runtime: TuningRuntime, machine: HardwareProfile, threads: Int? = nil) {
        self.plan = plan
        self.runtime = runtime
        self.machine = machine
        self.threads = max(1, threads ?? machine.topology.cores)
    }

    /// Seeded inputs of the plan's input shapes (seed 42; `ModelInputs.seeded`).
    public func randomInputs() -> [String: Tensor] { ModelInputs.seeded(plan, seed: 42) }

    public func run(inputs: [String: Tensor], passes: Int = 20, profile: Bool = false, progress: (String) -> Void = { _ in }) throws -> Report {
        try ModelInputs.check(inputs, plan: plan, source: plan.file.path)
        let tuned = try TunedModel(plan: plan, runtime: runtime, machine: machine, threads: threads, fuseAttention: fuseAttention)
        let initializers = tuned.initializers
        let limits = MachineSizes(profile: machine)
        let defaultSteps = try plan.bindings.map { try TunedModel.analyticalStep($0, plan: plan, limits: limits, team: tuned.team) }
        let standard = try CompiledModel(plan: plan, initializers: initializers, steps: defaultSteps, team: tuned.team, fuseAttention: fuseAttention)
        let reference = ModelExecutor(plan: plan, initializers: initializers, steps: [])
        progress("reference pass")
        let referenceStart = DispatchTime.now().uptimeNanoseconds
        let expected = try reference.run(inputs).outputs
        let referenceSeconds = Double(DispatchTime.now().uptimeNanoseconds - referenceStart) / 1e9
        let tunedOutputs = try tuned.timedRun(inputs).outputs
        let defaultOutputs = try standard.run(inputs).outputs
        func error(_ outputs: [Tensor]) -> Double { ModelExecutor.relativeError(outputs, against: expected) }
        progress("timing \(passes) interleaved passes, default and tuned")
        var tunedTimes: [Double] = [], defaultTimes: [Double] = []
        var tunedLayers: [Double] = [], defaultLayers: [Double] = []
        // One warm-up pass each (first touches of the arena and the packed weights).
        _ = try standard.run(inputs)
        _ = try tuned.timedRun(inputs)
        for _ in 0..<passes {
            for isTuned in [false, true] {
                let start = DispatchTime.now().uptimeNanoseconds
                let layers = try (isTuned ? tuned.timedRun(inputs) : standard.run(inputs)).layerSeconds
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                if isTuned { tunedTimes.append(seconds); tunedLayers.append(layers) } else { defaultTimes.append(seconds); defaultLayers.append(layers) }
            }
        }
        var report = Report(layers: tuned.layers, tunedError: error(tunedOutputs), defaultError: error(defaultOutputs),
                      tunedSeconds: Self.median(tunedTimes), defaultSeconds: Self.median(defaultTimes),
                      tunedLayerSeconds: Self.median(tunedLayers), defaultLayerSeconds: Self.median(defaultLayers),
                      referenceSeconds: referenceSeconds, passes: passes, outputShapes: expected.map(\.shape),
                      outputs: Array(zip(plan.file.graph.output.map(\.name), tunedOutputs)))
        var steady: [Double] = []
        for _ in 0..<passes {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try tuned.timedRun(inputs)
            steady.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        report.steadySeconds = Self.median(steady)
        report.arenaBytes = tuned.compiled.arenaBytes
        report.unplannedBytes = tuned.compiled.unplannedBytes
        report.referenceNodes = tuned.compiled.referenceNodes
        report.fusedAttentions = tuned.compiled.fusedAttentions
        if profile {
            // Separate passes: timing every step adds its own clock reads.
            tuned.compiled.profiling = true
            for _ in 0..<passes { _ = try tuned.timedRun(inputs) }
            tuned.compiled.profiling = false
            report.profile = tuned.compiled.profile.map { ($0.key, Double($0.value) / 1e9 / Double(passes)) }.sorted { $0.seconds > $1.seconds }
        }
        return report
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? .nan : sorted[sorted.count / 2]
    }
}
