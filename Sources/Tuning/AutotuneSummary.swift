import Foundation
import Kernels
import TunebenchCore

/// An autotune's result as JSON (`autotune --json FILE`), for scripts and other tools.
public struct AutotuneSummary: Codable, Sendable {
    public struct Candidate: Codable, Sendable {
        public var precision: String
        public var gflops: Double?
        public var relativeError: Double?
        /// The error was measured on the model's weights (else on random weights).
        public var errorOnModelWeights: Bool
        public var rejection: String?
    }

    public struct LayerEntry: Codable, Sendable {
        public var layer: String
        public var multiplicity: Int
        public var names: [String]
        public var kernel: String
        /// The `--shape` and `--epilogue` arguments of `tune` and `bench` for this layer.
        public var shape: String
        public var epilogue: String
        public var precision: String?
        /// The winning configuration, as `bench --config` takes it (parameters only).
        public var config: String?
        public var relativeError: Double?
        public var gflops: Double?
        public var medianSeconds: Double?
        public var defaultSeconds: Double?
        public var rooflineFraction: Double?
        public var candidates: [Candidate]
        /// False when another tuner sharing the work tuned the layer (autotune --share).
        public var tunedHere: Bool
    }

    public var workload: String
    public var source: String
    public var profileId: String
    /// The GPU the layers were tuned on (`autotune --gpu`); absent: the CPU.
    public var device: String?
    /// `autotune --gpu`: the layers left to the CPU, with why ("conv2d … x2: no GPU kernel …").
    public var leftToCPU: [String]?
    public var layers: [LayerEntry]
    public var defaultSeconds: Double?
    public var tunedSeconds: Double?
    public var unsupported: [String]
    public var notes: [String]
    /// For a workload with a graph: the model's output error with the chosen precisions (worst
    /// over the calibration inputs), and the layers backed off to hold `--max-error`.
    public var modelOutputError: Double?
    public var modelOutputErrorBeforeBackOff: Double?
    public var backedOff: [String]?
    /// Layers put back to fp32 because the whole pass ran clearly faster with it.
    public var fasterInContext: [String]?
    public var modelOutputErrorUnavailable: String?
    /// For a workload with a graph: the whole forward pass measured in the compiled plan with
    /// the final choices, and the part of it in the layers (`tunedSeconds` is the prediction
    /// from the layers measured alone).
    public var measuredPassSeconds: Double?
    public var measuredPassLayerSeconds: Double?

    public init(_ result: Autotuner.Result) {
        workload = result.workload.name
        source = result.workload.source
        profileId = result.profileID
        device = result.device
        leftToCPU = result.device == nil ? nil : result.onCPU.map { "\($0.layer) x\($0.multiplicity): \($0.reason)" }
        layers = result.layers.map { layer in
            let winner = layer.winner
            return LayerEntry(
                layer: layer.layer.description, multiplicity: layer.multiplicity, names: layer.names, kernel: winner?.best?.kernel ?? layer.kernel.rawValue,
                shape: layer.layer.shapeArgument, epilogue: layer.layer.epilogue.argument, precision: winner?.precision.rawValue,
                config: winner?.best.flatMap { (try? KernelConfig(parsing: $0.config))?.parameterText }, relativeError: winner?.relativeError,
                gflops: winner?.best?.gflops, medianSeconds: winner?.best?.medianSeconds, defaultSeconds: layer.defaultSeconds,
                rooflineFraction: winner?.best?.rooflineFraction,
                candidates: layer.candidates.map { Candidate(precision: $0.precision.rawValue, gflops: $0.best?.gflops, relativeError: $0.relativeError,
                                                                 errorOnModelWeights: $0.errorOnModelWeights, rejection: $0.rejection) },
                tunedHere: layer.tunedHere
            )
        }
        defaultSeconds = result.defaultSeconds
        tunedSeconds = result.tunedSeconds
        unsupported = result.workload.unsupported
        notes = result.workload.notes + result.notes
        modelOutputError = result.modelBudget?.error
        modelOutputErrorBeforeBackOff = result.modelBudget?.errorBefore
        backedOff = result.modelBudget.map { $0.backedOff.map { "\($0.layer) \($0.from.rawValue) → \($0.to.rawValue)" } }
        fasterInContext = result.modelBudget.map { $0.fasterInContext.map { "\($0.layer) \($0.from.rawValue) → fp32" } }
        modelOutputErrorUnavailable = result.modelBudgetUnavailable
        measuredPassSeconds = result.modelBudget?.measuredPass?.seconds
        measuredPassLayerSeconds = result.modelBudget?.measuredPass?.layerSeconds
    }

    public func encoded() throws -> Data {
        try StableJSON.encode(self)
    }
}
