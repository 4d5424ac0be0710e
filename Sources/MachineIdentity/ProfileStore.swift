import Foundation
import TunebenchCore

/// Reads and writes profiles as JSON files, `<directory>/<id>.json`.
public struct ProfileStore: Sendable {
    public let directory: String

    public init(directory: String = "profiles") {
        self.directory = directory
    }

    public func path(for id: String) -> String { "\(directory)/\(id).json" }

    /// Writes the profile as pretty JSON with sorted keys (stable diffs). Returns the path.
    @discardableResult
    public func save(_ profile: HardwareProfile) throws -> String {
        let target = path(for: profile.id)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Self.encode(profile).write(to: URL(fileURLWithPath: target), options: .atomic)
        } catch {
            throw ProbeError(.profileWriteFailed, "cannot write profile \(target): \(error.localizedDescription)")
        }
        return target
    }

    /// A profile named by file path or by id (looked up in the directory).
    public func load(_ pathOrID: String) throws -> HardwareProfile {
        if FileManager.default.fileExists(atPath: pathOrID) { return try Self.load(file: pathOrID) }
        let candidate = path(for: pathOrID)
        if FileManager.default.fileExists(atPath: candidate) { return try Self.load(file: candidate) }
        throw ProbeError(.profileNotFound, "cannot read profile \(pathOrID): no such file, and no profile with that id in \(directory)/")
    }

    public static func encode(_ profile: HardwareProfile) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(profile)
        data.append(0x0a)
        return data
    }

    public static func load(file path: String) throws -> HardwareProfile {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ProbeError(.profileUnreadable, "cannot read profile \(path): \(Self.reason(error))")
        }
        return try decode(data, file: path)
    }

    /// Checks the schema version before decoding the rest, so a newer file gets a clear error
    /// rather than a confusing missing-field one.
    public static func decode(_ data: Data, file path: String) throws -> HardwareProfile {
        struct Header: Decodable { let schemaVersion: Int? }
        if let problem = JSONInputLimits.problem(data) { throw ProbeError(.profileInvalid, "cannot read profile \(path): it \(problem)") }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: data)
        } catch {
            throw ProbeError(.profileInvalid, "cannot read profile \(path): not a JSON object (\(Self.reason(error)))")
        }
        guard let version = header.schemaVersion else {
            throw ProbeError(.profileInvalid, "cannot read profile \(path): no schemaVersion field; not a tunebench profile")
        }
        guard version == HardwareProfile.currentSchemaVersion else {
            throw ProbeError(
                .profileSchemaUnsupported,
                "cannot read profile \(path): schema version \(version) is not supported (this tunebench reads version \(HardwareProfile.currentSchemaVersion))"
            )
        }
        do {
            return try JSONDecoder().decode(HardwareProfile.self, from: data)
        } catch {
            throw ProbeError(.profileInvalid, "cannot read profile \(path): \(Self.reason(error))")
        }
    }

    /// A one-line reason, with the JSON path of a decoding error.
    static func reason(_ error: Error) -> String {
        guard let decoding = error as? DecodingError else {
            return (error as NSError).localizedDescription.replacingOccurrences(of: "\n", with: " ")
        }
        func at(_ context: DecodingError.Context) -> String {
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return path.isEmpty ? "" : " at \(path.hasPrefix(".") ? String(path.dropFirst()) : path)"
        }
        switch decoding {
        case .keyNotFound(let key, let context): return "missing field \"\(key.stringValue)\"\(at(context))"
        case .typeMismatch(let type, let context): return "wrong type\(at(context)): expected \(type)"
        case .valueNotFound(let type, let context): return "missing value\(at(context)): expected \(type)"
        case .dataCorrupted(let context):
            let underlying = (context.underlyingError as NSError?)?.localizedDescription
            return "malformed JSON\(at(context))\(underlying.map { " (\($0))" } ?? "")"
        @unknown default: return "\(decoding)"
        }
    }

    /// The profile with the roofline measured earlier for the same machine, if this store has
    /// one: re-probing without measuring must not drop it.
    public func keepingSavedRoofline(_ profile: HardwareProfile) -> HardwareProfile {
        guard profile.roofline == nil, let saved = try? load(path(for: profile.id)) else { return profile }
        var copy = profile
        copy.roofline = saved.roofline
        return copy
    }
}
