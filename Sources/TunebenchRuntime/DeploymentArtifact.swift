import Foundation
import KernelModel
import MachineIdentity
import TunebenchCore

/// What a deployment needs from a tuning database, in one self-contained JSON document
/// (docs/deployment.md): the profiles, and per profile and layer the tuned configuration of
/// each precision, with the one a precision policy chose marked.
public struct DeploymentArtifact: Codable, Equatable, Sendable {
    public static let formatName = "tunebench-deployment"
    public static let currentVersion = 1

    public struct Entry: Codable, Equatable, Sendable {
        public var profile: String
        /// The layer key without a precision, e.g. "gemm m=1 n=4096 k=4096 bias".
        public var layer: String
        public var precision: Precision
        public var kernel: String
        public var parameters: [String: ParameterValue]
        /// Median seconds per execution when it was tuned.
        public var expectedSeconds: Double
        public var gflops: Double
        /// Set when a precision policy chose this entry for the layer (e.g. "max-error 0.01
        /// over fp32,fp16,bf16,int8,int4"); nil for the other tuned precisions.
        public var chosenBy: String?
        public var relativeError: Double?
        /// For a chosen entry of an ONNX model's layer: the model-level check that held the
        /// choice (model, metric, calibration inputs, limit) and the model's output error.
        public var modelCheck: String?
        public var modelOutputError: Double?
        /// The GPU a GPU record was tuned on (e.g. "NVIDIA H200"); nil for CPU records.
        public var device: String?

        public init(profile: String, layer: String, precision: Precision, kernel: String, parameters: [String: ParameterValue],
                    expectedSeconds: Double, gflops: Double, chosenBy: String? = nil, relativeError: Double? = nil,
                    modelCheck: String? = nil, modelOutputError: Double? = nil, device: String? = nil) {
            self.profile = profile
            self.layer = layer
            self.precision = precision
            self.kernel = kernel
            self.parameters = parameters
            self.expectedSeconds = expectedSeconds
            self.gflops = gflops
            self.chosenBy = chosenBy
            self.relativeError = relativeError
            self.device = device
            self.modelCheck = modelCheck
            self.modelOutputError = modelOutputError
        }

        public var config: KernelConfig { KernelConfig(kernel: kernel, values: parameters) }
    }

    public var format: String
    public var version: Int
    /// The kernel code the configurations were tuned for.
    public var kernelLibraryVersion: String
    public var exportedAt: String
    public var profiles: [HardwareProfile]
    public var entries: [Entry]

    public init(kernelLibraryVersion: String, exportedAt: String, profiles: [HardwareProfile], entries: [Entry]) {
        format = Self.formatName
        version = Self.currentVersion
        self.kernelLibraryVersion = kernelLibraryVersion
        self.exportedAt = exportedAt
        self.profiles = profiles.sorted { $0.id < $1.id }
        self.entries = entries.sorted { ($0.profile, $0.layer, $0.precision.rawValue) < ($1.profile, $1.layer, $1.precision.rawValue) }
    }

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self) + Data("\n".utf8)
    }

    /// Reads an artifact, naming the file and the problem when it is not one.
    public static func load(path: String) throws -> DeploymentArtifact {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw FileError(path: path, message: "cannot be read (\(error.localizedDescription))")
        }
        let artifact: DeploymentArtifact
        do { artifact = try JSONDecoder().decode(DeploymentArtifact.self, from: data) } catch {
            throw FileError(path: path, message: "is not a tunebench deployment artifact (\(error))")
        }
        guard artifact.format == formatName else {
            throw FileError(path: path, message: "has format \"\(artifact.format)\", expected \"\(formatName)\"")
        }
        guard artifact.version <= currentVersion else {
            throw FileError(path: path, message: "is version \(artifact.version) of the artifact format; this runtime reads up to \(currentVersion)")
        }
        return artifact
    }
}
