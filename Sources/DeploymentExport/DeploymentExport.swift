import Foundation
import KernelModel
import TunebenchCore
import TunebenchRuntime
import Yams

/// Writes a deployment artifact in the formats `tunebench export` offers (docs/deployment.md).
public enum DeploymentExport {
    public enum Format: String, CaseIterable, Sendable { case json, yaml, cHeader = "c-header" }

    public static func render(_ artifact: DeploymentArtifact, as format: Format) throws -> String {
        switch format {
        case .json: return String(decoding: try artifact.encoded(), as: UTF8.self)
        case .yaml: return try YAMLEncoder().encode(artifact)
        case .cHeader: return CHeader.render(artifact)
        }
    }

    /// Reads a JSON or YAML artifact (by its first non-blank character).
    public static func load(path: String) throws -> DeploymentArtifact {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw FileError(path: path, message: "cannot be read (\(error.localizedDescription))")
        }
        if text.first(where: { !$0.isWhitespace }) == "{" { return try DeploymentArtifact.load(path: path) }
        do { return try YAMLDecoder().decode(DeploymentArtifact.self, from: text) } catch {
            throw FileError(path: path, message: "is not a tunebench deployment artifact in YAML (\(error))")
        }
    }
}
