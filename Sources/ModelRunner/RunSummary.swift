import Foundation
import TunebenchCore

/// `tunebench run --json`: what a benchmark script reads back (docs/deployment.md).
public struct RunSummary: Codable, Sendable {
    public var model: String
    public var dimensions: [String: Int]
    public var threads: Int
    public var passes: Int
    /// Medians of the interleaved passes, seconds.
    public var tunedSeconds: Double
    /// The tuned passes back to back (`ModelRun.Report.steadySeconds`).
    public var steadySeconds: Double
    public var defaultSeconds: Double
    public var tunedLayerSeconds: Double
    public var defaultLayerSeconds: Double
    /// Relative L2 error of the outputs against the fp32 reference path.
    public var tunedError: Double
    public var defaultError: Double
    public var layers: [Layer]
    public var arenaBytes: Int
    public var unplannedBytes: Int
    public var referenceNodes: [String: Int]
    /// The attentions run as one fused step ("scores → softmax → context" node names).
    public var fusedAttentions: [String]
    /// With `--profile`: seconds per pass by step kind.
    public var profile: [String: Double]?

    public struct Layer: Codable, Sendable {
        public var name: String
        public var key: String
        public var kernel: String
        public var precision: String
        public var parameters: String
        public var fallback: String?
    }

    public init(_ report: ModelRun.Report, run: ModelRun) {
        model = run.plan.file.path
        dimensions = Dictionary(run.plan.dimensions.map { ($0.name, $0.size) }, uniquingKeysWith: { a, _ in a })
        threads = run.threads
        passes = report.passes
        tunedSeconds = report.tunedSeconds
        steadySeconds = report.steadySeconds
        defaultSeconds = report.defaultSeconds
        tunedLayerSeconds = report.tunedLayerSeconds
        defaultLayerSeconds = report.defaultLayerSeconds
        tunedError = report.tunedError
        defaultError = report.defaultError
        layers = report.layers.map { choice in
            Layer(name: choice.name, key: choice.layer.description, kernel: choice.answer.kernel, precision: choice.answer.precision.rawValue,
                  parameters: choice.answer.config.parameterText, fallback: choice.fallbackReason)
        }
        arenaBytes = report.arenaBytes
        unplannedBytes = report.unplannedBytes
        referenceNodes = report.referenceNodes
        fusedAttentions = report.fusedAttentions
        profile = report.profile.isEmpty ? nil : Dictionary(report.profile.map { ($0.kind, $0.seconds) }, uniquingKeysWith: { a, _ in a })
    }

    public func encoded() throws -> Data { try StableJSON.encode(self) }
}
